/**
 * What the client keeps on a shared browser: a logged-out user's chat is never shown to, nor
 * readable by, whoever uses the browser next.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ChatStorage, memoryStorage } from '../../src/client/index.js';
import { signIdentityToken } from '../../src/http/token.js';
import { SECRET } from './chat-server.js';
import { connected } from './events.js';
import { text, useChatServer } from './fixture.js';

const chat = useChatServer();
const open = chat.open;
const exp = () => Math.floor(Date.now() / 1000) + 600;
const login = (sub: string) => signIdentityToken({ sub, email: `${sub}@example.com`, exp: exp() }, SECRET);

/** A localStorage in memory, as the browser's; returns what it holds. */
function stubLocalStorage(): Map<string, string> {
  const kept = new Map<string, string>();
  vi.stubGlobal('localStorage', {
    getItem: (key: string) => kept.get(key) ?? null,
    setItem: (key: string, value: string) => kept.set(key, String(value)),
    removeItem: (key: string) => kept.delete(key),
  });
  return kept;
}

/** Every value the storage holds for keys containing `id`. */
async function keptFor(storage: ChatStorage, endpoint: string, id: string): Promise<unknown[]> {
  const values = await Promise.all(
    ['outbox', 'history'].map((kind) => storage.get<unknown[]>(`${kind}:${endpoint}|${id}`)),
  );
  return values.filter((value) => value !== undefined && (value as unknown[]).length > 0);
}

let kept: Map<string, string>;
beforeEach(() => {
  kept = stubLocalStorage();
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('a page without a token after a login', () => {
  it("uses another visitor id than the signed-in one, and shows none of the user's cache", async () => {
    const storage = memoryStorage();
    const ada = open({ storage, identityToken: await login('ada') });
    await connected(ada);
    await ada.send('my card ends in 4242');
    await ada.history(); // fills the cache
    expect((await ada.cached()).map(text)).toEqual(['my card ends in 4242']);
    ada.close();

    // Ada logged out of the site; the next person opens the page: no token.
    const next = open({ storage });
    expect(next.visitorId).not.toBe(ada.visitorId);
    expect(await next.cached()).toEqual([]);
    await connected(next);
    expect((await next.history()).items).toEqual([]);
    expect(JSON.stringify([...kept.values()])).not.toContain('4242');
  });

  it('then a token for the same user (fetched after the page loaded) goes back to its visitor, and no new one is made per page', async () => {
    const storage = memoryStorage();
    const token = await login('ada');
    const ada = open({ storage, identityToken: token });
    const [first, second] = [open({ storage }), open({ storage })];
    expect(second.visitorId).toBe(first.visitorId); // the anonymous visitor is stable
    expect(open({ storage, identityToken: token }).visitorId).toBe(ada.visitorId);
  });
});

describe('forget()', () => {
  it("erases the visitor's outbox, cache and stored id: the next client is a new anonymous visitor", async () => {
    const storage = memoryStorage();
    const ada = open({ storage, identityToken: await login('ada') });
    await connected(ada);
    await ada.send('sent');
    await ada.history();
    await chat.server.stop();
    await connected(ada, 'offline');
    await ada.send('queued while offline');
    expect(await ada.pending()).toHaveLength(1);
    await chat.server.start();

    await ada.forget();
    expect(await keptFor(storage, chat.server.endpoint, ada.visitorId)).toEqual([]);
    expect([...kept.values()].some((value) => value.includes(ada.visitorId))).toBe(false);
    const next = open({ storage });
    expect(next.visitorId).not.toBe(ada.visitorId);
    expect(await next.cached()).toEqual([]);
    expect(await next.pending()).toEqual([]);
    // The queued message is dropped, not sent later under the user's name.
    await connected(next);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(chat.server.requests.filter((r) => r.body.includes('queued while offline'))).toEqual([]);
  });
});

describe('a token for another user', () => {
  it("erases the previous user's outbox and cache from this browser", async () => {
    const storage = memoryStorage();
    const ada = open({ storage, identityToken: await login('ada') });
    await connected(ada);
    await ada.send('Ada private');
    await ada.history();
    ada.close();
    expect(await keptFor(storage, chat.server.endpoint, ada.visitorId)).not.toEqual([]);

    const bob = open({ storage, identityToken: await login('bob') });
    expect(bob.visitorId).not.toBe(ada.visitorId);
    await expect
      .poll(() => keptFor(storage, chat.server.endpoint, ada.visitorId), { timeout: 2000 })
      .toEqual([]);
  });
});
