import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FOREIGN_WATCH_MS, STALE_MS } from '../../../src/stores/file/lock.js';
import { openStore, recordingLogger, tempDirs } from './helpers.js';
import { exited, killChildrenAfterEach, requireUnshare, runLockChild } from './lock-processes.js';

/**
 * Two containers sharing a store directory (a rolling deploy starts the new one before the old one
 * stops) each see their own pids: the other's process is no process here, or has our own pid (both
 * are pid 1). The lock tells them apart by pid namespace and then trusts only the heartbeat. These
 * tests run real processes in namespaces of their own (`unshare --pid`, as a container runtime does).
 */

const dirs = tempDirs();
killChildrenAfterEach();
afterAll(() => dirs.cleanup());

const inNamespace = (mode: 'hold' | 'leave' | 'open', dir: string) => runLockChild(mode, dir, true);
const available = requireUnshare('the file store lock across pid namespaces');

describe.runIf(available)('file store lock across pid namespaces', () => {
  it("a process of another namespace does not take over this process's live lock", async () => {
    const dir = await dirs.make();
    const store = await openStore(dir);
    const lock = await readFile(join(dir, 'LOCK'), 'utf8');
    // Our pid is no process in the child's namespace: by pid alone, the holder looks gone.
    const { line } = await inNamespace('open', dir);
    expect(line.error).toContain(`locked by process ${process.pid} of another pid namespace`);
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toBe(lock);
    await store.close();
  }, 20_000);

  it('two containers that are both pid 1: the second is refused while the first runs', async () => {
    const dir = await dirs.make();
    const first = await inNamespace('hold', dir);
    expect(first.line).toMatchObject({ pid: 1, holding: true });
    const second = await inNamespace('open', dir);
    expect(second.line.pid).toBe(1);
    expect(second.line.error).toContain('locked by process 1 of another pid namespace');
    // Once the first closes (its stdin ends), the second opens without a takeover.
    first.child.stdin.end();
    await exited(first.child);
    const third = await inNamespace('open', dir);
    expect(third.line).toMatchObject({ pid: 1, opened: true, warnings: [] });
  }, 30_000);

  it('the lock of a container that stopped without closing is taken over once its heartbeat is silent', async () => {
    const dir = await dirs.make();
    const gone = await inNamespace('leave', dir);
    await exited(gone.child);
    // It stopped a minute ago: the opener watches the heartbeat for FOREIGN_WATCH_MS, not STALE_MS.
    const past = new Date(Date.now() - 60_000);
    await utimes(join(dir, 'LOCK'), past, past);
    const logger = recordingLogger();
    const started = Date.now();
    const store = await openStore(dir, { logger });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(FOREIGN_WATCH_MS - 50);
    expect(waited).toBeLessThan(STALE_MS);
    expect(logger.warnings).toEqual([
      expect.stringMatching(
        /taking over the stale lock .*process 1 of another pid namespace .*no heartbeat for 6\d s/,
      ),
    ]);
    expect((await readFile(join(dir, 'LOCK'), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await store.close();
  }, 30_000);
});

describe('file store lock of another pid namespace (written by hand)', () => {
  /** A lock as a process of another container writes it: here, with our own pid. */
  const foreignLock = `${process.pid}\nstart=1\nns=another-boot/pid:[4026532999]\nthread=0\ntoken=t\n`;

  it('is refused while its heartbeat moves, even when its pid is ours', async () => {
    const dir = await dirs.make();
    const path = join(dir, 'LOCK');
    await writeFile(path, foreignLock);
    const beat = setInterval(() => {
      const now = new Date();
      void utimes(path, now, now);
    }, 200);
    try {
      await expect(openStore(dir)).rejects.toThrow(
        `locked by process ${process.pid} of another pid namespace`,
      );
    } finally {
      clearInterval(beat);
    }
    expect(await readFile(path, 'utf8')).toBe(foreignLock);
  }, 20_000);

  it('an mtime far behind our clock is still watched before the takeover', async () => {
    const dir = await dirs.make();
    const path = join(dir, 'LOCK');
    await writeFile(path, foreignLock);
    // A holder whose clock is an hour behind ours, beating every 200 ms.
    const beat = setInterval(() => {
      const behind = new Date(Date.now() - 3_600_000);
      void utimes(path, behind, behind);
    }, 200);
    try {
      await expect(openStore(dir)).rejects.toThrow('of another pid namespace');
    } finally {
      clearInterval(beat);
    }
  }, 20_000);
});
