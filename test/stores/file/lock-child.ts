/**
 * Lock-test child, run by lock-namespaces.test.ts in a pid namespace of its own (as a container's
 * process is). Usage: node --import tsx lock-child.ts <hold|open|leave> <dir>
 * - hold: opens a file store on <dir>, prints `{"pid":..}` once it holds the directory, and closes
 *   the store and exits when its stdin ends;
 * - leave: opens the store, prints the same line, and exits without closing it (a crash, as far as
 *   the lock is concerned: the file stays, its heartbeat stops);
 * - open: tries to open the store and prints `{"pid":..,"opened":true}` or `{"pid":..,"error":..}`.
 */
import { fileStore } from '../../../src/stores/file/index.js';

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
  process.stdin.resume();
  process.stdin.on('end', () => void store.close().then(() => process.exit(0)));
}
