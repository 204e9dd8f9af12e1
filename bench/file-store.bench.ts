import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDesk } from '../src/index.js';
import { encodeFrame, scanFrames } from '../src/stores/file/frame.js';
import { type FileStoreHandle, fileStore } from '../src/stores/file/index.js';
import { makeConversation, makeCustomer, makeMessage } from '../src/testing/records.js';
import type { BenchRow, BenchSection } from './report.js';

const MESSAGES = 50_000;
const IN_FLIGHT = 64;
const CUSTOMERS = 5_000;
const COLD_MESSAGES = 1_000_000;
const quiet = { warn: () => {}, error: (message: string, ...args: unknown[]) => console.error(message, ...args) };

/** Durable receives through a real desk, IN_FLIGHT at a time; returns msg/s. */
async function durableReceive(dir: string): Promise<number> {
  // No compaction during the run, so the journal keeps every byte for the floor below.
  const store = await fileStore({ dir, compactAfterBytes: 2 ** 40, logger: quiet });
  const desk = createDesk({ store });
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < MESSAGES; i = next++) {
      const customer = (i * 7919) % CUSTOMERS;
      await desk.receive({
        channel: 'sms',
        from: { kind: 'phone', value: `+1415${String(5_000_000 + customer).padStart(7, '0')}`, verified: true },
        text: `Hello, this is message ${i}: where is my order? It was due on Tuesday.`,
        externalId: `SM${i}`,
      });
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - start) / 1000;
  await desk.close();
  await store.close();
  return MESSAGES / seconds;
}

/** The floor: the same journal bytes appended in batches of IN_FLIGHT records, one fdatasync per batch. */
async function rawAppends(dir: string): Promise<{ perSecond: number; bytes: number }> {
  const frames: Buffer[] = [];
  await scanFrames(join(dir, 'journal-000000000001.log'), (payload) => void frames.push(encodeFrame(Buffer.from(payload))));
  const handle = await open(join(dir, 'floor.bin'), 'w');
  let bytes = 0;
  const start = performance.now();
  for (let i = 0; i < frames.length; i += IN_FLIGHT) {
    const batch = Buffer.concat(frames.slice(i, i + IN_FLIGHT));
    await handle.write(batch);
    await handle.datasync();
    bytes += batch.length;
  }
  const seconds = (performance.now() - start) / 1000;
  await handle.close();
  return { perSecond: MESSAGES / seconds, bytes };
}

/** Builds a store of `count` messages (10 per conversation) with fsync off: most in the snapshot, the last 5% in the journal. */
async function buildLarge(dir: string, count: number): Promise<void> {
  const store = await fileStore({ dir, fsync: false, compactAfterBytes: 2 ** 40, logger: quiet });
  const commits: Promise<void>[] = [];
  for (let c = 0; c < count / 10; c++) {
    if (c === Math.floor(count / 10 * 0.95)) {
      await Promise.all(commits.splice(0));
      await store.compact();
    }
    const customer = makeCustomer({ identities: [] });
    const conversation = makeConversation(customer.id, { messageCount: 10 });
    const messages = Array.from({ length: 10 }, (_, i) => ({
      record: makeMessage(conversation, c * 10 + i, { externalId: `SM${c * 10 + i}` }),
      expectedVersion: null,
    }));
    commits.push(
      store.commit({
        customers: [{ record: customer, expectedVersion: null }],
        conversations: [{ record: conversation, expectedVersion: null }],
        messages,
      }),
    );
    if (commits.length >= 256) await Promise.all(commits.splice(0));
  }
  await Promise.all(commits);
  await store.close();
}

async function directorySize(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

async function coldOpen(dir: string): Promise<{ seconds: number; store: FileStoreHandle }> {
  (globalThis as { gc?: () => void }).gc?.();
  const start = performance.now();
  const store = await fileStore({ dir, logger: quiet });
  return { seconds: (performance.now() - start) / 1000, store };
}

/** File store benchmark: durable receive with group commit beside raw appends, and a cold open of 1M messages. */
export async function run(): Promise<BenchSection> {
  const root = await mkdtemp(join(tmpdir(), 'threadline-bench-file-'));
  try {
    const receiveDir = join(root, 'receive');
    const received = await durableReceive(receiveDir);
    const floor = await rawAppends(receiveDir);
    const largeDir = join(root, 'large');
    const buildStart = performance.now();
    await buildLarge(largeDir, COLD_MESSAGES);
    const buildSeconds = (performance.now() - buildStart) / 1000;
    const size = await directorySize(largeDir);
    const cold = await coldOpen(largeDir);
    const count = (await cold.store.listConversations({ limit: 1 })).length;
    await cold.store.close();
    const rows: BenchRow[] = [
      {
        name: `durable receive, ${IN_FLIGHT} in flight (group commit, fsync on)`,
        value: received,
        unit: 'msg/s',
        floor: floor.perSecond,
        floorName: `raw appends of the same bytes, one fdatasync per ${IN_FLIGHT} records`,
        target: '>= 0.5x floor and >= 20,000 msg/s',
        met: received >= floor.perSecond / 2 && received >= 20_000,
      },
      { name: `cold open, ${COLD_MESSAGES.toLocaleString('en-US')} messages`, value: cold.seconds, unit: 's', target: '< 5 s', met: cold.seconds < 5 && count === 1 },
      { name: 'on-disk size of that store', value: size / 2 ** 20, unit: 'MiB' },
    ];
    return {
      title: 'File store (Node)',
      rows,
      notes: [
        `Receive: ${MESSAGES.toLocaleString('en-US')} messages from ${CUSTOMERS.toLocaleString('en-US')} customers through \`desk.receive\`, each resolved only after its group's fdatasync; compaction held off during the run so the floor can replay the journal's exact ${(floor.bytes / 2 ** 20).toFixed(1)} MiB.`,
        `Cold open: a snapshot of 95% of the messages plus a journal of the last 5% (built with fsync off in ${buildSeconds.toFixed(1)} s; ${COLD_MESSAGES / 10} customers and conversations).`,
      ],
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
