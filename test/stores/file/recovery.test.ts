import { spawnSync } from 'node:child_process';
import { appendFile, copyFile, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/core/store.js';
import { scanFrames } from '../../../src/stores/file/frame.js';
import { makeConversation, makeCustomer, makeEvent, makeMessage } from '../../../src/testing/records.js';
import { openStore, recordingLogger, tempDirs } from './helpers.js';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());
const JOURNAL_1 = 'journal-000000000001.log';

/** A store dir holding one customer, one conversation and `count` messages (`E0`..), one commit each. */
async function build(count: number): Promise<{ dir: string; conversationId: string }> {
  const dir = await dirs.make();
  const store = await openStore(dir);
  const customer = makeCustomer();
  const conversation = makeConversation(customer.id);
  await store.commit({
    customers: [{ record: customer, expectedVersion: null }],
    conversations: [{ record: conversation, expectedVersion: null }],
  });
  for (let i = 0; i < count; i++) {
    const message = makeMessage(conversation, i, { externalId: `E${i}` });
    await store.commit({
      messages: [{ record: message, expectedVersion: null }],
      events: [makeEvent(message)],
    });
  }
  await store.close();
  return { dir, conversationId: conversation.id };
}

async function offsets(path: string): Promise<number[]> {
  const found: number[] = [];
  await scanFrames(path, (_, offset) => void found.push(offset));
  return found;
}

async function flipByte(path: string, at: number): Promise<void> {
  const data = await readFile(path);
  data[at] = data[at]! ^ 0x10;
  await writeFile(path, data);
}

async function externalIds(store: Store, conversationId: string): Promise<string[]> {
  const messages = await store.listMessages({ conversationId }, { limit: 1000, after: { at: 0, id: '' } });
  return messages.map((message) => message.externalId!);
}

describe('file store: recovery', () => {
  it('a truncated last record is dropped with a warning and the journal truncated', async () => {
    const { dir, conversationId } = await build(5);
    const path = join(dir, JOURNAL_1);
    const last = (await offsets(path)).at(-1)!;
    await truncate(path, (await stat(path)).size - 7);
    const logger = recordingLogger();
    const store = await openStore(dir, { logger });
    expect(await externalIds(store, conversationId)).toEqual(['E0', 'E1', 'E2', 'E3']);
    expect(logger.warnings).toEqual([
      expect.stringContaining(`dropped a torn record at the end of ${path} (byte ${last}`),
    ]);
    expect((await stat(path)).size).toBe(last);
    expect(await store.readEvents({ limit: 10 })).toHaveLength(4);
    await store.close();
  });

  it('a bit-flipped last record is dropped with a warning; later writes land after it', async () => {
    const { dir, conversationId } = await build(5);
    const path = join(dir, JOURNAL_1);
    await flipByte(path, (await stat(path)).size - 3);
    const logger = recordingLogger();
    let store = await openStore(dir, { logger });
    expect(await externalIds(store, conversationId)).toEqual(['E0', 'E1', 'E2', 'E3']);
    expect(logger.warnings[0]).toContain('checksum mismatch');
    const conversation = (await store.getConversation(conversationId))!;
    await store.commit({
      messages: [{ record: makeMessage(conversation, 99, { externalId: 'E99' }), expectedVersion: null }],
    });
    await store.close();
    store = await openStore(dir, { logger: recordingLogger() });
    expect(await externalIds(store, conversationId)).toEqual(['E0', 'E1', 'E2', 'E3', 'E99']);
    await store.close();
  });

  it('a zero-filled tail (size grew, data never landed) is dropped', async () => {
    const { dir, conversationId } = await build(3);
    await appendFile(join(dir, JOURNAL_1), Buffer.alloc(4096));
    const logger = recordingLogger();
    const store = await openStore(dir, { logger });
    expect(await externalIds(store, conversationId)).toEqual(['E0', 'E1', 'E2']);
    expect(logger.warnings[0]).toContain('bad magic');
    await store.close();
  });

  it('a bit flip in the middle stops the open with a StorageError naming the file and offset', async () => {
    const { dir } = await build(5);
    const path = join(dir, JOURNAL_1);
    const third = (await offsets(path))[2]!;
    await flipByte(path, third + 30);
    const open = openStore(dir);
    await expect(open).rejects.toMatchObject({ name: 'StorageError' });
    await expect(open).rejects.toThrow(
      `${path} is damaged at byte ${third} (checksum mismatch) and valid records follow`,
    );
    // The failed open released the lock: a repaired directory opens.
    await flipByte(path, third + 30);
    await (await openStore(dir)).close();
  });

  it('a damaged length in the middle is a StorageError too', async () => {
    const { dir } = await build(5);
    const path = join(dir, JOURNAL_1);
    const second = (await offsets(path))[1]!;
    await flipByte(path, second + 6);
    await expect(openStore(dir)).rejects.toThrow(`is damaged at byte ${second}`);
  });

  it('a damaged snapshot is a StorageError naming the file and offset', async () => {
    const { dir } = await build(3);
    const store = await openStore(dir);
    await store.compact();
    await store.close();
    const path = join(dir, 'snapshot-000000000002.snap');
    const second = (await offsets(path))[1]!;
    await flipByte(path, second + 20);
    await expect(openStore(dir)).rejects.toThrow(
      `snapshot ${path} is damaged at byte ${second} (checksum mismatch)`,
    );
  });

  it('records bigger than a snapshot chunk round-trip through compaction', async () => {
    const { dir, conversationId } = await build(0);
    let store = await openStore(dir);
    const conversation = (await store.getConversation(conversationId))!;
    const big = Array.from({ length: 3 }, (_, i) =>
      makeMessage(conversation, i, {
        externalId: `B${i}`,
        parts: [{ type: 'text', text: `${i}`.repeat(3_000_000) }],
      }),
    );
    await store.commit({ messages: big.map((record) => ({ record, expectedVersion: null })) });
    await store.compact();
    await store.close();
    const snapshot = join(dir, 'snapshot-000000000002.snap');
    // header, customers, conversations, one chunk per 3 MB message, end
    expect((await offsets(snapshot)).length).toBe(1 + 1 + 1 + 3 + 1);
    store = await openStore(dir);
    expect(await store.listMessages({ conversationId }, { limit: 10, after: { at: 0, id: '' } })).toEqual(
      big,
    );
    await store.close();
  });

  it('a crash at any step of compaction recovers the same state', async () => {
    const { dir, conversationId } = await build(3);
    await copyFile(join(dir, JOURNAL_1), join(dir, 'saved.bak'));
    let store = await openStore(dir);
    await store.compact();
    const conversation = (await store.getConversation(conversationId))!;
    await store.commit({
      messages: [{ record: makeMessage(conversation, 50, { externalId: 'E50' }), expectedVersion: null }],
    });
    const events = await store.readEvents({ limit: 100 });
    await store.close();
    const expectSame = async () => {
      store = await openStore(dir);
      expect(await externalIds(store, conversationId)).toEqual(['E0', 'E1', 'E2', 'E50']);
      expect(await store.readEvents({ limit: 100 })).toEqual(events);
      await store.close();
    };
    // Crashed after the rename, before the old journal was deleted.
    await copyFile(join(dir, 'saved.bak'), join(dir, JOURNAL_1));
    await expectSame();
    // Crashed before the snapshot was renamed into place (the temp file is left over).
    await copyFile(join(dir, 'saved.bak'), join(dir, JOURNAL_1));
    await rm(join(dir, 'snapshot-000000000002.snap'));
    await writeFile(join(dir, 'snapshot-000000000002.snap.tmp'), 'half a snapshot');
    await expectSame();
  });
});

describe('file store: lock', () => {
  it('a second open of a live store is refused with a StorageError naming the pid and dir', async () => {
    const dir = await dirs.make();
    const store = await openStore(dir);
    await expect(openStore(dir)).rejects.toThrow(
      `${dir} is locked by process ${process.pid}, which is still running`,
    );
    expect((await readFile(join(dir, 'LOCK'), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await store.close();
    await expect(stat(join(dir, 'LOCK'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a lock held by a live process is refused', async () => {
    const dir = await dirs.make();
    await writeFile(join(dir, 'LOCK'), `${process.ppid}\n`);
    await expect(openStore(dir)).rejects.toThrow(`locked by process ${process.ppid}`);
  });

  it('a stale lock whose process is gone is taken over with a warning', async () => {
    const dir = await dirs.make();
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], {
      encoding: 'utf8',
    }).stdout.trim();
    await writeFile(join(dir, 'LOCK'), `${dead}\n`);
    const logger = recordingLogger();
    const store = await openStore(dir, { logger });
    expect(logger.warnings).toEqual([
      expect.stringContaining(`stale lock of ${dir} (process ${dead} is gone)`),
    ]);
    expect((await readFile(join(dir, 'LOCK'), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await store.close();
  });

  it('a lock with our own pid left by an earlier process (pid reuse after a restart) is stale', async () => {
    const dir = await dirs.make();
    await writeFile(join(dir, 'LOCK'), `${process.pid}\n`);
    const logger = recordingLogger();
    const store = await openStore(dir, { logger });
    expect(logger.warnings[0]).toContain('taking over the stale lock');
    await store.close();
  });
});

describe('file store: options', () => {
  it('a wrong option is a ValidationError naming it', async () => {
    await expect(openStore('')).rejects.toMatchObject({ name: 'ValidationError', field: 'dir' });
    await expect(openStore(await dirs.make(), { compactAfterBytes: -1 })).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'compactAfterBytes',
    });
  });
});
