import { open, rename } from 'node:fs/promises';
import { StorageError } from '../../model/errors.js';
import { type SnapshotList, type StateSnapshot, snapshotLists } from '../memory/state.js';
import { encodeFrame, scanFrames } from './frame.js';
import { inDir, snapshotName, syncDir } from './layout.js';
import { type Builders, fromRows, RowChunkBuilder } from './rows.js';

/**
 * A snapshot file is a run of frames: a header `{ format, version, generation, nextSeq }`, then
 * chunks `{ kind, shapes, rows }` of at most CHUNK records (and about CHUNK_CHARS of JSON) each
 * (see rows.ts), then `{ end: true, counts }`. Chunks keep every JSON.parse small and let a large
 * state be written without one giant string. Version 1 chunks (`{ kind, items }`, a record per
 * item) are still read.
 */
const FORMAT = 'threadline-file-snapshot';
const VERSION = 2;
const READABLE_VERSIONS: readonly unknown[] = [1, 2];
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

/**
 * Writes the snapshot of `generation` atomically: to a temp file, fsynced, renamed over the final
 * name, then the directory fsynced. A crash at any step leaves either no snapshot of this
 * generation (the temp file is deleted on the next open) or a complete one.
 */
export async function writeSnapshot(
  dir: string,
  generation: number,
  state: StateSnapshot,
  fsync: boolean,
): Promise<void> {
  const path = inDir(dir, snapshotName(generation));
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w');
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
  await rename(temp, path);
  if (fsync) await syncDir(dir);
}

function corrupt(path: string, offset: number, what: string): StorageError {
  return new StorageError(
    `file store: snapshot ${path} is damaged at byte ${offset} (${what}); restore the directory from a backup`,
  );
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
      return;
    }
    const records =
      version === 1 ? value.items : fromRows(value as { shapes: unknown; rows: unknown }, builders);
    if (ended || !snapshotLists.includes(value.kind as SnapshotList) || !Array.isArray(records))
      throw corrupt(path, offset, 'unexpected chunk');
    load(value.kind as SnapshotList, records as never);
  });
  if (scan.damage) throw corrupt(path, scan.damage.offset, scan.damage.problem);
  if (!ended || nextSeq === undefined) throw corrupt(path, scan.end, 'it ends before its end marker');
  return nextSeq;
}
