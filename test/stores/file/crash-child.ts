/**
 * Crash-test child: receives a stream of messages through a real desk on a file store and prints
 * each externalId once `receive` has resolved (acknowledged = durable). The parent kills it with
 * SIGKILL at a random moment. Usage: node --import tsx crash-child.ts <dir> <round>
 */
import { createDesk } from '../../../src/index.js';
import { fileStore } from '../../../src/stores/file/index.js';

const [dir, round] = process.argv.slice(2) as [string, string];
const store = await fileStore({
  dir,
  compactAfterBytes: 256 * 1024,
  logger: { warn: () => {}, error: console.error },
});
const desk = createDesk({ store });
const IN_FLIGHT = 16;
let next = 0;

async function worker(): Promise<void> {
  for (;;) {
    const i = next++;
    const externalId = `r${round}-${i}`;
    const phone = `+1415555${String(1000 + ((i * 7919) % 150)).padStart(4, '0')}`;
    await desk.receive({
      channel: i % 3 === 0 ? 'whatsapp' : 'sms',
      from: { kind: i % 3 === 0 ? 'whatsapp' : 'phone', value: phone, verified: true },
      text: `message ${externalId} ${'x'.repeat(i % 200)}`,
      externalId,
    });
    process.stdout.write(`${externalId}\n`);
  }
}

await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
