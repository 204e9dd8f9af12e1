/**
 * Lock-test child, run by the lock tests as a plain child process or in a pid namespace of its
 * own (as a container's process is). Usage: node --import tsx lock-child.ts <hold|open|leave> <dir>
 * - hold: opens a file store on <dir> and prints `{"pid":..,"holding":true}`; then each stdin line
 *   `commit` commits a customer, conversation and message and prints `{"committed":true}` or
 *   `{"error":..}`; the store is closed and the process exits when stdin ends;
 * - leave: opens the store, prints the same line, and exits without closing it (a crash, as far as
 *   the lock is concerned: the file stays, its heartbeat stops);
 * - open: tries to open the store and prints `{"opened":true,"warnings":[..]}` or `{"error":..}`.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileStore } from '../../../src/stores/file/index.js';
import { makeConversation, makeCustomer, makeMessage } from '../../../src/testing/records.js';

const [mode, dir] = process.argv.slice(2) as [string, string];
const warnings: string[] = [];
const logger = { warn: (message: string) => void warnings.push(message), error: console.error };
const say = (line: object) => process.stdout.write(`${JSON.stringify({ pid: process.pid, ...line })}\n`);

if (mode === 'open') {
  try {
    const store = await fileStore({ dir, logger });
    await store.close();
    say({ opened: true, warnings });
  } catch (error) {
    say({ error: (error as Error).message });
  }
} else {
  const store = await fileStore({ dir, logger });
  say({ holding: true });
  if (mode === 'leave') process.exit(0);
  const commands = createInterface({ input: process.stdin });
  commands.on('line', async () => {
    // Ids of its own: two children's counters would both start at 1.
    const tag = randomUUID();
    const customer = makeCustomer({ id: `cus-${tag}` });
    const conversation = makeConversation(customer.id, { id: `con-${tag}` });
    const message = makeMessage(conversation, 0, { id: `msg-${tag}`, externalId: tag });
    try {
      await store.commit({
        customers: [{ record: customer, expectedVersion: null }],
        conversations: [{ record: conversation, expectedVersion: null }],
        messages: [{ record: message, expectedVersion: null }],
      });
      say({ committed: true, id: message.id });
    } catch (error) {
      say({ error: (error as Error).message, warnings });
    }
  });
  commands.on('close', () => void store.close().then(() => process.exit(0)));
}
