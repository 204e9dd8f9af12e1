/**
 * Child process of bench/file-store.bench.ts, so the cold open runs in a fresh process (a cold
 * heap, as after a restart) and the build's garbage does not slow it down.
 * Usage: node --import tsx bench/file-store-child.ts build <dir> <messages> | open <dir>
 * Prints one JSON line.
 */
import { fileStore } from '../src/stores/file/index.js';
import { makeConversation, makeCustomer, makeMessage } from '../src/testing/records.js';

const quiet = {
  warn: () => {},
  error: (message: string, ...args: unknown[]) => console.error(message, ...args),
};

/** Builds a store of `count` messages (10 per conversation) with fsync off: 95% in the snapshot, the last 5% in the journal. */
async function build(dir: string, count: number): Promise<void> {
  const store = await fileStore({ dir, fsync: false, compactAfterBytes: 2 ** 40, logger: quiet });
  const conversations = count / 10;
  let commits: Promise<void>[] = [];
  for (let c = 0; c < conversations; c++) {
    if (c === Math.floor(conversations * 0.95)) {
      await Promise.all(commits);
      await store.compact();
    }
    const customer = makeCustomer();
    const conversation = makeConversation(customer.id, { messageCount: 10 });
    const messages = Array.from({ length: 10 }, (_, i) => ({
      record: makeMessage(conversation, c * 10 + i, { externalId: `SM${c * 10 + i}` }),
      expectedVersion: null,
    }));
    commits.push(
      Promise.resolve(
        store.commit({
          customers: [{ record: customer, expectedVersion: null }],
          conversations: [{ record: conversation, expectedVersion: null }],
          messages,
        }),
      ),
    );
    if (commits.length >= 256) {
      await Promise.all(commits);
      commits = [];
    }
  }
  await Promise.all(commits);
  await store.close();
}

async function open(
  dir: string,
): Promise<{ seconds: number; cpuSeconds: number; heapMiB: number; conversations: number }> {
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const store = await fileStore({ dir, logger: quiet });
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const conversations = (await store.listConversations({ limit: 1_000_000 })).length;
  await store.close();
  return {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
    conversations,
  };
}

const [mode, dir, count] = process.argv.slice(2) as [string, string, string | undefined];
if (mode === 'build') {
  const start = performance.now();
  await build(dir, Number(count));
  console.log(JSON.stringify({ seconds: (performance.now() - start) / 1000 }));
} else {
  console.log(JSON.stringify(await open(dir)));
}
