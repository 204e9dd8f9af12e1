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
  const faults = { refuseStreams: false };
  const streams = new Set<Socket>();
  const listener = toNodeListener(async (request) => {
    if (faults.refuseStreams && new URL(request.url).pathname.endsWith('/events')) {
      return new Response('{"error":{"code":"DOWN","message":"down"}}', { status: 503 });
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

describe('live updates past the event log', () => {
  it('a stream resumed from an id older than the log keeps still gets every missed reply, once', async () => {
    const server = await shortLogServer(8);
    const client = createChatClient({
      endpoint: server.endpoint,
      storage: memoryStorage(),
      backoff: { baseMs: 20, maxMs: 40 },
    });
    const log = record(client);
    try {
      await connected(client);
      const hello = await client.send('hello');
      const agent = { type: 'agent' as const };
      const seen = next(client, 'message', (m) => text(m) === 'r0');
      await server.desk.reply(hello.conversationId!, { text: 'r0', author: agent });
      await seen;
      server.faults.refuseStreams = true;
      server.dropStreams();
      await connected(client, 'offline');
      // A long sleep on a busy desk: more events than the log keeps, so the stream's id is gone.
      for (let i = 1; i <= 8; i++)
        await server.desk.reply(hello.conversationId!, { text: `r${i}`, author: agent });
      const oldest = next(client, 'message', (m) => text(m) === 'r1', 3000);
      const last = next(client, 'message', (m) => text(m) === 'r9');
      server.faults.refuseStreams = false;
      await connected(client);
      await server.desk.reply(hello.conversationId!, { text: 'r9', author: agent });
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
