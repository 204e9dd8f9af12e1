import { getMany } from 'idb-keyval';
import { within } from './database.js';

const DELETED = Symbol('deleted');

/** A stable map key for an IndexedDB key (string keys and array keys never collide). */
const id = (key: IDBValidKey): string => JSON.stringify(key);

/**
 * The records one readwrite transaction reads and writes. Everything a group of batches will
 * check is prefetched in parallel (one round trip per wave, not one per batch); after that the
 * batches are checked and applied synchronously, each seeing the writes of the batches before it
 * through the overlay. `flush` then writes the final value of every changed key once (a counter
 * bumped by a hundred batches is written once), which the all-or-nothing transaction makes
 * equivalent to writing each batch's changes in turn.
 */
export class TransactionView {
  private readonly values = new Map<string, unknown>();
  private readonly changed = new Map<string, IDBValidKey>();

  constructor(private readonly store: IDBObjectStore) {}

  /** Reads the keys not read or written yet, in parallel (idb-keyval's `getMany` on this transaction). */
  async prefetch(keys: IDBValidKey[]): Promise<void> {
    const missing = [...new Map(keys.map((key) => [id(key), key])).entries()].filter(
      ([k]) => !this.values.has(k),
    );
    if (missing.length === 0) return;
    const found = await getMany(
      missing.map(([, key]) => key),
      within(this.store),
    );
    for (const [i, [k]] of missing.entries()) this.values.set(k, found[i]);
  }

  /** The current value of a prefetched or written key; `undefined` when absent or deleted. */
  get<T>(key: IDBValidKey): T | undefined {
    const value = this.values.get(id(key));
    return value === DELETED ? undefined : (value as T | undefined);
  }

  put(key: IDBValidKey, value: unknown): void {
    this.set(key, value);
  }

  delete(key: IDBValidKey): void {
    this.set(key, DELETED);
  }

  /** Issues one put or delete per changed key. */
  flush(): void {
    for (const [k, key] of this.changed) {
      const value = this.values.get(k);
      if (value === DELETED) this.store.delete(key);
      else this.store.put(value, key);
    }
    this.changed.clear();
  }

  private set(key: IDBValidKey, value: unknown): void {
    const k = id(key);
    this.values.set(k, value);
    this.changed.set(k, key);
  }
}
