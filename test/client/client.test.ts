import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createChatClient } from '../../src/client/index.js';
import { signIdentityToken } from '../../src/http/token.js';
import type { VisitorTyping } from '../../src/http/webchat/index.js';
import { SECRET } from './chat-server.js';
import { connected, next } from './events.js';
import { text, useChatServer } from './fixture.js';

const chat = useChatServer();
const open = chat.open;

describe('createChatClient', () => {
  it('sends the visitor id and the identity token on every request, and the server trusts the token', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const token = await signIdentityToken(
      { sub: 'user-42', email: 'ada@example.com', name: 'Ada', exp },
      SECRET,
    );
    const client = open({ identityToken: token });
    await connected(client);
    const sent = await client.send('hello');
    await client.history();
    await client.typing(true);

    expect(chat.server.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      'GET /chat/events',
      'POST /chat/messages',
      'GET /chat/messages',
      'POST /chat/typing',
    ]);
    for (const request of chat.server.requests) {
      expect(request.headers.get('x-threadline-visitor')).toBe(client.visitorId);
      expect(request.headers.get('authorization')).toBe(`Bearer ${token}`);
    }
    const customer = await chat.server.desk.customers.get(sent.customerId!);
    expect(customer.displayName).toBe('Ada');
    expect(customer.identities.map((i) => [i.kind, i.value, i.verified]).sort()).toEqual([
      ['email', 'ada@example.com', true],
      ['external', 'user-42', true],
      ['webchat', client.visitorId, false],
    ]);
  });

  it('refuses a missing endpoint with a ValidationError', () => {
    expect(() => createChatClient({ endpoint: '' })).toThrow(/Invalid chat client options: endpoint/);
  });

  it('pages history newest first and keeps the first page for an instant display after a reload', async () => {
    const visitorId = crypto.randomUUID();
    const client = open({ visitorId });
    await connected(client);
    for (const words of ['one', 'two', 'three']) await client.send(words);

    const first = await client.history({ limit: 2 });
    expect(first.items.map(text)).toEqual(['three', 'two']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await client.history({ limit: 2, before: first.nextCursor! });
    expect(second).toMatchObject({ nextCursor: null });
    expect(second.items.map(text)).toEqual(['one']);

    client.close();
    await chat.server.stop();
    const reloaded = open({ visitorId });
    // Cache writes are fire-and-forget: the live echoes and the history page land in order.
    await expect.poll(async () => (await reloaded.cached()).map(text)).toEqual(['three', 'two', 'one']);
  });

  it('carries typing both ways', async () => {
    const client = open();
    await connected(client);
    const sent = await client.send('hi');
    const signals: VisitorTyping[] = [];
    chat.server.chat.onTyping((signal) => signals.push(signal));
    expect(await client.typing(true)).toBe(true);
    expect(signals).toEqual([
      {
        visitorId: client.visitorId,
        customerId: sent.customerId,
        conversationId: sent.conversationId,
        typing: true,
      },
    ]);
    const typing = next(client, 'typing');
    await chat.server.chat.agentTyping(sent.conversationId!, true, { type: 'agent', name: 'Ana' });
    expect(await typing).toEqual({ typing: true, author: { type: 'agent', name: 'Ana' } });
  });

  it('marks an agent reply read and hears the read receipt', async () => {
    const client = open();
    await connected(client);
    const sent = await client.send('hi');
    const delivered = next(client, 'status', (s) => s.status === 'delivered');
    const reply = await chat.server.desk.reply(sent.conversationId!, {
      text: 'Hello!',
      author: { type: 'agent' },
    });
    await delivered;
    const read = next(client, 'status', (s) => s.status === 'read');
    expect(await client.markRead(reply.id)).toBe(true);
    expect(await read).toEqual({ messageId: reply.id, status: 'read' });
    expect((await chat.server.desk.store.getMessage(reply.id))?.status).toBe('read');
    await expect(client.markRead('no-such-message')).rejects.toMatchObject({ status: 404 });
  });

  it('answers false for typing when the server is unreachable', async () => {
    const client = open();
    await chat.server.stop();
    expect(await client.typing(true)).toBe(false);
  });
});
