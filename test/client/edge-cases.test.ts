import 'fake-indexeddb/auto';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { webchat } from '../../src/channels/webchat/index.js';
import { createChatClient, memoryStorage } from '../../src/client/index.js';
import { toNodeListener } from '../../src/http/node.js';
import { signIdentityToken } from '../../src/http/token.js';
import { createWebChatHandler } from '../../src/http/webchat/index.js';
import { createDesk } from '../../src/index.js';
import { memoryStore } from '../../src/stores/memory/index.js';
import { SECRET, storedMessages } from './chat-server.js';
import { connected, next, record } from './events.js';
import { text, useChatServer } from './fixture.js';

const chat = useChatServer();
const open = chat.open;

afterEach(() => {
  vi.unstubAllGlobals();
});

/** A chat server whose event log keeps only `retention` events, and whose streams can be cut. */
async function shortLogServer(retention: number) {
  const desk = createDesk({
    store: memoryStore({ eventRetention: retention }),
    channels: [webchat()],
    logger: { warn() {}, error() {} },
  });
  const handler = createWebChatHandler(desk, { keepAliveMs: 60_000 });
  /**
   * `htmlAnswers`: the next sends are answered 200 with an HTML page, as a proxy might; `true` when
   * the message is stored behind that page, `false` when the server never sees it.
   */
  const faults = { refuseStreams: false, htmlAnswers: [] as boolean[] };
  const streams = new Set<Socket>();
  const listener = toNodeListener(async (request) => {
    const { pathname } = new URL(request.url);
    if (faults.refuseStreams && pathname.endsWith('/events')) {
      return new Response('{"error":{"code":"DOWN","message":"down"}}', { status: 503 });
    }
    if (request.method === 'POST' && pathname.endsWith('/messages') && faults.htmlAnswers.length > 0) {
      if (faults.htmlAnswers.shift()) await handler(request);
      const page = '<!doctype html><title>Welcome</title><p>Please wait...</p>';
      return new Response(page, { status: 200, headers: { 'content-type': 'text/html' } });
    }
    return (await handler(request)) ?? new Response('not found', { status: 404 });
  });
  const server = createServer((req, res) => {
    if (req.url?.includes('/events')) streams.add(req.socket);
    listener(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    desk,
    faults,
    endpoint: `http://127.0.0.1:${port}/chat`,
    dropStreams() {
      for (const socket of streams) socket.destroy();
      streams.clear();
    },
    async close() {
      handler.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await desk.close();
    },
  };
}

/**
 * A client of `server` that said hello, saw the agent's first reply (`r0`), then lost its stream:
 * the server refuses new streams until `server.faults.refuseStreams` is cleared.
 */
async function droppedAfterFirstReply(server: Awaited<ReturnType<typeof shortLogServer>>) {
  const client = createChatClient({
    endpoint: server.endpoint,
    storage: memoryStorage(),
    backoff: { baseMs: 20, maxMs: 40 },
  });
  const log = record(client);
  await connected(client);
  const hello = await client.send('hello');
  const agent = { type: 'agent' as const };
  const seen = next(client, 'message', (m) => text(m) === 'r0');
  await server.desk.reply(hello.conversationId!, { text: 'r0', author: agent });
  await seen;
  server.faults.refuseStreams = true;
  server.dropStreams();
  await connected(client, 'offline');
  const reply = (body: string) => server.desk.reply(hello.conversationId!, { text: body, author: agent });
  return { client, log, reply };
}

describe('live updates past the event log', () => {
  it('a stream resumed from an id older than the log keeps still gets every missed reply, once', async () => {
    const server = await shortLogServer(8);
    const { client, log, reply } = await droppedAfterFirstReply(server);
    try {
      // A long sleep on a busy desk: more events than the log keeps, so the stream's id is gone.
      for (let i = 1; i <= 8; i++) await reply(`r${i}`);
      const oldest = next(client, 'message', (m) => text(m) === 'r1', 3000);
      const last = next(client, 'message', (m) => text(m) === 'r9');
      server.faults.refuseStreams = false;
      await connected(client);
      await reply('r9');
      await Promise.all([oldest, last]);
      const texts = log.messages.filter((m) => !m.pending).map(text);
      expect([...texts].sort()).toEqual([
        'hello',
        'r0',
        'r1',
        'r2',
        'r3',
        'r4',
        'r5',
        'r6',
        'r7',
        'r8',
        'r9',
      ]);
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('one browser, several users', () => {
  it("a token for another user starts a new visitor id, so the two users' customers are never merged", async () => {
    const kept = new Map<string, string>();
    vi.stubGlobal('localStorage', {
      getItem: (key: string) => kept.get(key) ?? null,
      setItem: (key: string, value: string) => kept.set(key, String(value)),
      removeItem: (key: string) => kept.delete(key),
    });
    const exp = Math.floor(Date.now() / 1000) + 600;
    const token = (sub: string) => signIdentityToken({ sub, email: `${sub}@example.com`, exp }, SECRET);
    const storage = memoryStorage();

    const anonymous = open({ storage });
    const ada = open({ storage, identityToken: await token('ada') });
    expect(ada.visitorId).toBe(anonymous.visitorId); // a login keeps the visitor: its chat joins the user
    const fromAda = await ada.send('I am Ada');
    const refreshed = open({
      storage,
      identityToken: await signIdentityToken({ sub: 'ada', exp: exp + 1 }, SECRET),
    });
    expect(refreshed.visitorId).toBe(ada.visitorId);

    const bob = open({ storage, identityToken: await token('bob') });
    expect(bob.visitorId).not.toBe(ada.visitorId);
    const fromBob = await bob.send('I am Bob');
    expect(fromBob.customerId).not.toBe(fromAda.customerId);
    expect((await chat.server.desk.customers.get(fromAda.customerId!)).mergedInto).toBeUndefined();
    expect((await storedMessages(chat.server.desk, fromBob.customerId!)).map((m) => m.parts)).toEqual([
      [{ type: 'text', text: 'I am Bob' }],
    ]);
  });
});

describe('two tabs', () => {
  it('sharing one outbox, they deliver each message queued offline once, in order', async () => {
    const visitorId = crypto.randomUUID();
    const storage = memoryStorage();
    const [left, right] = [open({ visitorId, storage }), open({ visitorId, storage })];
    await connected(left);
    await connected(right);
    await chat.server.stop();
    await connected(left, 'offline');
    const queued = [await left.send('one'), await right.send('two'), await left.send('three')];

    const arrived = [left, right].map((tab) =>
      next(tab, 'message', (m) => !m.pending && text(m) === 'three'),
    );
    await chat.server.start();
    const [third] = await Promise.all(arrived);
    await Promise.all([left.flush(), right.flush()]);
    const stored = await storedMessages(chat.server.desk, third!.customerId!);
    expect(stored.map((m) => m.externalId)).toEqual(queued.map((m) => m.id));
    expect(await left.pending()).toEqual([]);
  });
});

describe('catching up after a long drop', () => {
  it('emits the missed messages in time order, replayed events and history pages merged, each once', async () => {
    const server = await shortLogServer(8);
    const { client, log, reply } = await droppedAfterFirstReply(server);
    try {
      // More replies than a history page holds, and far more events than the log keeps.
      for (let i = 1; i <= 60; i++) await reply(`r${i}`);
      const last = next(client, 'message', (m) => text(m) === 'r61');
      server.faults.refuseStreams = false;
      await connected(client);
      await reply('r61');
      await last;
      const texts = log.messages.filter((m) => !m.pending).map(text);
      expect(texts).toEqual(['hello', ...Array.from({ length: 62 }, (_, i) => `r${i}`)]);
      const times = log.messages.filter((m) => !m.pending).map((m) => m.at);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('a 2xx answer to a send that is not the expected JSON', () => {
  it('keeps the message queued and sends it again: stored once whether the first try was stored or not', async () => {
    const server = await shortLogServer(10_000);
    const client = createChatClient({
      endpoint: server.endpoint,
      storage: memoryStorage(),
      backoff: { baseMs: 20, maxMs: 40 },
    });
    const log = record(client);
    try {
      await connected(client);
      for (const stored of [true, false]) {
        server.faults.htmlAnswers = [stored];
        const name = stored ? 'stored behind a proxy page' : 'lost behind a proxy page';
        const arrived = next(client, 'message', (m) => !m.pending && text(m) === name);
        const sent = await client.send(name);
        expect(sent.pending).toBe(true);
        const message = await arrived;
        await client.flush();
        expect(await client.pending()).toEqual([]);
        expect((await storedMessages(server.desk, message.customerId!)).map((m) => m.externalId)).toContain(
          sent.id,
        );
      }
      const customerId = log.messages.find((m) => !m.pending)!.customerId!;
      const stored = (await storedMessages(server.desk, customerId)).map(text);
      expect(stored).toEqual(['stored behind a proxy page', 'lost behind a proxy page']);
      expect(log.messages.filter((m) => !m.pending).map(text)).toEqual(stored);
      expect(log.statuses.filter((s) => s.status === 'failed')).toEqual([]);
      expect(log.errors.map((e) => e.name)).toEqual(['DeliveryError', 'DeliveryError']);
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('message size', () => {
  it('the longest text is sent, even in CJK; longer input is a ValidationError before anything is queued', async () => {
    const client = open({ storage: memoryStorage() });
    const longest = await client.send('漢'.repeat(65_536));
    expect([longest.pending, text(longest).length]).toEqual([undefined, 65_536]);
    const posts = () => chat.server.requests.filter((r) => r.method === 'POST').length;
    const before = posts();
    const big = Array.from({ length: 10 }, () => ({ type: 'text' as const, text: '\u0001'.repeat(10_000) }));
    for (const [input, field] of [
      ['漢'.repeat(65_537), 'text'],
      [big, 'parts'], // 600 KB as JSON: over the server's 512 KiB
      [[{ type: 'text', text: 'x'.repeat(65_537) }], 'parts[0].text'],
      [Array.from({ length: 101 }, () => ({ type: 'text', text: 'x' })), 'parts'],
    ] as const) {
      await expect(client.send(input as never)).rejects.toMatchObject({ name: 'ValidationError', field });
    }
    expect(await client.pending()).toEqual([]);
    expect(posts()).toBe(before);
  });

  it('parts whose request body is exactly 512 KiB are stored; one byte more is refused before queueing', async () => {
    const client = open({ storage: memoryStorage() });
    /** Text parts of `a`s whose body, as the client posts it with a UUID clientId, is `bytes` long. */
    const partsOf = (bytes: number) => {
      const parts = Array.from({ length: 8 }, () => ({ type: 'text' as const, text: 'a' }));
      const overhead = JSON.stringify({ clientId: crypto.randomUUID(), parts }).length - 8;
      let left = bytes - overhead;
      for (const part of parts) {
        part.text = 'a'.repeat(Math.min(65_536, left));
        left -= part.text.length;
      }
      expect(left).toBe(0);
      return parts;
    };
    const stored = await client.send(partsOf(512 * 1024));
    expect(stored.pending).toBeUndefined();
    await expect(client.send(partsOf(512 * 1024 + 1))).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'parts',
    });
  });
});
