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
/** The `sub` of the identity token the stored visitor id signed in with. */
const SUBJECT_KEY = 'threadline.visitor.sub';

/** The `sub` claim of an identity token, read without checking it (the server does); undefined when unreadable. */
function subjectOf(token: string | undefined): string | undefined {
  if (!token) return undefined;
  try {
    const body = atob((token.split('.')[0] ?? '').replace(/-/g, '+').replace(/_/g, '/'));
    const { sub } = JSON.parse(new TextDecoder().decode(Uint8Array.from(body, (c) => c.charCodeAt(0))));
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The visitor id kept in localStorage (`threadline.visitor`), made once; a fresh one when storage is
 * unavailable. After a login the id acts as that user's customer, so a token for another user (a
 * `sub` other than the one it signed in with) starts a new visitor: reusing the id would make the
 * server merge the two users' customers.
 */
export function storedVisitorId(identityToken?: string): string {
  try {
    const subject = subjectOf(identityToken);
    const known = localStorage.getItem(VISITOR_KEY);
    const signedInAs = localStorage.getItem(SUBJECT_KEY);
    if (known && (subject === undefined || signedInAs === null || signedInAs === subject)) {
      if (subject !== undefined && signedInAs === null) localStorage.setItem(SUBJECT_KEY, subject);
      return known;
    }
    const made = crypto.randomUUID();
    localStorage.setItem(VISITOR_KEY, made);
    if (subject === undefined) localStorage.removeItem(SUBJECT_KEY);
    else localStorage.setItem(SUBJECT_KEY, subject);
    return made;
  } catch {
    // No localStorage (Node, sandboxed iframes, some private modes): an id for this page only.
    return crypto.randomUUID();
  }
}
