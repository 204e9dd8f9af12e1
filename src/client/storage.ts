import { createStore, get, type UseStore, update } from 'idb-keyval';
import type { ChatStorage } from './types.js';

/**
 * The default storage: IndexedDB through idb-keyval. The outbox lives in the database
 * `threadline-client` (object store `outbox`), the history cache in `threadline-client-history`.
 * Stores are opened lazily, on first use.
 */
export function indexedDbStorage(): ChatStorage {
  const stores: Record<string, UseStore> = {};
  const storeOf = (key: string): UseStore => {
    const [db, name] = key.startsWith('outbox:')
      ? ['threadline-client', 'outbox']
      : ['threadline-client-history', 'history'];
    stores[db] ??= createStore(db, name);
    return stores[db];
  };
  return {
    get: (key) => get(key, storeOf(key)),
    update: (key, updater) => update(key, updater, storeOf(key)),
  };
}

/** Storage in memory: nothing survives a reload. Useful in tests and where IndexedDB is unavailable. */
export function memoryStorage(): ChatStorage {
  const data = new Map<string, unknown>();
  return {
    get: async <T>(key: string) => data.get(key) as T | undefined,
    update: async <T>(key: string, updater: (old: T | undefined) => T) => {
      data.set(key, updater(data.get(key) as T | undefined));
    },
  };
}

const VISITOR_KEY = 'threadline.visitor';

/** The visitor id kept in localStorage (`threadline.visitor`), made once; a fresh one when storage is unavailable. */
export function storedVisitorId(): string {
  try {
    const known = localStorage.getItem(VISITOR_KEY);
    if (known) return known;
    const made = crypto.randomUUID();
    localStorage.setItem(VISITOR_KEY, made);
    return made;
  } catch {
    // No localStorage (Node, sandboxed iframes, some private modes): an id for this page only.
    return crypto.randomUUID();
  }
}
