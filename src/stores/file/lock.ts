import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { type FileHandle, open, readFile, readlink, rename, unlink, utimes } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { StorageError } from '../../model/errors.js';
import { inDir, LOCK_FILE } from './layout.js';

/** How often a holder refreshes its lock file's mtime (its heartbeat). */
export const HEARTBEAT_MS = 1_000;
/**
 * A lock of this process whose heartbeat has not moved for this long belongs to a thread that
 * stopped without closing. Ten missed beats: an event loop blocked for a few seconds (a long GC, a
 * big synchronous parse) must not let another thread take a live store's directory.
 */
export const STALE_MS = 10_000;
/**
 * How long an opener watches the heartbeat of a lock from another pid namespace at least, however
 * old its mtime looks: the holder's clock (another container's, another host's) may be behind ours.
 */
export const FOREIGN_WATCH_MS = 3 * HEARTBEAT_MS;
/** How often an opener looks whether a heartbeat moved while it waits. */
const POLL_MS = 100;
/** How often an open that may wait (`lockWaitMs`) looks again whether a live holder closed. */
const LOCK_WAIT_POLL_MS = 250;
/** Takeovers and re-reads in one open before giving up (a lock that keeps reappearing). */
const MAX_ATTEMPTS = 6;

type Logger = { warn(message: string): void };

/** What a lock file says. Versions before the heartbeat wrote the pid line only. */
interface LockRecord {
  raw: string;
  mtimeMs: number;
  pid: number | undefined;
  /** The owner's process start time (Linux `starttime`, clock ticks after boot), when known. */
  start: string | undefined;
  thread: string | undefined;
  token: string | undefined;
  /** The owner's pid namespace (see {@link ownNamespace}), when known. */
  ns: string | undefined;
}

/** A lock this thread holds or is taking. */
interface Held {
  token: string;
  /** The lock file's content: release removes the file only while it still says this. */
  raw: string;
  logger: Logger;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
  /** The last beat failed (warned once until one succeeds again). */
  failing: boolean;
  /**
   * The lock file this store created, kept open so that its inode cannot be freed and reused by
   * the file that replaces it, with its device and inode.
   */
  file: { handle: FileHandle; dev: number; ino: number } | undefined;
  /** Set once the lock file is no longer the one this store created (see {@link assertLockHeld}). */
  lost: StorageError | undefined;
}

/** The outcome of looking at someone else's lock. */
type Verdict = { stale: string } | { refuse: string } | 'changed';

/**
 * Locks this thread holds or is taking. It also refuses a second open in this thread before any
 * file is read, so two concurrent opens here cannot both see the lock as absent.
 */
const heldHere = new Map<string, Held>();

const errno = (error: unknown) => (error as NodeJS.ErrnoException).code;

/**
 * Field 22 (`starttime`) of a /proc/<pid>/stat line. The command name (field 2) is in parentheses
 * and may itself hold spaces and parentheses, so fields are counted from after the last `)`.
 */
function startTimeOf(stat: string): string | undefined {
  const field = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3];
  return field !== undefined && /^\d+$/.test(field) ? field : undefined;
}

/** When a process started, on Linux; undefined elsewhere, or when the process is gone or hidden. */
async function processStart(pid: number | 'self'): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    return startTimeOf(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // unknown: the callers fall back to the pid alone and the heartbeat
  }
}

let ownStartTime: Promise<string | undefined> | undefined;
/** This process's start time, read once (`/proc/self` is the process, in every thread). */
const ownStart = () => {
  ownStartTime ??= processStart('self');
  return ownStartTime;
};

/** `<boot id>/pid:[<inode>]` on Linux; undefined elsewhere, or when /proc hides it. */
async function readNamespace(): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    const [boot, ns] = await Promise.all([
      readFile('/proc/sys/kernel/random/boot_id', 'utf8'),
      readlink('/proc/self/ns/pid'),
    ]);
    return `${boot.trim()}/${ns}`;
  } catch {
    return undefined;
  }
}

let ownNamespaceId: Promise<string | undefined> | undefined;
/**
 * This process's pid namespace on this boot, read once. Pids and start times compare only between
 * processes that share one: two containers sharing a store directory each have their own (both may
 * be pid 1), and two hosts sharing it over a network file system have different boots. There a
 * lock's pid says nothing about its holder, and only its heartbeat tells whether it runs.
 */
const ownNamespace = () => {
  ownNamespaceId ??= readNamespace();
  return ownNamespaceId;
};

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errno(error) === 'EPERM';
  }
}

/** The lock file's content. The pid stays alone on the first line, which is all older versions read. */
function lockText(start: string | undefined, ns: string | undefined, token: string): string {
  const startLine = start === undefined ? [] : [`start=${start}`];
  const nsLine = ns === undefined ? [] : [`ns=${ns}`];
  return [String(process.pid), ...startLine, ...nsLine, `thread=${threadId}`, `token=${token}`, ''].join(
    '\n',
  );
}

function parseLock(raw: string, mtimeMs: number): LockRecord {
  const [first = '', ...rest] = raw.split('\n');
  const fields = new Map<string, string>();
  for (const line of rest) {
    const at = line.indexOf('=');
    if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  const pid = /^\d+$/.test(first.trim()) ? Number(first) : undefined;
  return {
    raw,
    mtimeMs,
    pid: pid !== undefined && pid > 0 ? pid : undefined,
    start: fields.get('start'),
    thread: fields.get('thread'),
    token: fields.get('token'),
    ns: fields.get('ns'),
  };
}

/** Reads the lock file (content and mtime from one open file); undefined when there is none. */
async function readLock(path: string): Promise<LockRecord | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const [raw, info] = await Promise.all([handle.readFile('utf8'), handle.stat()]);
    return parseLock(raw, info.mtimeMs);
  } catch (error) {
    if (errno(error) === 'ENOENT') return undefined;
    throw new StorageError(`file store: cannot read the lock ${path}`, { cause: error });
  } finally {
    await handle?.close();
  }
}

/** The lock file a store created, held open (see `Held.file`). */
type LockFile = NonNullable<Held['file']>;

/**
 * Creates the lock file exclusively and keeps it open; undefined when one exists. A file it
 * created but could not write is removed again.
 */
async function createLockFile(path: string, raw: string): Promise<LockFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    if (errno(error) === 'EEXIST') return undefined;
    throw new StorageError(`file store: cannot create the lock ${path}`, { cause: error });
  }
  try {
    await handle.writeFile(raw);
    const { dev, ino } = await handle.stat();
    return { handle, dev, ino };
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw new StorageError(`file store: cannot write the lock ${path}`, { cause: error });
  }
}

/**
 * Removes the lock file if it still says `raw`; false when it is gone or says something else.
 * It is renamed aside and checked there, not checked and then unlinked: a lock another opener took
 * an instant ago (after we judged the old one stale) is moved back, never deleted. Only a third
 * opener creating a lock in that instant could still be overwritten by the move back.
 */
async function removeLockIf(path: string, raw: string, aside: string): Promise<boolean> {
  try {
    await rename(path, aside);
  } catch (error) {
    if (errno(error) === 'ENOENT') return false;
    throw new StorageError(`file store: cannot remove the lock ${path}`, { cause: error });
  }
  try {
    if ((await readFile(aside, 'utf8')) === raw) {
      await unlink(aside);
      return true;
    }
    await rename(aside, path);
    return false;
  } catch (error) {
    throw new StorageError(`file store: cannot remove the lock ${path} (set aside as ${aside})`, {
      cause: error,
    });
  }
}

function lockedByProcess(dir: string, pid: number): { refuse: string } {
  return {
    refuse: `file store: ${dir} is locked by process ${pid}, which is still running; one process owns a store directory at a time (close the other store, or remove ${inDir(dir, LOCK_FILE)} if that pid is not a Threadline process)`,
  };
}

function lockedByThread(dir: string, lock: LockRecord): { refuse: string } {
  const holder =
    lock.thread === String(threadId)
      ? `another store of this thread (pid ${lock.pid}, thread ${lock.thread})`
      : `another thread of this process (pid ${lock.pid}, thread ${lock.thread ?? 'unknown'})`;
  return {
    refuse: `file store: ${dir} is locked by ${holder}, which is still running; one store owns a directory at a time (open it in one thread and share it, or close the other store first)`,
  };
}

/** A lock of another pid: its holder is running unless that pid is dead or now runs a later process. */
async function judgeOtherProcess(dir: string, lock: LockRecord & { pid: number }): Promise<Verdict> {
  if (!isAlive(lock.pid)) return { stale: `process ${lock.pid} is gone` };
  if (lock.start !== undefined) {
    const start = await processStart(lock.pid);
    if (start !== undefined && start !== lock.start) {
      return { stale: `process ${lock.pid} is gone; its pid now belongs to a later process` };
    }
  }
  return lockedByProcess(dir, lock.pid);
}

function lockedElsewhere(dir: string, lock: LockRecord): { refuse: string } {
  return {
    refuse: `file store: ${dir} is locked by process ${lock.pid} of another pid namespace (another container, or another host sharing the directory), whose heartbeat shows it running; one process owns a store directory at a time (stop the other one, or close its store, first)`,
  };
}

/**
 * Who holds a lock judged by its heartbeat: another thread of this process (or one that stopped
 * without closing), or a process of another pid namespace, whose pid we cannot look up.
 */
type Holder = 'thread' | 'elsewhere';

/**
 * A lock whose holder only its heartbeat can vouch for (see {@link Holder}): wait until the mtime
 * moves (the holder runs) or has stood still for `STALE_MS` (it is gone), whichever comes first, and
 * no longer. Another namespace's heartbeat is watched for `FOREIGN_WATCH_MS` at least, however old
 * it looks, as its clock may be behind ours. Each look opens the file afresh, so a network file
 * system's cached attributes cannot hide a beat.
 */
async function judgeHeartbeat(dir: string, path: string, lock: LockRecord, holder: Holder): Promise<Verdict> {
  // An mtime in the future (the clock was set back, or the holder's is ahead) counts from now.
  let deadline = Math.min(lock.mtimeMs, Date.now()) + STALE_MS;
  if (holder === 'elsewhere') deadline = Math.max(deadline, Date.now() + FOREIGN_WATCH_MS);
  for (let left = deadline - Date.now(); left > 0; left = deadline - Date.now()) {
    await sleep(Math.min(POLL_MS, left));
    const now = await readLock(path);
    if (now?.raw !== lock.raw) return 'changed';
    if (now.mtimeMs === lock.mtimeMs) continue;
    return holder === 'thread' ? lockedByThread(dir, lock) : lockedElsewhere(dir, lock);
  }
  const silence = `no heartbeat for ${Math.round((Date.now() - Math.min(lock.mtimeMs, Date.now())) / 1000)} s`;
  return {
    stale:
      holder === 'thread'
        ? `a thread of this process (pid ${lock.pid}, thread ${lock.thread ?? 'unknown'}) stopped without closing: ${silence}`
        : `process ${lock.pid} of another pid namespace (another container or host) stopped without closing: ${silence}`,
  };
}

/** Whether someone else's lock is stale (taken over), live (refused), or changed while we looked. */
async function judge(dir: string, path: string, lock: LockRecord): Promise<Verdict> {
  const { pid } = lock;
  if (pid === undefined) return { stale: 'it names no process' };
  // A pid of another namespace may be ours, or no process here, whatever its holder is doing.
  if (lock.ns !== undefined && lock.ns !== (await ownNamespace()))
    return judgeHeartbeat(dir, path, lock, 'elsewhere');
  if (pid !== process.pid) return judgeOtherProcess(dir, { ...lock, pid });
  const earlier = { stale: `process ${pid} that took it is gone; this process reuses its pid` };
  // A pid-only lock was written by a version without threads support: an earlier process's.
  if (lock.token === undefined) return earlier;
  const start = await ownStart();
  if (lock.start !== undefined && start !== undefined && lock.start !== start) return earlier;
  return judgeHeartbeat(dir, path, lock, 'thread');
}

/**
 * Takes the directory's lock: creates `LOCK` holding our pid, start time, pid namespace, thread and
 * a token, and refreshes its mtime every `HEARTBEAT_MS` until {@link releaseLock}. When `LOCK` exists:
 * - a pid of another pid namespace (another container or host): refused as soon as its heartbeat
 *   moves, stale when it has not moved for `STALE_MS` (watched for `FOREIGN_WATCH_MS` at least);
 * - another pid: refused while that process runs; stale when it is gone, or when it is alive but
 *   started at another time than the lock says (its pid was reused);
 * - our pid and another start time, or a pid-only lock (older versions): an earlier process that
 *   had our pid (a container's pid 1 after a restart): stale at once;
 * - our pid and our start time (or one unknown, off Linux): another thread of this process, or one
 *   that stopped without closing: refused as soon as its heartbeat moves, stale when it has not
 *   moved for `STALE_MS`.
 * A stale lock is taken over with a warning.
 *
 * Locks of older versions name no namespace, and are judged as this namespace's. A live holder is
 * refused at once, or with `waitMs` looked at again every 250 ms until it closes or `waitMs` has
 * passed (a second open in this thread is refused at once all the same).
 *
 * @throws StorageError when a live holder has the directory (naming its pid, and the thread when
 * it is another thread of this process), or when the lock cannot be read or written.
 */
export async function acquireLock(dir: string, logger: Logger, waitMs = 0): Promise<void> {
  const path = inDir(dir, LOCK_FILE);
  if (heldHere.has(path)) {
    throw new StorageError(
      `file store: ${dir} is locked by process ${process.pid}, which is still running (a store opened in this thread holds it); one store owns a directory at a time (close the other store first)`,
    );
  }
  const token = randomUUID();
  const held: Held = {
    token,
    raw: '',
    logger,
    timer: undefined,
    stopped: false,
    failing: false,
    file: undefined,
    lost: undefined,
  };
  heldHere.set(path, held);
  try {
    held.raw = lockText(await ownStart(), await ownNamespace(), token);
    held.file = await takeLock(dir, path, held, Date.now() + waitMs);
  } catch (error) {
    heldHere.delete(path);
    throw error;
  }
  scheduleBeat(dir, path, held);
}

async function takeLock(dir: string, path: string, held: Held, waitUntil: number): Promise<LockFile> {
  let lookedAgain = false;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const created = await createLockFile(path, held.raw);
    if (created) return created;
    const lock = await readLock(path);
    if (lock === undefined) continue; // released meanwhile
    if (lock.pid === undefined && !lookedAgain) {
      // Maybe another opener created the file an instant ago and is writing it: look again.
      lookedAgain = true;
      await sleep(50);
      continue;
    }
    const verdict = await judge(dir, path, lock);
    if (verdict === 'changed') continue;
    if ('refuse' in verdict) {
      if (Date.now() >= waitUntil) throw new StorageError(verdict.refuse);
      // A live holder, and time left to wait for it to close: look again (not a takeover attempt).
      await sleep(Math.min(LOCK_WAIT_POLL_MS, waitUntil - Date.now()));
      attempt--;
      continue;
    }
    if (await removeLockIf(path, lock.raw, `${path}.${held.token}.stale`)) {
      held.logger.warn(`file store: taking over the stale lock of ${dir} (${verdict.stale})`);
    }
  }
  throw new StorageError(`file store: could not take the lock ${path} (it keeps reappearing)`);
}

/**
 * Whether the lock file is still the one this store created. Another store takes a lock over by
 * moving it aside and creating its own, and a person by deleting it: either way the path no longer
 * names our file. Then this store stops its heartbeat (it must not keep the new holder's lock
 * fresh) and refuses to write from now on, warned once.
 */
function stillHeld(dir: string, path: string, held: Held): boolean {
  if (held.lost) return false;
  const info = statSync(path, { throwIfNoEntry: false });
  if (info && info.ino === held.file?.ino && info.dev === held.file.dev) return true;
  held.lost = new StorageError(
    `file store: the lock of ${dir} is no longer this store's (${info ? 'another store took it over' : 'it was removed'}); this store refuses further writes, so that two stores never write one journal. Close it, and find who else opened the directory: a holder whose event loop stalls for ${STALE_MS / 1000} s (or a paused container) can be taken for gone`,
  );
  held.stopped = true;
  clearTimeout(held.timer);
  held.logger.warn(held.lost.message);
  return false;
}

/** Closes the handle that kept the lock file's inode. */
async function closeFile(held: Held): Promise<void> {
  await held.file?.handle.close().catch(() => {});
}

/**
 * Throws unless this store still holds the directory's lock: the store calls it before each
 * journal write and each step of a compaction, so a store whose lock was taken over (its event loop
 * stalled past `STALE_MS`, its container paused) stops writing instead of writing beside the new
 * holder. One `stat` of the lock file, no I/O wait.
 * @throws StorageError once the lock is lost, and from then on.
 */
export function assertLockHeld(dir: string): void {
  const path = inDir(dir, LOCK_FILE);
  const held = heldHere.get(path);
  if (!held) throw new StorageError(`file store: ${dir} is not locked by this thread`);
  if (!stillHeld(dir, path, held)) throw held.lost!;
}

/** The heartbeat: an unref'd timer (it never keeps the process alive) touching the lock's mtime. */
function scheduleBeat(dir: string, path: string, held: Held): void {
  if (held.stopped) return;
  held.timer = setTimeout(() => {
    if (!stillHeld(dir, path, held)) return;
    const now = new Date();
    utimes(path, now, now).then(
      () => {
        held.failing = false;
        scheduleBeat(dir, path, held);
      },
      (error: unknown) => {
        if (!held.stopped && !held.failing) {
          held.failing = true;
          held.logger.warn(
            `file store: cannot refresh the lock ${path} (${errno(error) ?? String(error)}); another thread of this process may take the directory over after ${STALE_MS / 1000} s without a heartbeat`,
          );
        }
        scheduleBeat(dir, path, held);
      },
    );
  }, HEARTBEAT_MS);
  held.timer.unref();
}

/**
 * Releases a lock taken by {@link acquireLock}: stops its heartbeat and removes `LOCK` if it is
 * still ours (a lock another store took over from us is left to it, with a warning).
 */
export async function releaseLock(dir: string): Promise<void> {
  const path = inDir(dir, LOCK_FILE);
  const held = heldHere.get(path);
  if (!held) return;
  heldHere.delete(path);
  held.stopped = true;
  clearTimeout(held.timer);
  await closeFile(held);
  if (held.lost) return; // warned when it was found; the lock there is another store's
  if (!(await removeLockIf(path, held.raw, `${path}.${held.token}.release`))) {
    held.logger.warn(
      `file store: the lock of ${dir} was no longer this store's when it closed (removed by hand, or taken over as stale); left as it is`,
    );
  }
}
