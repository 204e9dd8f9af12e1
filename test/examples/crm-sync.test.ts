import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('the CRM sync example mirrors customers, the login merge and a resolved conversation into the CRM', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/crm-sync.ts'], {
    cwd: process.cwd(),
  });
  expect(stdout.trimEnd().split('\n')).toEqual([
    'What the CRM received:',
    '  POST /contacts {"name":null,"identities":["phone:+14155550100"]}',
    '  POST /contacts {"name":"Ann Lee","identities":["email:ann@example.com"]}',
    '  POST /contacts/crm-101/merge {"from":"crm-100"}',
    '  POST /contacts/crm-101/activities {"type":"support_conversation_resolved","channels":["email"],"messages":1}',
    'Threadline customer Ann Lee is CRM contact crm-101',
  ]);
});
