import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('the quick start prints one conversation across SMS, WhatsApp and email', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/quickstart.ts'], {
    cwd: process.cwd(),
  });
  expect(stdout.trimEnd().split('\n')).toEqual([
    '  (continued on whatsapp, was sms)',
    '  (continued on email, was whatsapp)',
    'Customer: Ann Lee (phone +14155550100, email ann.lee@example.com)',
    'Conversations: 1, channels: sms -> whatsapp -> email',
    'Timeline, oldest first:',
    '  09:00 [sms     ] Ann: Hi, my order #1042 has not arrived.',
    '  09:12 [whatsapp] Ann: Here is a photo of the tracking page.',
    '  09:47 [email   ] Ann: Sending the invoice by email as well.',
    '  09:49 [email   ] Sam: Thanks Ann, a replacement ships today.',
  ]);
});
