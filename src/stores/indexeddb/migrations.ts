import { StorageError } from '../../model/errors.js';
import { completion, type Database, request, toStorageError } from './database.js';
import { META_SCHEMA, OBJECT_STORE, SCHEMA_VERSION } from './layout.js';

/**
 * One step of the key layout: rewrites the records of version `n - 1` into version `n`, inside the
 * open readwrite transaction it is given. It must only await IndexedDB requests of that
 * transaction (awaiting anything else lets the transaction commit early).
 */
export type Migration = (store: IDBObjectStore) => Promise<void>;

/**
 * The migrations of the layout, keyed by the version each one produces. Layout 1 is the first, so
 * the list is empty; a future layout 2 adds `2: async (store) => { ... }` and bumps `SCHEMA_VERSION`.
 */
export const migrations: Readonly<Record<number, Migration>> = {};

/**
 * Brings the database to layout `target`, in one readwrite transaction: a fresh database is
 * stamped with `target`, an older one runs every missing migration in order, and the version is
 * written last, so a failed step leaves the database exactly as it was. Returns the version found.
 *
 * @throws StorageError when the database is newer than `target`, holds data without a version
 *   (not a Threadline store), misses a migration step, or a step fails.
 */
export async function migrate(
  db: Database,
  target = SCHEMA_VERSION,
  steps: Readonly<Record<number, Migration>> = migrations,
): Promise<number | undefined> {
  const tx = db.transaction('readwrite');
  let failure: unknown;
  const committed = completion(tx, `migrating database "${db.name}"`, () => failure);
  committed.catch(() => undefined); // awaited below
  const store = tx.objectStore(OBJECT_STORE);
  let found: number | undefined;
  try {
    found = await request<number | undefined>(store.get(META_SCHEMA), 'reading the schema version');
    await upgrade(db.name, store, found, target, steps);
  } catch (error) {
    failure =
      error instanceof StorageError ? error : toStorageError(error, `migrating database "${db.name}"`);
    try {
      tx.abort();
    } catch {
      // The failed request already aborted it.
    }
  }
  await committed;
  return found;
}

async function upgrade(
  name: string,
  store: IDBObjectStore,
  found: number | undefined,
  target: number,
  steps: Readonly<Record<number, Migration>>,
): Promise<void> {
  if (found === target) return;
  if (found === undefined) {
    const count = await request(store.count(), 'inspecting the database');
    if (count > 0)
      throw new StorageError(
        `IndexedDB database "${name}" holds data but no "${META_SCHEMA}": it is not a Threadline store.`,
      );
  } else if (found > target) {
    throw new StorageError(
      `IndexedDB database "${name}" has layout ${found}, newer than this version of Threadline reads (${target}); update the app or use another database name.`,
    );
  } else {
    for (let version = found + 1; version <= target; version++) {
      const step = steps[version];
      if (!step)
        throw new StorageError(
          `IndexedDB database "${name}": no migration from layout ${version - 1} to ${version}.`,
        );
      try {
        await step(store);
      } catch (error) {
        throw toStorageError(error, `migration to layout ${version} of database "${name}"`);
      }
    }
  }
  store.put(target, META_SCHEMA);
}
