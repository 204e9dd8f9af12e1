import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/model/errors.js';
import { fileStore } from '../../../src/stores/file/index.js';
import { openStore, recordingLogger, tempDirs } from './helpers.js';
import { exited, killChildrenAfterEach, runLockChild } from './lock-processes.js';

/** `lockWaitMs`: an open that waits for a live holder to close (a rolling deploy's new process). */

const dirs = tempDirs();
killChildrenAfterEach();
afterAll(() => dirs.cleanup());

describe('file store: lockWaitMs', () => {
  it('waits for a live holder to close, then opens without a takeover', async () => {
    const dir = await dirs.make();
    const holder = await runLockChild('hold', dir, false);
    expect((await holder.ask('commit')).committed).toBe(true);
    const logger = recordingLogger();
    const started = Date.now();
    const opening = openStore(dir, { lockWaitMs: 10_000, logger });
    setTimeout(() => holder.child.stdin.end(), 1_500); // the old process shuts down
    const store = await opening;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    await exited(holder.child);
    expect(logger.warnings).toEqual([]);
    // What the holder wrote is there: it closed cleanly before this store read the directory.
    expect(await store.listConversations({ limit: 10 })).toHaveLength(1);
    await store.close();
  }, 20_000);

  it('refuses once lockWaitMs has passed with the holder still running', async () => {
    const dir = await dirs.make();
    const holder = await runLockChild('hold', dir, false);
    const started = Date.now();
    await expect(openStore(dir, { lockWaitMs: 2_000 })).rejects.toThrow(
      `locked by process ${holder.line.pid}, which is still running`,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 20_000);

  it('without lockWaitMs, a live holder is refused at once', async () => {
    const dir = await dirs.make();
    await runLockChild('hold', dir, false);
    const started = Date.now();
    await expect(openStore(dir)).rejects.toThrow('which is still running');
    expect(Date.now() - started).toBeLessThan(1_000);
  }, 20_000);

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number])(
    'lockWaitMs %s is a ValidationError',
    async (lockWaitMs) => {
      const dir = await dirs.make();
      await expect(fileStore({ dir, lockWaitMs })).rejects.toThrow(ValidationError);
      await expect(fileStore({ dir, lockWaitMs })).rejects.toThrow('lockWaitMs');
    },
  );
});
