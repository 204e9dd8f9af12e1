import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  copyFile,
  mkdir,
  readdir,
  readFile,
  rm,
  statfs,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Store, WriteBatch } from '../../../src/core/store.js';
import { ConflictError, StorageError } from '../../../src/model/errors.js';
import type { Conversation } from '../../../src/model/records.js';
import { encodeFrame, scanFrames } from '../../../src/stores/file/frame.js';
import type { FileStoreHandle, FileStoreOptions } from '../../../src/stores/file/index.js';
import { makeConversation, makeCustomer, makeEvent, makeMessage } from '../../../src/testing/records.js';
import { openStore, recordingLogger, tempDirs } from './helpers.js';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

const JOURNAL = (g: number) => `journal-${String(g).padStart(12, '0')}.log`;
const SNAPSHOT = (g: number) => `snapshot-${String(g).padStart(12, '0')}.snap`;

async function seed(store: Store): Promise<Conversation> {
  const customer = makeCustomer();
  const conversation = makeConversation(customer.id);
  await store.commit({
    customers: [{ record: customer, expectedVersion: null }],
    conversations: [{ record: conversation, expectedVersion: null }],
  });
  return conversation;
}

/** A batch storing one message (externalId `id`) and its event. */
function messageBatch(conversation: Conversation, i: number, id = `E${i}`): WriteBatch {
  const message = makeMessage(conversation, i, { externalId: id });
  return { messages: [{ record: message, expectedVersion: null }], events: [makeEvent(message)] };
}

/** Everything a store holds for one conversation, through the Store API. */
async function contents(store: Store, conversation: Conversation) {
  return {
    conversation: await store.getConversation(conversation.id),
    messages: await store.listMessages(
      { conversationId: conversation.id },
      { limit: 1_000_000, after: { at: -1, id: '' } },
    ),
    count: await store.countMessages({ customerId: conversation.customerId }),
    outbox: await store.listOutbox(),
    events: await store.readEvents({ limit: 1_000_000 }),
  };
}

const externalIds = async (store: Store, conversation: Conversation) =>
  (await contents(store, conversation)).messages.map((message) => message.externalId);

/** Opens, checks `contents` equal `expected`, closes. */
async function expectReopened(
  dir: string,
  conversation: Conversation,
  expected: unknown,
  options: Partial<FileStoreOptions> = {},
): Promise<void> {
  const store = await openStore(dir, options);
  expect(await contents(store, conversation)).toEqual(expected);
  await store.close();
}

describe('file store edge cases: close', () => {
  it('a second close() resolves only once the first has released the lock', async () => {
    const dir = await dirs.make();
    const store = await openStore(dir);
    const conversation = await seed(store);
    let firstDone = false;
    const first = store.close().then(() => {
      firstDone = true;
    });
    await store.close();
    expect(firstDone).toBe(true);
    // Closed means closed: the directory opens again at once.
    const reopened = await openStore(dir);
    expect(await reopened.getConversation(conversation.id)).toEqual(conversation);
    await reopened.close();
    await first;
  });

  it('close() with commits being written and queued settles every one of them, durably', async () => {
    const dir = await dirs.make();
    const store = await openStore(dir);
    const conversation = await seed(store);
    const commits: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) commits.push(Promise.resolve(store.commit(messageBatch(conversation, i))));
    await new Promise((resolve) => setImmediate(resolve)); // the first group is being written
    for (let i = 5; i < 40; i++) commits.push(Promise.resolve(store.commit(messageBatch(conversation, i))));
    const claim = store.claimOutbox({ now: 0, leaseMs: 1, owner: 'w', limit: 1 });
    await store.close();
    expect((await Promise.allSettled(commits)).map((result) => result.status)).toEqual(
      commits.map(() => 'fulfilled'),
    );
    await expect(claim).resolves.toEqual([]);
    const reopened = await openStore(dir);
    expect(await externalIds(reopened, conversation)).toEqual(Array.from({ length: 40 }, (_, i) => `E${i}`));
    await reopened.close();
  });

  it('after close() a commit, a claim and a compaction reject with StorageError; reads still answer', async () => {
    const dir = await dirs.make();
    const store = await openStore(dir);
    const conversation = await seed(store);
    await store.close();
    await expect(store.commit(messageBatch(conversation, 1))).rejects.toBeInstanceOf(StorageError);
    await expect(store.claimOutbox({ now: 0, leaseMs: 1, owner: 'w', limit: 1 })).rejects.toBeInstanceOf(
      StorageError,
    );
    await expect(store.compact()).rejects.toBeInstanceOf(StorageError);
    expect(await store.getConversation(conversation.id)).toEqual(conversation);
  });

  it('close() during a compaction waits for it; the directory holds one snapshot and one journal', async () => {
    const dir = await dirs.make();
    const store = await openStore(dir);
    const conversation = await seed(store);
    const commits = Array.from({ length: 20 }, (_, i) => store.commit(messageBatch(conversation, i)));
    const compaction = store.compact();
    const late = Array.from({ length: 20 }, (_, i) => store.commit(messageBatch(conversation, 20 + i)));
    await store.close();
    await Promise.all([...commits, compaction, ...late]);
    expect((await readdir(dir)).sort()).toEqual([JOURNAL(2), SNAPSHOT(2)]);
    const reopened = await openStore(dir);
    expect(await externalIds(reopened, conversation)).toEqual(Array.from({ length: 40 }, (_, i) => `E${i}`));
    await reopened.close();
  });
});

describe('file store edge cases: conflicts in a group', () => {
  it('a commit failing its check beside good ones in one group writes nothing; the others are durable', async () => {
    const dir = await dirs.make();
    const store = await openStore(dir);
    const conversation = await seed(store);
    const groupsBefore = store.stats().groups;
    const stale = { ...conversation, status: 'closed' as const, version: 2 };
    const results = await Promise.allSettled([
      store.commit(messageBatch(conversation, 1, 'A')),
      // A duplicate delivery: same provider id as the first.
      store.commit(messageBatch(conversation, 2, 'A')),
      // A stale version, together with a record that would be new.
      store.commit({
        conversations: [{ record: stale, expectedVersion: 7 }],
        customers: [{ record: makeCustomer({ id: 'cus-never' }), expectedVersion: null }],
      }),
      store.commit(messageBatch(conversation, 3, 'B')),
    ]);
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    for (const result of results.filter((r) => r.status === 'rejected')) {
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    }
    expect(store.stats().groups).toBe(groupsBefore + 1);
    const before = await contents(store, conversation);
    expect(before.events).toHaveLength(2);
    await store.close();
    const reopened = await openStore(dir);
    expect(await contents(reopened, conversation)).toEqual(before);
    expect(await reopened.getCustomer('cus-never')).toBeUndefined();
    expect((await reopened.getConversation(conversation.id))?.version).toBe(1);
    await reopened.close();
  });
});

describe('file store edge cases: compaction under load', () => {
  it('compactions interleaved with concurrent commits and claims lose nothing and double nothing', async () => {
    const dir = await dirs.make();
    // A small event log, so retention trims it across the snapshot/journal boundaries too.
    const options = { compactAfterBytes: 4096, eventRetention: 40 };
    const store = await openStore(dir, options);
    const conversation = await seed(store);
    const waves = 12;
    const perWave = 15;
    for (let wave = 0; wave < waves; wave++) {
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < perWave; i++) {
        const n = wave * perWave + i;
        const batch = messageBatch(conversation, n);
        batch.outbox = [{ messageId: `out-${n}`, channel: 'sms', attempts: 0, notBefore: 0 }];
        if (n % 3 === 0) batch.outboxDone = [`out-${n - 1}`];
        work.push(Promise.resolve(store.commit(batch)));
        if (i === perWave / 3) work.push(store.compact());
        if (i === 2) work.push(store.claimOutbox({ now: n, leaseMs: 1000, owner: `w${wave}`, limit: 2 }));
      }
      await Promise.all(work);
    }
    expect((await readdir(dir)).filter((name) => name.startsWith('snapshot-')).length).toBe(1);
    expect(store.stats().groups).toBeGreaterThan(waves);
    const before = await contents(store, conversation);
    expect(before.messages.map((m) => m.externalId)).toEqual(
      Array.from({ length: waves * perWave }, (_, i) => `E${i}`),
    );
    expect(before.count).toBe(waves * perWave);
    // The retained log is contiguous and ends at the last event.
    const cursors = before.events.map((entry) => Number(entry.cursor));
    expect(cursors).toEqual(cursors.map((_, i) => cursors[0]! + i));
    expect(cursors.at(-1)).toBe(waves * perWave);
    await store.close();
    await expectReopened(dir, conversation, before, options);
  });
});

describe('file store edge cases: a crash at each step of a later compaction', () => {
  it('every directory state a compaction of generation 3 passes through opens to the same state', async () => {
    const dir = await dirs.make();
    const saved = await dirs.make();
    let store = await openStore(dir);
    const conversation = await seed(store);
    for (let i = 0; i < 3; i++) await store.commit(messageBatch(conversation, i));
    await store.compact(); // snapshot 2, journal 2
    for (let i = 3; i < 6; i++) await store.commit(messageBatch(conversation, i));
    await store.close();
    await copyFile(join(dir, SNAPSHOT(2)), join(saved, SNAPSHOT(2)));
    await copyFile(join(dir, JOURNAL(2)), join(saved, JOURNAL(2)));
    store = await openStore(dir);
    await store.compact(); // snapshot 3, journal 3
    for (let i = 6; i < 9; i++) await store.commit(messageBatch(conversation, i));
    const expected = await contents(store, conversation);
    await store.close();
    await copyFile(join(dir, SNAPSHOT(3)), join(saved, SNAPSHOT(3)));
    await copyFile(join(dir, JOURNAL(3)), join(saved, JOURNAL(3)));

    const states: Record<string, string[]> = {
      'cut, no snapshot yet': [SNAPSHOT(2), JOURNAL(2), JOURNAL(3)],
      'snapshot renamed, nothing deleted': [SNAPSHOT(2), SNAPSHOT(3), JOURNAL(2), JOURNAL(3)],
      'old journal deleted, old snapshot not': [SNAPSHOT(2), SNAPSHOT(3), JOURNAL(3)],
      done: [SNAPSHOT(3), JOURNAL(3)],
    };
    for (const [step, files] of Object.entries(states)) {
      for (const name of await readdir(dir)) await rm(join(dir, name));
      for (const name of files) await copyFile(join(saved, name), join(dir, name));
      if (step === 'cut, no snapshot yet') {
        // A temp snapshot written halfway, and a group after the cut torn by the crash.
        await copyFile(join(saved, SNAPSHOT(3)), join(dir, `${SNAPSHOT(3)}.tmp`));
        await truncate(join(dir, `${SNAPSHOT(3)}.tmp`), 100);
        const journal = await readFile(join(saved, JOURNAL(3)));
        await writeFile(join(dir, JOURNAL(3)), Buffer.concat([journal, journal.subarray(0, 40)]));
      }
      await expectReopened(dir, conversation, expected);
      // Recovery drops the temp file and whatever the newest snapshot supersedes.
      const left = step === 'cut, no snapshot yet' ? files : [SNAPSHOT(3), JOURNAL(3)];
      expect((await readdir(dir)).sort(), step).toEqual([...left].sort());
    }
  });
});

describe('file store edge cases: lock', () => {
  for (const [what, content] of [
    ['garbage', 'not a pid\n'],
    ['an empty file', ''],
  ] as const) {
    it(`a lock holding ${what} is taken over with a warning`, async () => {
      const dir = await dirs.make();
      await writeFile(join(dir, 'LOCK'), content);
      const logger = recordingLogger();
      const store = await openStore(dir, { logger });
      expect(logger.warnings).toEqual([expect.stringContaining('taking over the stale lock')]);
      expect((await readFile(join(dir, 'LOCK'), 'utf8')).split('\n')[0]).toBe(String(process.pid));
      await store.close();
    });
  }

  it('a lock of a live process that is not ours (pid 1) is refused and left in place', async () => {
    const dir = await dirs.make();
    await writeFile(join(dir, 'LOCK'), '1\n');
    await expect(openStore(dir)).rejects.toThrow(`locked by process 1, which is still running`);
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toBe('1\n');
  });

  it('two concurrent opens of one directory in one process: exactly one gets it', async () => {
    const dir = await dirs.make();
    const results = await Promise.allSettled([openStore(dir), openStore(dir)]);
    const opened = results.filter(
      (r) => r.status === 'fulfilled',
    ) as PromiseFulfilledResult<FileStoreHandle>[];
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    for (const r of opened) await r.value.close();
    expect(opened).toHaveLength(1);
    expect(refused[0]!.reason).toBeInstanceOf(StorageError);
  });

  it('a lock path that cannot be read is a StorageError', async () => {
    const dir = await dirs.make();
    await mkdir(join(dir, 'LOCK'));
    await expect(openStore(dir)).rejects.toBeInstanceOf(StorageError);
  });
});

// Writes to /dev/full fail with ENOSPC: a full disk without a privileged mount.
describe.skipIf(!existsSync('/dev/full'))('file store edge cases: write errors', () => {
  it('a journal that cannot be written fails the whole group, every queued one, a compaction and every later write', async () => {
    const dir = await dirs.make();
    await symlink('/dev/full', join(dir, JOURNAL(1)));
    const store = await openStore(dir);
    const customer = makeCustomer();
    const first = store.commit({ customers: [{ record: customer, expectedVersion: null }] });
    const sameGroup = store.commit({ customers: [{ record: makeCustomer(), expectedVersion: null }] });
    const compaction = store.compact();
    await new Promise((resolve) => setImmediate(resolve));
    const queued = store.commit({ customers: [{ record: makeCustomer(), expectedVersion: null }] });
    for (const commit of [first, sameGroup, compaction, queued]) {
      await expect(commit).rejects.toBeInstanceOf(StorageError);
    }
    // The compaction's snapshot held the failed writes: it must not have been written.
    expect((await readdir(dir)).filter((name) => name.includes('snapshot'))).toEqual([]);
    await expect(store.getCustomer(customer.id)).rejects.toBeInstanceOf(StorageError);
    await expect(store.commit({})).rejects.toBeInstanceOf(StorageError);
    await expect(store.claimOutbox({ now: 0, leaseMs: 1, owner: 'w', limit: 1 })).rejects.toBeInstanceOf(
      StorageError,
    );
    await expect(store.compact()).rejects.toBeInstanceOf(StorageError);
    await store.close();
  });

  it('a snapshot that cannot be written fails compact() with a StorageError, leaves no temp file, keeps the store writable', async () => {
    const dir = await dirs.make();
    const store = await openStore(dir);
    const conversation = await seed(store);
    await store.commit(messageBatch(conversation, 1));
    const temp = join(dir, `${SNAPSHOT(2)}.tmp`);
    await symlink('/dev/full', temp);
    await expect(store.compact()).rejects.toBeInstanceOf(StorageError);
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    await store.commit(messageBatch(conversation, 2));
    await store.compact();
    const expected = await contents(store, conversation);
    await store.close();
    await expectReopened(dir, conversation, expected);
  });
});

describe('file store edge cases: provider ids a message no longer carries', () => {
  it('find the current record, not the one written when the id was dropped', async () => {
    const store = await openStore(await dirs.make());
    const conversation = await seed(store);
    const message = makeMessage(conversation, 1, { externalId: 'OLD' });
    await store.commit({ messages: [{ record: message, expectedVersion: null }] });
    const renamed = { ...message, externalId: 'NEW', version: 2 };
    await store.commit({ messages: [{ record: renamed, expectedVersion: 1 }] });
    const delivered = { ...renamed, status: 'delivered' as const, version: 3 };
    await store.commit({ messages: [{ record: delivered, expectedVersion: 2 }] });
    expect(await store.getMessageByExternalId('sms', 'NEW')).toEqual(delivered);
    expect(await store.getMessageByExternalId('sms', 'OLD')).toEqual(delivered);
    await store.close();
  });

  it('a provider id a message no longer carries still finds it after compaction and reopen', async () => {
    const dir = await dirs.make();
    let store = await openStore(dir);
    const conversation = await seed(store);
    const message = makeMessage(conversation, 1, { externalId: 'OLD' });
    await store.commit({ messages: [{ record: message, expectedVersion: null }] });
    const renamed = { ...message, externalId: 'NEW', version: 2 };
    await store.commit({ messages: [{ record: renamed, expectedVersion: 1 }] });
    expect(await store.getMessageByExternalId('sms', 'OLD')).toEqual(renamed);
    // The same provider id, moved to another channel.
    const other = makeMessage(conversation, 2, { externalId: 'X' });
    await store.commit({ messages: [{ record: other, expectedVersion: null }] });
    const moved = { ...other, channel: 'whatsapp', version: 2 };
    await store.commit({ messages: [{ record: moved, expectedVersion: 1 }] });
    await store.compact();
    await store.close();
    // The old id is kept by the snapshot (journal 1 is gone), which lists it.
    const chunks: { kind?: string }[] = [];
    await scanFrames(join(dir, SNAPSHOT(2)), (payload) => void chunks.push(JSON.parse(payload.toString())));
    expect(chunks.filter((chunk) => chunk.kind === 'formerExternalIds')).toHaveLength(1);
    store = await openStore(dir);
    expect(await store.getMessageByExternalId('sms', 'NEW')).toEqual(renamed);
    expect(await store.getMessageByExternalId('sms', 'OLD')).toEqual(renamed);
    expect(await store.getMessageByExternalId('sms', 'X')).toEqual(moved);
    expect(await store.getMessageByExternalId('whatsapp', 'X')).toEqual(moved);
    // So a redelivery under the old id is still a duplicate.
    await expect(
      store.commit({
        messages: [{ record: makeMessage(conversation, 2, { externalId: 'OLD' }), expectedVersion: null }],
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    await store.close();
  });
});

/** Mounts a tmpfs of `kb` KiB (needs root, as in CI containers); undefined when that is not allowed here. */
async function tinyFilesystem(kb: number): Promise<string | undefined> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  const mount = await dirs.make();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs', mount], { stdio: 'ignore' });
    return mount;
  } catch {
    return undefined;
  }
}

describe('file store edge cases: a full disk', () => {
  it('commits past the full disk reject with StorageError; reopen holds exactly the acknowledged ones', async (ctx) => {
    const mount = await tinyFilesystem(512);
    if (!mount) return ctx.skip('mounting a tmpfs needs root on Linux');
    try {
      const dir = join(mount, 'store');
      const store = await openStore(dir);
      const conversation = await seed(store);
      const { bavail, bsize } = await statfs(mount);
      await writeFile(join(mount, 'filler'), Buffer.alloc(bavail * bsize - 40 * 1024));
      const acknowledged: string[] = [];
      let failure: unknown;
      for (let i = 0; failure === undefined && i < 1000; i++) {
        const batch = messageBatch(conversation, i);
        (batch.messages![0]!.record.parts as { text: string }[])[0]!.text = 'x'.repeat(1500);
        await Promise.resolve(store.commit(batch)).then(
          () => acknowledged.push(`E${i}`),
          (error: unknown) => {
            failure = error;
          },
        );
      }
      expect(failure).toBeInstanceOf(StorageError);
      expect(acknowledged.length).toBeGreaterThan(5);
      await expect(store.commit(messageBatch(conversation, 5000))).rejects.toBeInstanceOf(StorageError);
      await store.close();
      await rm(join(mount, 'filler'));
      const logger = recordingLogger();
      const reopened = await openStore(dir, { logger });
      expect(await externalIds(reopened, conversation)).toEqual(acknowledged);
      // The write that hit the full disk left at most a torn record, which no caller was told was durable.
      for (const warning of logger.warnings) expect(warning).toContain('dropped a torn record');
      await reopened.close();
    } finally {
      execFileSync('umount', ['-l', mount]);
    }
  });
});

describe('file store edge cases: a snapshot missing a whole chunk', () => {
  it('is refused by the counts of its end record, not opened as a partial state', async () => {
    const dir = await dirs.make();
    const store = await openStore(dir);
    const conversation = await seed(store);
    for (let i = 0; i < 3; i++) await store.commit(messageBatch(conversation, i));
    await store.compact();
    await store.close();
    const path = join(dir, SNAPSHOT(2));
    // Every frame is intact: only the one holding the messages is gone.
    const frames: Buffer[] = [];
    await scanFrames(path, (payload) => {
      if (!payload.toString().startsWith('{"kind":"messages"'))
        frames.push(encodeFrame(Buffer.from(payload)));
    });
    expect(frames).toHaveLength(5); // header, customers, conversations, events, end
    await writeFile(path, Buffer.concat(frames));
    await expect(openStore(dir)).rejects.toThrow(`snapshot ${path} is damaged`);
  });
});
