/**
 * A renewed identity token for the same user, taken by a running client: the next requests and a
 * reopened live stream carry it, and nothing the client knows or showed is lost.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/client/index.js';
import { signIdentityToken } from '../../src/http/token.js';
import { SECRET } from './chat-server.js';
import { connected, next, record, states } from './events.js';
import { text, useChatServer } from './fixture.js';

const chat = useChatServer();
const inMinutes = (minutes: number) => Math.floor(Date.now() / 1000) + minutes * 60;
/** A token for `sub`; `minutes` apart makes two tokens of one user differ. */
const tokenFor = (sub: string, minutes = 10, secret = SECRET) =>
  signIdentityToken({ sub, email: `${sub}@example.com`, exp: inMinutes(minutes) }, secret);

const bearerOf = (path: string) =>
  chat.server.requests
    .filter((r) => r.path.startsWith(path))
    .map((r) => r.headers.get('authorization')?.replace('Bearer ', ''));

describe('renewIdentityToken()', () => {
  it('sends the renewed token from then on and reopens the live stream with it, the connection staying open', async () => {
    const [old, renewed] = [await tokenFor('ada', 10), await tokenFor('ada', 20)];
    const client = chat.open({ storage: memoryStorage(), identityToken: old });
    await connected(client);
    const seen = states(client);

    expect(client.renewIdentityToken(renewed)).toBe(true);
    await expect.poll(() => bearerOf('/chat/events')).toEqual([old, renewed]);
    await client.send('still me');
    expect(bearerOf('/chat/messages').at(-1)).toBe(renewed);
    expect(seen).toEqual([]);
    expect(client.connection).toBe('open');
  });

  it('keeps what the client emitted: the catch-up after the reopened stream emits nothing twice', async () => {
    const [old, renewed] = [await tokenFor('ada', 10), await tokenFor('ada', 20)];
    const client = chat.open({ storage: memoryStorage(), identityToken: old });
    const log = record(client);
    await connected(client);
    const hello = await client.send('hello');
    const agent = { type: 'agent' as const };
    const answered = next(client, 'message', (m) => text(m) === 'Hi!');
    await chat.server.desk.reply(hello.conversationId!, { text: 'Hi!', author: agent });
    await answered;

    expect(client.renewIdentityToken(renewed)).toBe(true);
    // The reopened stream's catch-up holds live messages until it is done: this one comes after it.
    const later = next(client, 'message', (m) => text(m) === 'Anything else?');
    await chat.server.desk.reply(hello.conversationId!, { text: 'Anything else?', author: agent });
    await later;
    expect(log.messages.filter((m) => !m.pending).map(text)).toEqual(['hello', 'Hi!', 'Anything else?']);
    expect((await client.cached()).map(text)).toContain('Hi!');
    expect(log.errors).toEqual([]);
  });

  it('reopens a stream the server refused for the old token', async () => {
    // Signed with another secret: refused with 401, as an expired token is.
    const stale = await tokenFor('ada', 10, 'another-secret-0123456789abcdef');
    const client = chat.open({ storage: memoryStorage(), identityToken: stale });
    const refused = next(client, 'error', (error) => (error as { status?: number }).status === 401);
    await refused;
    await connected(client, 'offline');

    expect(client.renewIdentityToken(await tokenFor('ada'))).toBe(true);
    await connected(client);
    expect((await client.send('back')).pending).toBeUndefined();
  });

  it('reopens a refused stream when the token is renewed from the listener of the refusal itself', async () => {
    const stale = await tokenFor('ada', 10, 'another-secret-0123456789abcdef');
    const fresh = await tokenFor('ada');
    const client = chat.open({ storage: memoryStorage(), identityToken: stale });
    const renewed: boolean[] = [];
    client.on('error', () => renewed.push(client.renewIdentityToken(fresh)));
    await connected(client);
    expect(renewed).toEqual([true]);
  });

  it('changes nothing and returns false for another user, an unreadable token, or a client made without a token', async () => {
    const ada = await tokenFor('ada');
    const client = chat.open({ storage: memoryStorage(), identityToken: ada });
    await connected(client);
    const anonymous = chat.open({ storage: memoryStorage() });
    await connected(anonymous);
    const seen = [states(client), states(anonymous)];

    expect(client.renewIdentityToken(await tokenFor('bob'))).toBe(false);
    expect(client.renewIdentityToken('not a token')).toBe(false);
    expect(client.renewIdentityToken('')).toBe(false);
    expect(anonymous.renewIdentityToken(ada)).toBe(false);
    await client.send('as before');
    await anonymous.send('anonymous still');
    expect(bearerOf('/chat/messages')).toEqual([ada, undefined]);
    expect(bearerOf('/chat/events')).toEqual([ada, undefined]);
    expect(seen).toEqual([[], []]);
  });
});
