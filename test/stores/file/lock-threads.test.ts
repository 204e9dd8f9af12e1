import { once } from 'node:events';
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../../src/model/errors.js';
import { HEARTBEAT_MS, STALE_MS } from '../../../src/stores/file/lock.js';
import { openStore, recordingLogger, tempDirs } from './helpers.js';

const dirs = tempDirs();
const threads: Worker[] = [];
afterAll(async () => {
  await Promise.all(threads.map((worker) => worker.terminate()));
  await dirs.cleanup();
});

const TSX_API = import.meta.resolve('tsx/esm/api');
const FILE_STORE = new URL('../../../src/stores/file/index.ts', import.meta.url).href;

/**
 * A worker thread's script: registers tsx, then opens and closes a real file store on request
 * ('open' / 'close'), replying `{ done, error? }` and forwarding the store's warnings. With
 * `leave`, it opens the store, never closes it and keeps no listener, so it ends once idle.
 */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  (await import(workerData.tsx)).register();
  const { fileStore } = await import(workerData.fileStore);
  const logger = { warn: (warning) => parentPort.postMessage({ warning }), error: () => {} };
  const open = () => fileStore({ dir: workerData.dir, logger });
  if (workerData.leave) return void (await open(), parentPort.postMessage('opened'));
  let store;
  parentPort.on('message', async (op) => {
    try {
      if (op === 'open') store = await open();
      else await store.close();
      parentPort.postMessage({ done: op });
    } catch (error) {
      parentPort.postMessage({ done: op, error: { name: error.name, message: error.message } });
    }
  });
  parentPort.postMessage('ready');
})();
`;

interface Reply {
  done: string;
  error?: { name: string; message: string };
}

/** Starts a worker thread of this process that drives a file store on `dir`. */
async function storeThread(dir: string) {
  const worker = new Worker(THREAD, { eval: true, workerData: { dir, tsx: TSX_API, fileStore: FILE_STORE } });
  threads.push(worker);
  const warnings: string[] = [];
  const replies: ((reply: Reply) => void)[] = [];
  worker.on('message', (message: Reply | { warning: string } | 'ready') => {
    if (typeof message === 'object' && 'warning' in message) warnings.push(message.warning);
    else if (typeof message === 'object') replies.shift()?.(message);
  });
  await once(worker, 'message');
  const run = (op: 'open' | 'close') =>
    new Promise<Reply>((resolve) => {
      replies.push(resolve);
      worker.postMessage(op);
    });
  return { worker, warnings, run };
}

/** A lock file as this version writes it, for our pid, by a thread that never refreshes it. */
function sameProcessLock(fields: { start?: string; thread?: number; token?: string } = {}): string {
  const start = fields.start === undefined ? [] : [`start=${fields.start}`];
  return [
    process.pid,
    ...start,
    `thread=${fields.thread ?? 99}`,
    `token=${fields.token ?? 'other'}`,
    '',
  ].join('\n');
}

async function setMtime(path: string, mtimeMs: number): Promise<void> {
  await utimes(path, new Date(mtimeMs), new Date(mtimeMs));
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

describe('file store lock: worker threads of one process', () => {
  it('two threads open one directory: exactly one gets it, the other once the first has closed', async () => {
    const dir = await dirs.make();
    const [first, second] = await Promise.all([storeThread(dir), storeThread(dir)]);
    const results = await Promise.all([first.run('open'), second.run('open')]);
    const winner = results[0]!.error ? second : first;
    const loser = winner === first ? second : first;
    const refused = results.find((reply) => reply.error)!.error!;
    expect(results.filter((reply) => reply.error)).toHaveLength(1);
    expect(refused.name).toBe('StorageError');
    expect(refused.message).toContain(
      `${dir} is locked by another thread of this process (pid ${process.pid}`,
    );
    expect(await winner.run('close')).toEqual({ done: 'close' });
    expect(await loser.run('open')).toEqual({ done: 'open' });
    expect(await loser.run('close')).toEqual({ done: 'close' });
    expect([...first.warnings, ...second.warnings]).toEqual([]);
  });

  it('two threads taking over one stale lock at once: exactly one gets it', async () => {
    const dir = await dirs.make();
    await writeFile(join(dir, 'LOCK'), `${process.pid}\n`); // pid-only: an earlier process with our pid
    const pair = await Promise.all([storeThread(dir), storeThread(dir)]);
    const results = await Promise.all(pair.map((thread) => thread.run('open')));
    expect(results.filter((reply) => reply.error).map((reply) => reply.error!.name)).toEqual([
      'StorageError',
    ]);
    expect(pair.flatMap((thread) => thread.warnings)).toEqual([
      expect.stringContaining('taking over the stale lock'),
    ]);
    for (const [i, reply] of results.entries()) if (!reply.error) await pair[i]!.run('close');
  });

  it("a holder's heartbeat never keeps its thread alive", async () => {
    const dir = await dirs.make();
    const worker = new Worker(THREAD, {
      eval: true,
      workerData: { dir, tsx: TSX_API, fileStore: FILE_STORE, leave: true },
    });
    threads.push(worker);
    // The store stays open, but its heartbeat timer is unref'd: the idle thread ends.
    const [code] = await once(worker, 'exit');
    expect(code).toBe(0);
    await expect(stat(join(dir, 'LOCK'))).resolves.toBeDefined();
  });

  it('the lock of a thread that stopped without closing is taken over once its heartbeat is stale', async () => {
    const dir = await dirs.make();
    const thread = await storeThread(dir);
    expect(await thread.run('open')).toEqual({ done: 'open' });
    const { threadId } = thread.worker;
    await thread.worker.terminate(); // no close: the lock stays, its heartbeat stops
    const path = join(dir, 'LOCK');
    const left = await readFile(path, 'utf8');
    // As if the last beat was a little under STALE_MS ago: the opener waits only the rest.
    await setMtime(path, Date.now() - STALE_MS + 300);
    const logger = recordingLogger();
    const { value: store, ms } = await timed(() => openStore(dir, { logger }));
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(HEARTBEAT_MS + 500);
    expect(logger.warnings).toEqual([expect.stringContaining(`thread ${threadId}) stopped without closing`)]);
    expect(await readFile(path, 'utf8')).not.toBe(left);
    await store.close();
  });

  it('a same-process lock whose heartbeat moves is refused as soon as it moves, and left in place', async () => {
    const dir = await dirs.make();
    const path = join(dir, 'LOCK');
    await writeFile(path, sameProcessLock({ thread: 7 }));
    const beat = setTimeout(() => void setMtime(path, Date.now()), 150);
    const { value: error, ms } = await timed(() => openStore(dir).catch((caught: unknown) => caught));
    clearTimeout(beat);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toContain(
      `${dir} is locked by another thread of this process (pid ${process.pid}, thread 7)`,
    );
    expect(ms).toBeLessThan(HEARTBEAT_MS);
    expect(await readFile(path, 'utf8')).toBe(sameProcessLock({ thread: 7 }));
  });

  it('a same-process lock already stale is taken over without waiting', async () => {
    const dir = await dirs.make();
    const path = join(dir, 'LOCK');
    await writeFile(path, sameProcessLock());
    await setMtime(path, Date.now() - STALE_MS - 1_000);
    const { value: store, ms } = await timed(() => openStore(dir));
    expect(ms).toBeLessThan(HEARTBEAT_MS);
    await store.close();
  });
});

describe('file store lock: an earlier process with our pid', () => {
  it.skipIf(process.platform !== 'linux')(
    'a lock with our pid and another start time is taken over at once (Linux)',
    async () => {
      const dir = await dirs.make();
      await writeFile(join(dir, 'LOCK'), sameProcessLock({ start: '1', thread: 0 }));
      const logger = recordingLogger();
      const { value: store, ms } = await timed(() => openStore(dir, { logger }));
      expect(ms).toBeLessThan(HEARTBEAT_MS);
      expect(logger.warnings).toEqual([expect.stringContaining('this process reuses its pid')]);
      await store.close();
    },
  );

  it.skipIf(process.platform !== 'linux')(
    'a live pid that started after the lock was taken has reused it: taken over (Linux)',
    async () => {
      const dir = await dirs.make();
      await writeFile(join(dir, 'LOCK'), `${process.ppid}\nstart=1\nthread=0\ntoken=old\n`);
      const logger = recordingLogger();
      await (await openStore(dir, { logger })).close();
      expect(logger.warnings).toEqual([expect.stringContaining('its pid now belongs to a later process')]);
    },
  );

  it('an old pid-only lock: ours is taken over at once, a live other pid is refused', async () => {
    const dir = await dirs.make();
    const path = join(dir, 'LOCK');
    await writeFile(path, `${process.pid}\n`);
    const { value: store, ms } = await timed(() => openStore(dir));
    expect(ms).toBeLessThan(HEARTBEAT_MS);
    await store.close();
    await writeFile(path, `${process.ppid}\n`);
    await expect(openStore(dir)).rejects.toThrow(
      `is locked by process ${process.ppid}, which is still running`,
    );
  });
});

describe('file store lock: release', () => {
  it('a lock taken over from a store is not deleted by its late close', async () => {
    const dir = await dirs.make();
    const logger = recordingLogger();
    const store = await openStore(dir, { logger });
    const path = join(dir, 'LOCK');
    const theirs = sameProcessLock({ token: 'theirs' });
    await writeFile(path, theirs);
    await store.close();
    expect(await readFile(path, 'utf8')).toBe(theirs);
    expect(logger.warnings).toEqual([expect.stringContaining('was no longer this store')]);
  });
});
