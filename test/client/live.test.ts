import 'fake-indexeddb/auto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createChatClient, memoryStorage } from '../../src/client/index.js';
import { signIdentityToken } from '../../src/http/token.js';
import { ValidationError } from '../../src/model/errors.js';
import { SECRET } from './chat-server.js';
import { connected, next, record } from './events.js';
import { text, useChatServer } from './fixture.js';

const chat = useChatServer();
const open = chat.open;

const eventRequests = () => chat.server.requests.filter((r) => r.path === '/chat/events');

/** The cursor of the newest logged event the stream turns into an SSE event with an id. */
async function lastStreamedCursor(): Promise<string> {
  const logged = await chat.server.desk.store.readEvents({ limit: 1000 });
  const streamed = logged.filter((l) => /^message\.(received|queued|sent|status)$/.test(l.event.type));
  return streamed.at(-1)!.cursor;
}

describe('live updates', () => {
  it('reconnect after a drop with Last-Event-ID and get the missed replies exactly once', async () => {
    const client = open();
    const log = record(client);
    await connected(client);
    const hello = await client.send('hello');
    const agent = { type: 'agent' as const, name: 'Ana' };
    const delivered = next(client, 'status', (s) => s.status === 'delivered');
    const first = await chat.server.desk.reply(hello.conversationId!, {
      text: 'Hi, how can I help?',
      author: agent,
    });
    expect((await delivered).messageId).toBe(first.id);
    const resumeFrom = await lastStreamedCursor();

    chat.server.refuseStreams = true;
    chat.server.dropStreams();
    await connected(client, 'offline');
    await chat.server.desk.reply(hello.conversationId!, { text: 'Are you still there?', author: agent });
    await chat.server.desk.reply(hello.conversationId!, { text: 'I will email you too.', author: agent });

    const third = next(client, 'message', (m) => text(m) === 'I will email you too.');
    chat.server.refuseStreams = false;
    await third;
    // One more live reply: anything replayed twice would have arrived before it.
    const fourth = next(client, 'message', (m) => text(m) === 'Bye!');
    await chat.server.desk.reply(hello.conversationId!, { text: 'Bye!', author: agent });
    await fourth;

    expect(log.messages.filter((m) => !m.pending).map(text)).toEqual([
      'hello',
      'Hi, how can I help?',
      'Are you still there?',
      'I will email you too.',
      'Bye!',
    ]);
    const resumed = eventRequests()
      .filter((r) => r.status === 200)
      .at(-1)!;
    expect(resumed.headers.get('last-event-id')).toBe(resumeFrom);
    expect(eventRequests()[0]!.headers.get('last-event-id')).toBeNull();
    expect(log.errors).toEqual([]);
  });

  it('reports connecting, open and offline, and backs off while the server refuses the stream', async () => {
    const client = open();
    const states: string[] = [];
    client.on('connection', (state) => states.push(state));
    await connected(client);
    chat.server.refuseStreams = true;
    chat.server.dropStreams();
    await connected(client, 'offline');
    await next(client, 'connection', (s) => s === 'offline'); // one refused retry, then offline again
    chat.server.refuseStreams = false;
    await connected(client);
    expect(states[0]).toBe('open');
    expect(states.at(-1)).toBe('open');
    expect(states).toContain('offline');
    expect(eventRequests().filter((r) => r.status === 503).length).toBeGreaterThanOrEqual(1);
  });

  it('catches up from history when the stream dropped before any event carried an id', async () => {
    const visitorId = crypto.randomUUID();
    const watcher = open({ visitorId, storage: memoryStorage() });
    const log = record(watcher);
    await connected(watcher);
    chat.server.refuseStreams = true;
    chat.server.dropStreams();
    await connected(watcher, 'offline');
    const caught = next(watcher, 'message', (m) => text(m) === 'from another tab');
    await open({ visitorId }).send('from another tab');
    chat.server.refuseStreams = false;
    await caught;
    expect(log.messages.map(text)).toEqual(['from another tab']);
  });

  it('stops reconnecting when the server refuses the identity token (401)', async () => {
    const client = open({ identityToken: 'eyJzdWIiOiJ4In0.forged' });
    const refused = await next(client, 'error');
    expect(refused).toMatchObject({ name: 'DeliveryError', status: 401, retryable: false });
    expect(client.connection).toBe('offline');
    await expect(client.send('hi')).rejects.toMatchObject({ status: 401 });
    expect(eventRequests()).toHaveLength(1);
    expect(await client.pending()).toEqual([]);
  });
});

describe('a visitor signed in as another user', () => {
  it('stops reconnecting when the server refuses the stream with 409', async () => {
    const token = (sub: string) =>
      signIdentityToken({ sub, exp: Math.floor(Date.now() / 1000) + 600 }, SECRET);
    const ada = open({ visitorId: 'shared-pc', storage: memoryStorage(), identityToken: await token('ada') });
    await connected(ada);
    await ada.send('Ada here');
    ada.close();
    const bob = open({ visitorId: 'shared-pc', storage: memoryStorage(), identityToken: await token('bob') });
    const refused = await next(bob, 'error');
    expect(refused).toMatchObject({ name: 'DeliveryError', status: 409, retryable: false });
    expect(bob.connection).toBe('offline');
    await new Promise((resolve) => setTimeout(resolve, 200)); // past several backoffs: no retry
    expect(eventRequests().filter((r) => r.headers.get('x-threadline-visitor') === 'shared-pc').length).toBe(
      2,
    );
  });
});

describe('malformed server events', () => {
  it('are reported as ValidationErrors naming the field, and the stream goes on', async () => {
    const bad = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: ready\ndata: {}\n\n');
      res.write('id: 1\nevent: message\ndata: {"id":1}\n\n');
      res.write('id: 2\nevent: status\ndata: not json\n\n');
      res.write('event: typing\ndata: {"typing":true,"author":{"type":"agent","name":"Ana"}}\n\n');
    });
    await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve));
    const { port } = bad.address() as AddressInfo;
    const client = createChatClient({ endpoint: `http://127.0.0.1:${port}/chat`, storage: memoryStorage() });
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    try {
      const typing = await next(client, 'typing');
      expect(typing).toEqual({ typing: true, author: { type: 'agent', name: 'Ana' } });
      expect(errors.map((e) => [e.constructor, e.message])).toEqual([
        [ValidationError, 'Invalid message: id: expected a string'],
        [ValidationError, 'Invalid status event: (root): not JSON'],
      ]);
    } finally {
      client.close();
      bad.closeAllConnections();
      await new Promise((resolve) => bad.close(resolve));
    }
  });
});
