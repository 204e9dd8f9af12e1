import { entries, setMany } from 'idb-keyval';
import { StorageError } from '../../model/errors.js';
import { type Database, request, toStorageError, within } from './database.js';
import { META_SCHEMA, OBJECT_STORE, SCHEMA_VERSION } from './layout.js';

/** One raw record of the database: its key and its value, as `exportRecords` returns them. */
export type RecordEntry = [IDBValidKey, unknown];

/** Every record as `[key, value]`, read in one transaction (idb-keyval's `entries`). */
export function exportRecords(db: Database): Promise<RecordEntry[]> {
  return entries<IDBValidKey, unknown>(db.use);
}

/**
 * Writes an export into an empty store in one transaction (idb-keyval's `setMany`): all of it or
 * nothing. The export must carry this version's layout (`meta:schema`).
 *
 * @throws StorageError when the store already holds records or the export's layout differs.
 */
export async function importRecords(db: Database, records: RecordEntry[]): Promise<void> {
  const schema = records.find(([key]) => key === META_SCHEMA)?.[1];
  if (schema !== SCHEMA_VERSION) {
    throw new StorageError(
      `cannot import: the export has layout ${String(schema)}, this store reads layout ${SCHEMA_VERSION}`,
    );
  }
  const tx = db.transaction('readwrite');
  const store = tx.objectStore(OBJECT_STORE);
  const count = await request(store.count(), 'inspecting the database before an import');
  if (count > 1) {
    tx.abort();
    throw new StorageError(`cannot import into database "${db.name}": it already holds ${count - 1} records`);
  }
  try {
    await setMany(records, within(store));
  } catch (error) {
    throw toStorageError(error, `importing into database "${db.name}"`);
  }
}
