import type { UseStore } from 'idb-keyval';
import { isThreadlineError, StorageError } from '../../model/errors.js';
import { OBJECT_STORE } from './layout.js';

/** IndexedDB version of the database (its object stores). Key-layout changes are migrations instead. */
export const DB_VERSION = 1;

/** How a readwrite transaction is committed (see `IDBTransactionOptions.durability`). */
export type Durability = 'strict' | 'relaxed' | 'default';

/**
 * An open database: an idb-keyval `UseStore` over our own connection (so `get`, `getMany`,
 * `setMany`, `entries` and `delMany` work on it), plus a raw transaction for atomic batches.
 */
export interface Database {
  readonly name: string;
  /** idb-keyval's store function: one transaction per call. */
  readonly use: UseStore;
  /** A readwrite (with the configured durability) or readonly transaction on the object store. */
  transaction(mode: IDBTransactionMode): IDBTransaction;
  close(): void;
}

/**
 * Maps a DOMException (or anything thrown by IndexedDB) to a StorageError with a message that says
 * what to do. Threadline errors (a ConflictError from a check) pass through unchanged.
 */
export function toStorageError(error: unknown, action: string): Error {
  if (isThreadlineError(error)) return error;
  const name = (error as { name?: string } | null)?.name ?? 'Error';
  const detail = (error as { message?: string } | null)?.message ?? String(error);
  if (name === 'QuotaExceededError') {
    return new StorageError(
      `IndexedDB quota exceeded while ${action}: the browser refused to store more for this origin. ` +
        'Free space (export and delete old data) or ask for persistent storage with navigator.storage.persist().',
      { cause: error },
    );
  }
  if (name === 'VersionError') {
    return new StorageError(
      `IndexedDB ${action} failed: the database was upgraded by a newer version of this app (${detail}); reload the page.`,
      {
        cause: error,
      },
    );
  }
  if (name === 'InvalidStateError') {
    return new StorageError(`IndexedDB ${action} failed: the database connection is closed (${detail}).`, {
      cause: error,
    });
  }
  return new StorageError(`IndexedDB ${action} failed: ${name}: ${detail}`, { cause: error });
}

function factory(): IDBFactory {
  if (typeof indexedDB === 'undefined') {
    throw new StorageError('IndexedDB is not available here (in Node, import "fake-indexeddb/auto" first).');
  }
  return indexedDB;
}

function requestDatabase(name: string, version: number): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const request = factory().open(name, version);
    request.onupgradeneeded = () => {
      // Refused as blocked, then let go by the other tab: the caller was told it failed, so the
      // upgrade must not run behind its back (and strand the old tabs on a newer version).
      if (settled) return request.transaction?.abort();
      const db = request.result;
      if (!db.objectStoreNames.contains(OBJECT_STORE)) db.createObjectStore(OBJECT_STORE);
    };
    request.onblocked = () => {
      settled = true;
      reject(
        new StorageError(
          `IndexedDB database "${name}" is blocked: another tab keeps an older version open. ` +
            'Close or reload the other tabs of this app, then try again.',
        ),
      );
    };
    request.onsuccess = () => {
      // A blocked open may still succeed later; we already refused it, so let the connection go.
      if (settled) request.result.close();
      else resolve(request.result);
    };
    request.onerror = () => {
      if (!settled) reject(toStorageError(request.error, `opening database "${name}"`));
    };
  });
}

/**
 * Opens (creating when missing) the database `name` with its one object store. A pending upgrade
 * held up by another tab (`onblocked`) rejects with a StorageError instead of hanging; when another
 * tab later upgrades or deletes the database, this connection closes itself so it does not block
 * them, and every later call fails with a StorageError saying why.
 *
 * @throws StorageError when IndexedDB is missing, the open is blocked, or the database is newer.
 */
export async function openDatabase(
  name: string,
  durability: Durability,
  version = DB_VERSION,
): Promise<Database> {
  const db = await requestDatabase(name, version);
  let closedReason: string | undefined;
  db.onversionchange = () => {
    closedReason = `another tab upgraded or deleted database "${name}"; reload this page`;
    db.close();
  };
  db.onclose = () => {
    closedReason = `the browser closed database "${name}" (storage cleared or a disk error)`;
  };
  const transaction = (mode: IDBTransactionMode): IDBTransaction => {
    if (closedReason) throw new StorageError(`IndexedDB store is unusable: ${closedReason}.`);
    try {
      return mode === 'readwrite'
        ? db.transaction(OBJECT_STORE, mode, { durability })
        : db.transaction(OBJECT_STORE, mode);
    } catch (error) {
      throw toStorageError(error, 'starting a transaction');
    }
  };
  const use: UseStore = async (mode, callback) => callback(transaction(mode).objectStore(OBJECT_STORE));
  return {
    name,
    use,
    transaction,
    close: () => {
      closedReason ??= 'the store was closed';
      db.close();
    },
  };
}

/** An idb-keyval store function bound to a transaction already open, so its helpers join it. */
export function within(store: IDBObjectStore): UseStore {
  return async (_mode, callback) => callback(store);
}

/** Resolves with a request's result; rejects with its error mapped to a StorageError. */
export function request<T>(req: IDBRequest<T>, action: string): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(toStorageError(req.error, action));
  });
}

/** Resolves when a transaction commits; rejects (StorageError, or the abort reason) when it aborts. */
export function completion(tx: IDBTransaction, action: string, abortReason?: () => unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () =>
      reject(abortReason?.() ?? toStorageError(tx.error ?? new Error('transaction aborted'), action));
  });
}
