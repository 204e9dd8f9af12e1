import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { StorageError } from '../../model/errors.js';
import { encodeFrame, MAX_PAYLOAD } from './frame.js';
import { inDir, journalName, syncDir } from './layout.js';

/** A read-visibility key: a record object a group writes, or the id of an outbox entry it removes. */
export type PendingKey = object | string;

/**
 * One group commit: the batches appended while the previous group was being written. They are
 * written as ONE framed record (a JSON array of the batches) with one `write` and made durable
 * with one fsync; `done` settles for all of them. The record on disk is thus the unit that was
 * acknowledged: a write torn by a crash or power cut can only damage the last record, which no
 * caller had been told was durable, and a damaged record with valid ones after it is corruption.
 */
export interface Group {
  /** The JSON of each batch. */
  payloads: Buffer[];
  /** Payload bytes of the frame so far (brackets and commas included). */
  bytes: number;
  /** Read-visibility keys of what this group writes (see the file store's `pending`). */
  keys: PendingKey[];
  /** Switch to the next journal generation once this group is durable (compaction's cut). */
  rotate: boolean;
  /** Closed to new batches (cut, full, or written early; see `JournalWriter.append`). */
  sealed: boolean;
  /** `performance.now()` when the group opened. */
  openedAt: number;
  done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function newGroup(): Group {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Whoever awaits `done` still sees a rejection; this only stops an unobserved one crashing the process.
  done.catch(() => {});
  return {
    payloads: [],
    bytes: 2,
    keys: [],
    rotate: false,
    sealed: false,
    openedAt: performance.now(),
    done,
    resolve,
    reject,
  };
}

/** The group's frame: `[batch,batch,...]`, framed. */
function groupFrame(group: Group): Buffer {
  const payload = Buffer.allocUnsafe(group.bytes);
  let at = 0;
  payload[at++] = 0x5b; // [
  for (const [i, batch] of group.payloads.entries()) {
    if (i > 0) payload[at++] = 0x2c; // ,
    at += batch.copy(payload, at);
  }
  payload[at] = 0x5d; // ]
  return encodeFrame(payload);
}

/**
 * With fsync on, the journal is opened with O_DSYNC where the platform has it: each write returns
 * only once its data is on disk, so a group's write and flush are one operation on the I/O
 * thread pool, and it overlaps whatever commits the event loop is computing meanwhile (a separate
 * fdatasync could only be issued once the loop got back to the write's completion). Elsewhere
 * each write is followed by an fdatasync.
 */
const DSYNC: number | undefined = constants.O_DSYNC;

function journalFlags(fsync: boolean, create: 'append' | 'new'): number | string {
  if (!fsync || DSYNC === undefined) return create === 'append' ? 'a' : 'wx';
  const base = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | DSYNC;
  return create === 'append' ? base : base | constants.O_EXCL;
}

/** The largest batch a group can take (its frame adds two brackets). */
export const MAX_BATCH = MAX_PAYLOAD - 2;

/** Counters of a journal writer since it opened (see `FileStoreHandle.stats`). */
export interface JournalStats {
  /** Group commits written (each one write and, with fsync on, one fdatasync). */
  groups: number;
  /** Batches written (one per commit or journaled claim). */
  records: number;
  /** Bytes appended. */
  bytes: number;
}

/** Options of {@link JournalWriter}. */
export interface JournalWriterOptions {
  dir: string;
  generation: number;
  /** Bytes already in the journal (appending continues there). */
  size: number;
  fsync: boolean;
  /** Called once a group is durable, before its waiters resume. */
  onDurable(group: Group): void;
  /**
   * Called before each group is written: throwing (the store lost its directory's lock) fails the
   * writer for good with that error, before any byte of the group is written.
   */
  guard?(): void;
}

/**
 * Appends batches to the current journal with group commit: the first append starts a write;
 * appends arriving meanwhile queue into the next group, written and fsynced together.
 * After a failed write or fsync the writer is failed for good (the page cache state of the file is
 * unknown after a failed fsync), and every append rejects with that StorageError.
 */
export class JournalWriter {
  private queue: Group[] = [];
  /** The group being written: closed to new records. */
  private writing: Group | undefined;
  /** A drain is scheduled (not yet running). */
  private scheduled = false;
  /** The drain loop is running. */
  private active = false;
  /**
   * How long the last group took to write and flush, in ms, as the event loop saw it (from the
   * write's start to its completion being handled); Infinity until one was written.
   */
  private lastIoMs = Number.POSITIVE_INFINITY;
  private failure: StorageError | undefined;
  private handle: FileHandle | undefined;
  /** Counters since open. */
  readonly stats: JournalStats = { groups: 0, records: 0, bytes: 0 };
  private constructor(
    private readonly options: JournalWriterOptions,
    public generation: number,
    public size: number,
  ) {}

  /** Opens (creating if needed) the journal of `options.generation` for appending. */
  static async open(options: JournalWriterOptions): Promise<JournalWriter> {
    const writer = new JournalWriter(options, options.generation, options.size);
    writer.handle = await open(
      inDir(options.dir, journalName(options.generation)),
      journalFlags(options.fsync, 'append'),
    );
    if (options.size === 0 && options.fsync) await syncDir(options.dir);
    return writer;
  }

  /** The error that failed the writer, if it failed. */
  get failed(): StorageError | undefined {
    return this.failure;
  }

  /** Queues one batch's JSON (at most MAX_BATCH bytes); the returned group's `done` settles once it is durable. */
  append(payload: Buffer, keys: readonly PendingKey[]): Group {
    let group = this.openGroup();
    if (group.payloads.length > 0 && group.bytes + 1 + payload.length > MAX_PAYLOAD) {
      group.sealed = true;
      group = this.openGroup();
    }
    group.bytes += (group.payloads.length > 0 ? 1 : 0) + payload.length;
    group.payloads.push(payload);
    for (const key of keys) group.keys.push(key);
    // While the writer is idle, a group that has been filling for as long as the last write and
    // flush took starts now, and later batches go to the next group: the flush then runs while
    // the rest of a long burst of commits is computed, instead of after it. A burst shorter than
    // a flush (a slow disk, or few commits) is written whole, as before.
    if (!this.active && performance.now() - group.openedAt >= this.lastIoMs) {
      group.sealed = true;
      void this.drain();
    }
    return group;
  }

  /**
   * Cuts the journal here: everything appended so far goes to the current generation, everything
   * after to the next. Resolves once the current journal is durable and the next one exists.
   */
  cut(): Promise<void> {
    const group = this.openGroup();
    group.rotate = true;
    group.sealed = true;
    return group.done;
  }

  /** Resolves once everything appended so far is durable. */
  settled(): Promise<void> {
    const last = this.queue[this.queue.length - 1] ?? this.writing;
    return last ? last.done : this.failure ? Promise.reject(this.failure) : Promise.resolve();
  }

  /** Writes what is queued, then closes the file. */
  async close(): Promise<void> {
    await this.settled().catch(() => {});
    await this.handle?.close();
    this.handle = undefined;
  }

  private openGroup(): Group {
    const last = this.queue[this.queue.length - 1];
    if (last && !last.sealed) return last;
    const group = newGroup();
    if (this.failure) group.reject(this.failure);
    else {
      this.queue.push(group);
      this.kick();
    }
    return group;
  }

  private kick(): void {
    if (this.scheduled || this.active) return;
    this.scheduled = true;
    // After the current macrotask's microtasks, so every commit that callers can reach without
    // waiting on I/O (the whole of a typical desk.receive) joins this group rather than the next.
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.active) return;
    this.active = true;
    for (let group = this.queue.shift(); group; group = this.queue.shift()) {
      this.writing = group;
      try {
        await this.writeGroup(group);
        this.options.onDurable(group);
        group.resolve();
      } catch (error) {
        this.fail(error, group);
      }
    }
    this.writing = undefined;
    this.active = false;
  }

  private async writeGroup(group: Group): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new Error('the journal is closed');
    this.options.guard?.();
    if (group.payloads.length > 0) {
      const started = performance.now();
      const data = groupFrame(group);
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await handle.write(
          data,
          written,
          data.length - written,
          this.size + written,
        );
        written += bytesWritten;
      }
      this.size += data.length;
      if (this.options.fsync && DSYNC === undefined) await handle.datasync();
      this.lastIoMs = performance.now() - started;
      this.stats.groups++;
      this.stats.records += group.payloads.length;
      this.stats.bytes += data.length;
    }
    if (group.rotate) await this.rotate();
  }

  private async rotate(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    const next = this.generation + 1;
    this.handle = await open(
      inDir(this.options.dir, journalName(next)),
      journalFlags(this.options.fsync, 'new'),
    );
    if (this.options.fsync) await syncDir(this.options.dir);
    this.generation = next;
    this.size = 0;
  }

  private fail(error: unknown, group: Group): void {
    const file = inDir(this.options.dir, journalName(this.generation));
    // A guard's refusal says itself why nothing was written; an I/O error is wrapped.
    this.failure =
      error instanceof StorageError
        ? error
        : new StorageError(
            `file store: writing ${file} failed; the store refuses further writes, reopen it`,
            {
              cause: error,
            },
          );
    group.reject(this.failure);
    for (const queued of this.queue.splice(0)) queued.reject(this.failure);
  }
}
