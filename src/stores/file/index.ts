import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Store } from '../../core/store.js';
import type { Logger } from '../../core/types.js';
import { StorageError, ValidationError } from '../../model/errors.js';
import type { JournalStats } from './journal.js';
import { FileStore } from './store.js';

export type { JournalStats } from './journal.js';

/** Options of {@link fileStore}. */
export interface FileStoreOptions {
  /**
   * The store's directory (created if missing). One store owns it at a time, across processes and
   * worker threads: open it in one thread and share the store.
   */
  dir: string;
  /** Journal size in bytes past which a background compaction starts. Default 64 MiB. */
  compactAfterBytes?: number;
  /**
   * fsync every group commit and every compaction step. Default true. `false` is UNSAFE: a power
   * loss or OS crash can then lose acknowledged writes (a process crash still loses nothing).
   * Only for tests and benchmarks.
   */
  fsync?: boolean;
  /** How many events the event log keeps (oldest dropped first). Default 10 000, as in the memory store. */
  eventRetention?: number;
  /**
   * How long an open waits, in ms, for a live holder of the directory (another process, container
   * or thread) to close it before refusing. Default 0: refused as soon as the holder is seen to
   * run. A rolling deploy sets it so the new container waits for the old one to stop.
   */
  lockWaitMs?: number;
  /** Where recovery warnings (a dropped torn record, a stale lock) and background errors go. Default `console`. */
  logger?: Pick<Logger, 'warn' | 'error'>;
}

/** The file store: a {@link Store} plus `compact()` and `stats()`. */
export interface FileStoreHandle extends Store {
  /** Snapshots the state and drops older journals (also runs on its own past `compactAfterBytes`). */
  compact(): Promise<void>;
  /** Group-commit counters since open (`records / groups` records shared each fsync on average). */
  stats(): JournalStats;
}

function invalid(field: string, message: string): never {
  throw new ValidationError('file store options', [{ path: [field], message }]);
}

function nonNegative(field: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    invalid(field, 'must be a number of ms, 0 or more');
  return value;
}

function positive(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    invalid(field, 'must be a positive number');
  return value;
}

/**
 * A durable store for one Node process: everything memory-resident for reads (as fast as the
 * memory store), made durable by an append-only journal in `dir` with group commit (concurrent
 * commits share one fsync) and snapshot compaction. `commit` resolves only once the batch is on
 * disk; a process killed at any moment loses nothing acknowledged. See docs/storage.md.
 *
 * Opening takes the directory's lock, loads the newest snapshot and replays the journal after it.
 * A torn record at the end (a crash mid-write) is dropped with a warning. The lock (`LOCK`) names
 * the owner's pid, start time, pid namespace and thread, and an open store refreshes its mtime
 * every second (an unref'd timer). A lock of a process that is gone, of an earlier process that had
 * our pid (a container's pid 1 after a restart), or of a thread or another namespace's process
 * (another container) that stopped without closing (no heartbeat for 10 s; the open waits out the
 * rest of that) is stale and taken over with a warning. A live holder is waited for up to
 * `lockWaitMs`.
 *
 * @throws ValidationError for a wrong option.
 * @throws StorageError when another live process or another thread of this process holds the
 * directory (naming its pid, and the thread: told apart by its heartbeat, which takes up to a
 * second to see), when a record in the middle of a journal or a snapshot is damaged (naming the
 * file and byte offset), or when the directory cannot be read or written.
 *
 * @example
 * const store = await fileStore({ dir: './data/support' });
 * const desk = createDesk({ store });
 */
export async function fileStore(options: FileStoreOptions): Promise<FileStoreHandle> {
  if (typeof options?.dir !== 'string' || options.dir.length === 0)
    invalid('dir', 'must be a non-empty path');
  if (options.fsync !== undefined && typeof options.fsync !== 'boolean')
    invalid('fsync', 'must be a boolean');
  const dir = resolve(options.dir);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new StorageError(`file store: cannot create the directory ${dir}`, { cause: error });
  }
  return FileStore.open({
    dir,
    compactAfterBytes: positive('compactAfterBytes', options.compactAfterBytes, 64 * 1024 * 1024),
    eventRetention: positive('eventRetention', options.eventRetention, 10_000),
    fsync: options.fsync ?? true,
    lockWaitMs: nonNegative('lockWaitMs', options.lockWaitMs),
    logger: options.logger ?? console,
  });
}
