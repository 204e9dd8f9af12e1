import { open, rename, rm } from 'node:fs/promises';
import { StorageError } from '../../model/errors.js';
import { type SnapshotList, type StateSnapshot, snapshotLists } from '../memory/state.js';
import { encodeFrame, scanFrames } from './frame.js';
import { inDir, snapshotName, syncDir } from './layout.js';
import { type Builders, fromRows, RowChunkBuilder } from './rows.js';

/**
 * A snapshot file is a run of frames: a header `{ format, version, generation, nextSeq }`, then
 * chunks `{ kind, shapes, fixed?, rows }` of at most CHUNK records (and about CHUNK_CHARS of JSON)
 * each (see rows.ts), then `{ end: true, counts }`. Chunks keep every JSON.parse small and let a
 * large state be written without one giant string. Version 1 chunks (`{ kind, items }`, a record
 * per item) are still read, as are versions 2 and 3 (before version 3 added the
 * `formerExternalIds` list and version 4 a shape's fixed values).
 */
const FORMAT = 'threadline-file-snapshot';
const VERSION = 4;
const READABLE_VERSIONS: readonly unknown[] = [1, 2, 3, 4];
const CHUNK = 1000;
/** A chunk closes past this much JSON, so a few huge records (long emails) still make small frames. */
const CHUNK_CHARS = 4 * 1024 * 1024;
const FLUSH_BYTES = 4 * 1024 * 1024;

const json = (value: unknown) => encodeFrame(Buffer.from(JSON.stringify(value)));

/** One kind's records in chunks of at most CHUNK records and about CHUNK_CHARS of JSON each. */
function* chunks(kind: SnapshotList, list: readonly object[]): Generator<Buffer> {
  let chunk = new RowChunkBuilder(kind);
  for (const record of list) {
    if (chunk.add(record, CHUNK, CHUNK_CHARS)) continue;
    yield encodeFrame(Buffer.from(chunk.payload()));
    chunk = new RowChunkBuilder(kind);
    chunk.add(record);
  }
  if (chunk.size > 0) yield encodeFrame(Buffer.from(chunk.payload()));
}

function* frames(generation: number, state: StateSnapshot): Generator<Buffer> {
  yield json({ format: FORMAT, version: VERSION, generation, nextSeq: state.nextSeq });
  for (const kind of snapshotLists) yield* chunks(kind, state[kind]);
  yield json({
    end: true,
    counts: Object.fromEntries(snapshotLists.map((kind) => [kind, state[kind].length])),
  });
}

/** Writes a snapshot's frames to `path`, fsynced when `fsync`. */
async function writeFrames(path: string, generation: number, state: StateSnapshot, fsync: boolean) {
  const handle = await open(path, 'w');
  try {
    let pending: Buffer[] = [];
    let bytes = 0;
    const flush = async () => {
      await handle.write(Buffer.concat(pending, bytes));
      pending = [];
      bytes = 0;
    };
    for (const frame of frames(generation, state)) {
      pending.push(frame);
      bytes += frame.length;
      if (bytes >= FLUSH_BYTES) await flush();
    }
    await flush();
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes the snapshot of `generation` atomically: to a temp file, fsynced, renamed over the final
 * name, then the directory fsynced. A crash at any step leaves either no snapshot of this
 * generation (the temp file is deleted on the next open) or a complete one; a failed write (a full
 * disk) deletes the temp file at once, so a retried compaction does not find the disk fuller.
 */
export async function writeSnapshot(
  dir: string,
  generation: number,
  state: StateSnapshot,
  fsync: boolean,
): Promise<void> {
  const path = inDir(dir, snapshotName(generation));
  const temp = `${path}.tmp`;
  try {
    await writeFrames(temp, generation, state, fsync);
    await rename(temp, path);
  } catch (error) {
    // The write's error is the one to report; a temp file that cannot be deleted goes on the next open.
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
  if (fsync) await syncDir(dir);
}

function corrupt(path: string, offset: number, what: string): StorageError {
  return new StorageError(
    `file store: snapshot ${path} is damaged at byte ${offset} (${what}); restore the directory from a backup`,
  );
}

/**
 * Checks the records read against the end record's counts: a whole chunk missing (every frame
 * intact) would otherwise load as a silently partial state.
 */
function checkCounts(
  path: string,
  counts: { offset: number; of: Record<string, unknown> },
  loaded: ReadonlyMap<SnapshotList, number>,
): void {
  for (const kind of snapshotLists) {
    const expected = counts.of[kind] ?? 0;
    const found = loaded.get(kind) ?? 0;
    if (expected !== found) {
      throw corrupt(
        path,
        counts.offset,
        `its end record counts ${String(expected)} ${kind}, ${found} were read`,
      );
    }
  }
}

/**
 * Reads and verifies a snapshot file, handing each chunk's records to `load` as it is parsed (in
 * snapshot order), and resolves with the header's `nextSeq`.
 * @throws StorageError naming the file and offset of any damage.
 */
export async function readSnapshot(
  path: string,
  generation: number,
  load: <K extends SnapshotList>(kind: K, records: StateSnapshot[K]) => void,
): Promise<number> {
  let nextSeq: number | undefined;
  let version: unknown;
  let ended = false;
  /** The end record's count of each list, and where it is. */
  let counts: { offset: number; of: Record<string, unknown> } | undefined;
  const loaded = new Map<SnapshotList, number>();
  const builders: Builders = new Map();
  const scan = await scanFrames(path, (payload, offset) => {
    const value = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    if (nextSeq === undefined) {
      version = value.version;
      if (
        value.format !== FORMAT ||
        !READABLE_VERSIONS.includes(version) ||
        value.generation !== generation
      ) {
        throw corrupt(path, offset, `not a snapshot of generation ${generation} in a readable version`);
      }
      nextSeq = value.nextSeq as number;
      return;
    }
    if (value.end === true) {
      ended = true;
      if (typeof value.counts === 'object' && value.counts !== null) {
        counts = { offset, of: value.counts as Record<string, unknown> };
      }
      return;
    }
    const kind = value.kind as SnapshotList;
    const records =
      version === 1
        ? value.items
        : fromRows(value as { shapes: unknown; fixed?: unknown; rows: unknown }, builders);
    if (ended || !snapshotLists.includes(kind) || !Array.isArray(records))
      throw corrupt(path, offset, 'unexpected chunk');
    load(kind, records as never);
    loaded.set(kind, (loaded.get(kind) ?? 0) + records.length);
  });
  if (scan.damage) throw corrupt(path, scan.damage.offset, scan.damage.problem);
  if (!ended || nextSeq === undefined) throw corrupt(path, scan.end, 'it ends before its end marker');
  if (counts) checkCounts(path, counts, loaded);
  return nextSeq;
}
