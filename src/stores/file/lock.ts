import { readFile, unlink, writeFile } from 'node:fs/promises';
import { StorageError } from '../../model/errors.js';
import { inDir, LOCK_FILE } from './layout.js';

/**
 * Lock files this process holds or is taking, so a lock with our own pid from a previous life is
 * told apart.
 */
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StorageError(`file store: cannot read the lock ${path}`, { cause: error });
  }
}

function refuse(dir: string, pid: number): never {
  throw new StorageError(
    `file store: ${dir} is locked by process ${pid}, which is still running; one process owns a store directory at a time (close the other store, or remove ${inDir(dir, LOCK_FILE)} if that pid is not a Threadline process)`,
  );
}

/**
 * Takes the directory's lock: creates `LOCK` holding our pid. A lock whose pid is dead (or is our
 * own pid left by an earlier process that had it) is stale and taken over; a live one throws.
 *
 * @throws StorageError when another live process, or another store of this process, holds the directory.
 */
export async function acquireLock(dir: string, logger: { warn(message: string): void }): Promise<void> {
  const path = inDir(dir, LOCK_FILE);
  // Claimed before the first await: a second open in this process, even a concurrent one, is refused
  // here, so a lock file holding our pid can only be an earlier process's.
  if (heldHere.has(path)) refuse(dir, process.pid);
  heldHere.add(path);
  try {
    await createLock(dir, path, logger);
  } catch (error) {
    heldHere.delete(path);
    throw error;
  }
}

async function createLock(dir: string, path: string, logger: { warn(message: string): void }): Promise<void> {
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StorageError(`file store: cannot create the lock ${path}`, { cause: error });
      }
    }
    const owner = await readOwner(path);
    if (owner === undefined && attempt === 0) {
      // Maybe another process created the file an instant ago and is writing its pid: look again.
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) refuse(dir, owner);
    logger.warn(`file store: taking over the stale lock of ${dir} (process ${owner ?? 'unknown'} is gone)`);
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') {
        throw new StorageError(`file store: cannot remove the stale lock ${path}`, { cause: error });
      }
    });
  }
  throw new StorageError(`file store: could not take the lock ${path} (it keeps reappearing)`);
}

/** Releases a lock taken by {@link acquireLock}. */
export async function releaseLock(dir: string): Promise<void> {
  const path = inDir(dir, LOCK_FILE);
  if (!heldHere.delete(path)) return;
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}
