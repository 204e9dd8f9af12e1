import { open, rm } from 'node:fs/promises';
import { StorageError } from '../../model/errors.js';
import type { MemoryState } from '../memory/state.js';
import { decodeGroup } from './codec.js';
import { hasValidFrameAfter, scanFrames } from './frame.js';
import { inDir, journalName, type Layout, readLayout, snapshotName, syncDir } from './layout.js';
import { readSnapshot } from './snapshot.js';

/** Where appending continues after recovery. */
export interface Recovered {
  generation: number;
  size: number;
}

interface RecoverOptions {
  dir: string;
  state: MemoryState;
  logger: { warn(message: string): void };
  fsync: boolean;
}

/**
 * Rebuilds the state of a store directory: the newest snapshot, then every journal from its
 * generation on, in order. A damaged record at the very end of the last journal (a write torn by a
 * crash: nothing valid follows it) is dropped with a warning and truncated away; damage anywhere
 * else throws, so a store never opens with a silently partial state.
 *
 * @throws StorageError naming the file and byte offset of the damage, or the missing file.
 */
export async function recover(options: RecoverOptions): Promise<Recovered> {
  const { dir, state } = options;
  const layout = await readLayout(dir);
  for (const name of layout.temporary) await rm(inDir(dir, name), { force: true });
  const snapshot = layout.snapshots[layout.snapshots.length - 1];
  if (snapshot !== undefined) {
    const path = inDir(dir, snapshotName(snapshot));
    state.finishLoad(await readSnapshot(path, snapshot, (kind, records) => state.loadRecords(kind, records)));
  }
  const journals = journalsToReplay(dir, layout, snapshot ?? 1);
  let size = 0;
  for (const [i, generation] of journals.entries()) {
    size = await replayJournal(options, generation, i === journals.length - 1);
  }
  await removeBefore(dir, layout, snapshot ?? 1, false);
  return { generation: journals[journals.length - 1] ?? snapshot ?? 1, size };
}

function journalsToReplay(dir: string, layout: Layout, first: number): number[] {
  const journals = layout.journals.filter((generation) => generation >= first);
  for (const [i, generation] of journals.entries()) {
    if (generation !== first + i) {
      throw new StorageError(
        `file store: ${inDir(dir, journalName(first + i))} is missing (found ${journalName(generation)} after it); restore the directory from a backup`,
      );
    }
  }
  if (journals.length === 0 && layout.journals.length > 0) {
    throw new StorageError(
      `file store: ${dir} has journals but not the snapshot they follow; restore the directory from a backup`,
    );
  }
  return journals;
}

async function replayJournal(options: RecoverOptions, generation: number, last: boolean): Promise<number> {
  const path = inDir(options.dir, journalName(generation));
  const scan = await scanFrames(path, (payload, offset) => {
    try {
      for (const batch of decodeGroup(payload)) options.state.applyQuietly(batch);
    } catch (error) {
      throw new StorageError(`file store: record at byte ${offset} of ${path} cannot be applied`, {
        cause: error,
      });
    }
  });
  if (!scan.damage) return scan.end;
  const { offset, problem } = scan.damage;
  if (!last || (await hasValidFrameAfter(path, offset))) {
    throw new StorageError(
      `file store: ${path} is damaged at byte ${offset} (${problem}) and valid records follow; refusing to open a partial state, restore the directory from a backup`,
    );
  }
  options.logger.warn(
    `file store: dropped a torn record at the end of ${path} (byte ${offset} of ${scan.size}: ${problem}); it was never acknowledged`,
  );
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(offset);
    if (options.fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  return offset;
}

/** Deletes journals and snapshots older than `generation` (leftovers of an interrupted compaction). */
export async function removeBefore(
  dir: string,
  layout: Layout,
  generation: number,
  fsync: boolean,
): Promise<void> {
  const old = [
    ...layout.journals.filter((g) => g < generation).map(journalName),
    ...layout.snapshots.filter((g) => g < generation).map(snapshotName),
  ];
  for (const name of old) await rm(inDir(dir, name), { force: true });
  if (old.length > 0 && fsync) await syncDir(dir);
}
