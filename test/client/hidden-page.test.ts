/**
 * A page left hidden parks its live stream: the connection it held is free for the site's other
 * tabs (a browser allows 6 per host over HTTP/1.1). Shown again, the stream reopens at once and
 * the client emits what came meanwhile, once, without reporting a drop. Real server on 127.0.0.1;
 * the page is a stand-in `document` with what the client reads of one (`hidden`,
 * `visibilitychange`); real Chromium tabs are in test/e2e/client/widget-tabs.browser.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { webchat } from '../../src/channels/webchat/index.js';
import {
  type ChatClient,
  type ChatClientOptions,
  createChatClient,
  memoryStorage,
} from '../../src/client/index.js';
import { createWebChatHandler } from '../../src/http/webchat/index.js';
import { createDesk } from '../../src/index.js';
import { countOpen, serve } from '../http/helpers.js';
import { connected, next, record, states } from './events.js';
import { text } from './fixture.js';

/** A browser page as the client sees it: shown or hidden, and telling when that changes. */
class StandInPage extends EventTarget {
  hidden = false;
  /** Hides or shows the page (another tab in front, or back to this one). */
  set(hidden: boolean): void {
    this.hidden = hidden;
    this.dispatchEvent(new Event('visibilitychange'));
  }
}

const agent = { type: 'agent' as const, name: 'Ana' };
/** For asserting that nothing happens: longer than several reconnect backoffs (40 to 160 ms). */
const quietWhile = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The web-chat endpoints on 127.0.0.1, counting their event streams. */
interface StreamServer {
  endpoint: string;
  desk: ReturnType<typeof createDesk>;
  /** `Last-Event-ID` of every `GET /chat/events` (`''` without one). */
  streamRequests: string[];
  /** Event streams not closed yet. */
  openStreams(): number;
  close(): Promise<void>;
}

async function startServer(): Promise<StreamServer> {
  const desk = createDesk({ channels: [webchat()], logger: { warn() {}, error() {} } });
  const chat = createWebChatHandler(desk, { keepAliveMs: 60_000 });
  const streamRequests: string[] = [];
  const streams = countOpen('/chat/events', (req) =>
    streamRequests.push(String(req.headers['last-event-id'] ?? '')),
  );
  const server = await serve(
    async (request) => (await chat(request)) ?? new Response(null, { status: 404 }),
    streams.wrap,
  );
  return {
    endpoint: `${server.url}/chat`,
    desk,
    streamRequests,
    openStreams: streams.open,
    async close() {
      chat.close();
      await server.close();
      await desk.close();
    },
  };
}

let page: StandInPage;
let server: StreamServer;
let clients: ChatClient[];

beforeEach(async () => {
  page = new StandInPage();
  (globalThis as { document?: unknown }).document = page;
  server = await startServer();
  clients = [];
});

afterEach(async () => {
  for (const client of clients) client.close();
  delete (globalThis as { document?: unknown }).document;
  await server.close();
});

function open(options: Partial<ChatClientOptions> = {}): ChatClient {
  const client = createChatClient({
    endpoint: server.endpoint,
    storage: memoryStorage(),
    backoff: { baseMs: 40, maxMs: 160 },
    hiddenMs: 100,
    ...options,
  });
  clients.push(client);
  return client;
}

describe('a hidden page', () => {
  it('parks its stream after hiddenMs; shown again, the stream reopens at once and what came meanwhile is emitted once, with no connection event', async () => {
    const client = open();
    await connected(client);
    const hello = await client.send('hello');
    const log = record(client);
    const seen = states(client);

    page.set(true);
    await expect.poll(() => server.openStreams()).toBe(0);
    await server.desk.reply(hello.conversationId!, { text: 'Still there?', author: agent });
    const sent = await client.send('typed in another tab'); // the outbox is not parked
    expect(sent.pending).toBeUndefined();
    await quietWhile(500);
    expect(server.streamRequests).toHaveLength(1); // no reconnect while hidden
    expect(client.connection).toBe('open'); // parked is not offline

    const missed = next(client, 'message', (m) => text(m) === 'Still there?');
    page.set(false);
    await missed;
    const live = next(client, 'message', (m) => text(m) === 'Good.');
    await server.desk.reply(hello.conversationId!, { text: 'Good.', author: agent });
    await live;

    expect(log.messages.filter((m) => !m.pending).map(text)).toEqual([
      'typed in another tab',
      'Still there?',
      'Good.',
    ]);
    expect(server.streamRequests).toHaveLength(2);
    expect(server.streamRequests[1]).not.toBe(''); // resumed from the last event id
    expect(server.openStreams()).toBe(1);
    expect(seen).toEqual([]);
    expect(log.errors).toEqual([]);
  });

  it('keeps its stream when it is shown again before hiddenMs', async () => {
    const client = open({ hiddenMs: 300 });
    await connected(client);
    const seen = states(client);
    page.set(true);
    await quietWhile(100);
    page.set(false);
    await quietWhile(600);
    expect(server.streamRequests).toHaveLength(1);
    expect(server.openStreams()).toBe(1);
    expect(seen).toEqual([]);
  });

  it('connects when it is first shown if it was loaded hidden (a tab opened in the background), and sends meanwhile', async () => {
    page.hidden = true;
    const client = open();
    const sent = await client.send('from a background tab');
    expect(sent.pending).toBeUndefined();
    await quietWhile(500);
    expect(server.streamRequests).toEqual([]);
    expect(client.connection).toBe('connecting');

    page.set(false);
    await connected(client);
    expect(server.streamRequests).toHaveLength(1);
  });

  it('keeps its stream with hiddenMs: Infinity', async () => {
    const client = open({ hiddenMs: Number.POSITIVE_INFINITY });
    await connected(client);
    page.set(true);
    await quietWhile(500);
    expect(server.openStreams()).toBe(1);
    expect(client.connection).toBe('open');
  });

  it('is no longer watched once the client is closed', async () => {
    const client = open();
    await connected(client);
    page.set(true);
    await expect.poll(() => server.openStreams()).toBe(0);
    client.close();
    page.set(false);
    await quietWhile(500);
    expect(server.streamRequests).toHaveLength(1);
  });
});
