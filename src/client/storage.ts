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

/** The anonymous visitor's id. */
const VISITOR_KEY = 'threadline.visitor';
/** `{ sub, id }`: the visitor id an identity token signed in, and the token's `sub`. */
const USER_KEY = 'threadline.visitor.user';

interface SignedIn {
  sub: string;
  id: string;
}

/** The `sub` claim of an identity token, read without checking it (the server does); undefined when unreadable. */
export function subjectOf(token: string | undefined): string | undefined {
  if (!token) return undefined;
  try {
    const body = atob(token.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/'));
    const { sub } = JSON.parse(new TextDecoder().decode(Uint8Array.from(body, (c) => c.charCodeAt(0))));
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

const signedIn = (): SignedIn | null => JSON.parse(localStorage.getItem(USER_KEY) ?? 'null');

/**
 * The visitor id kept in localStorage for a page with this identity token (or none), and the id of
 * a visitor to forget, whose outbox and cache the caller erases. A fresh id when storage is
 * unavailable.
 *
 * Threat: after a login the visitor id acts as the user's customer, whose history spans every
 * channel. So the anonymous visitor (`threadline.visitor`) and the signed-in one
 * (`threadline.visitor.user`, kept with the token's `sub`) are kept apart: a page without a token
 * never uses, nor shows the cache of, the signed-in visitor (a logged-out user's chat stays hidden
 * from the next person at the computer). A login makes the anonymous visitor the user's (its chat
 * goes on as theirs); a token for another user replaces the signed-in visitor and forgets the old
 * one (reusing it would make the server merge the two users' customers).
 */
export function storedVisitorId(identityToken?: string): { id: string; forget?: string } {
  try {
    const sub = subjectOf(identityToken);
    const user = signedIn();
    const anonymous = localStorage.getItem(VISITOR_KEY);
    if (sub === undefined || user?.sub === sub) {
      const id = (sub === undefined ? anonymous : user?.id) || crypto.randomUUID();
      if (sub === undefined) localStorage.setItem(VISITOR_KEY, id);
      return { id };
    }
    const id = anonymous || crypto.randomUUID();
    localStorage.setItem(USER_KEY, JSON.stringify({ sub, id }));
    localStorage.removeItem(VISITOR_KEY);
    return { id, forget: user?.id };
  } catch {
    // No localStorage (Node, sandboxed iframes, some private modes): an id for this page only.
    return { id: crypto.randomUUID() };
  }
}

/** Removes `id` from localStorage, as the anonymous or the signed-in visitor (a logout). */
export function forgetVisitorId(id: string): void {
  try {
    if (localStorage.getItem(VISITOR_KEY) === id) localStorage.removeItem(VISITOR_KEY);
    if (signedIn()?.id === id) localStorage.removeItem(USER_KEY);
  } catch {
    // No localStorage: nothing was kept.
  }
}
