import { readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../../src/model/errors.js';
import { HEARTBEAT_MS } from '../../../src/stores/file/lock.js';
import { makeConversation, makeCustomer, makeMessage } from '../../../src/testing/records.js';
import { openStore, recordingLogger, tempDirs } from './helpers.js';
import { exited, killChildrenAfterEach, requireUnshare, runLockChild } from './lock-processes.js';

/**
 * A store whose lock another store took over (its event loop stalled past the heartbeat's limit,
 * its container was paused) must stop writing: two stores appending to one journal would interleave
 * their records. It finds out with one `stat` of the lock file before each write.
 */

const dirs = tempDirs();
killChildrenAfterEach();
afterAll(() => dirs.cleanup());

function batch(tag: string) {
  const customer = makeCustomer({ id: `cus-${tag}` });
  const conversation = makeConversation(customer.id, { id: `con-${tag}` });
  return {
    customers: [{ record: customer, expectedVersion: null }],
    conversations: [{ record: conversation, expectedVersion: null }],
    messages: [{ record: makeMessage(conversation, 0, { id: `msg-${tag}` }), expectedVersion: null }],
  };
}

/** Bytes in the directory's journals. */
async function journalBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir))
    if (name.startsWith('journal-')) total += (await stat(join(dir, name))).size;
  return total;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('file store: a lock taken over', () => {
  it('refuses every write after another store took its lock over, and leaves the new lock alone', async () => {
    const dir = await dirs.make();
    const logger = recordingLogger();
    const store = await openStore(dir, { logger });
    await store.commit(batch('before'));
    const path = join(dir, 'LOCK');
    // What a takeover does: the old lock moved aside, a new one created in its place.
    await rename(path, `${path}.aside`);
    await unlink(`${path}.aside`);
    const theirs = '4242\nns=elsewhere\nthread=0\ntoken=theirs\n';
    await writeFile(path, theirs);
    const { mtimeMs } = await stat(path);
    const bytes = await journalBytes(dir);

    const refusal = store.commit(batch('after'));
    await expect(refusal).rejects.toThrow(StorageError);
    await expect(refusal).rejects.toThrow(
      /the lock of .* is no longer this store's \(another store took it over\)/,
    );
    await expect(store.commit(batch('later'))).rejects.toThrow(/no longer this store's/);
    await expect(store.compact()).rejects.toThrow(StorageError);
    expect(await journalBytes(dir)).toBe(bytes);
    // Its heartbeat stopped: the new holder's lock is not kept fresh by a store that lost it.
    await sleep(HEARTBEAT_MS * 1.5);
    expect((await stat(path)).mtimeMs).toBe(mtimeMs);
    await store.close();
    expect(await readFile(path, 'utf8')).toBe(theirs);
    expect(logger.warnings.filter((w) => w.includes('no longer this store'))).toHaveLength(1);
  });

  it('refuses writes once its lock file was deleted by hand', async () => {
    const dir = await dirs.make();
    const store = await openStore(dir);
    await unlink(join(dir, 'LOCK'));
    await expect(store.commit(batch('x'))).rejects.toThrow(/no longer this store's \(it was removed\)/);
    await store.close();
  });

  it('an idle store finds out at its next heartbeat, and warns', async () => {
    const dir = await dirs.make();
    const logger = recordingLogger();
    const store = await openStore(dir, { logger });
    await unlink(join(dir, 'LOCK'));
    await sleep(HEARTBEAT_MS * 1.5);
    expect(logger.warnings).toEqual([expect.stringContaining('no longer this store')]);
    await store.close();
  });
});

const available = requireUnshare('a paused container losing its file store lock');

describe.runIf(available)('file store: a paused container', () => {
  it('a paused holder, taken over by another container, refuses to write when it resumes', async () => {
    const dir = await dirs.make();
    const old = await runLockChild('hold', dir, false);
    expect(old.line.holding).toBe(true);
    expect((await old.ask('commit')).committed).toBe(true);
    // docker pause: the holder stops, heartbeat and all.
    old.child.kill('SIGSTOP');
    // The new container waits out the silent heartbeat (up to 10 s), then takes the directory.
    const fresh = await runLockChild('hold', dir, true);
    expect(fresh.line).toMatchObject({ pid: 1, holding: true });
    const kept = await fresh.ask('commit');
    expect(kept.committed).toBe(true);
    old.child.kill('SIGCONT');
    const refused = await old.ask('commit');
    expect(refused.error).toMatch(/no longer this store's \(another store took it over\)/);
    fresh.child.stdin.end();
    old.child.stdin.end();
    await Promise.all([exited(fresh.child), exited(old.child)]);
    // The journal holds both stores' acknowledged writes, each once, and nothing of the refused one.
    const store = await openStore(dir);
    const messages = await store.listConversations({ limit: 100 });
    expect(messages).toHaveLength(2);
    expect(await store.getMessage(kept.id as string)).toBeDefined();
    await store.close();
  }, 30_000);
});
