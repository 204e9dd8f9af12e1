import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The files of a store directory. Generation `g` pairs a snapshot with the journal that follows
 * it: `snapshot-g.snap` holds the state before anything in `journal-g.log` (and later journals).
 */
export const LOCK_FILE = 'LOCK';

const pad = (generation: number) => String(generation).padStart(12, '0');

/** File name of the journal of a generation. */
export const journalName = (generation: number) => `journal-${pad(generation)}.log`;
/** File name of the snapshot of a generation. */
export const snapshotName = (generation: number) => `snapshot-${pad(generation)}.snap`;

/** What a directory listing holds, by generation (ascending). */
export interface Layout {
  journals: number[];
  snapshots: number[];
  /** Leftovers of an interrupted compaction (`*.tmp`), safe to delete. */
  temporary: string[];
}

/** Lists a store directory. */
export async function readLayout(dir: string): Promise<Layout> {
  const layout: Layout = { journals: [], snapshots: [], temporary: [] };
  for (const name of await readdir(dir)) {
    const match = /^(journal|snapshot)-(\d{12})\.(log|snap)$/.exec(name);
    if (match) (match[1] === 'journal' ? layout.journals : layout.snapshots).push(Number(match[2]));
    else if (name.endsWith('.tmp')) layout.temporary.push(name);
  }
  layout.journals.sort((a, b) => a - b);
  layout.snapshots.sort((a, b) => a - b);
  return layout;
}

/**
 * Makes a directory's entries durable (a created, renamed or deleted file survives power loss).
 * Some platforms (Windows) cannot open a directory; there the rename itself is the best we get.
 */
export async function syncDir(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (process.platform !== 'win32') throw error;
  } finally {
    await handle?.close();
  }
}

/** Joins a directory and a file name (re-exported so callers need no node:path). */
export const inDir = (dir: string, name: string) => join(dir, name);
