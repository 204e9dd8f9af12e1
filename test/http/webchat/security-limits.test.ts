/**
 * Security of the web-chat endpoints' HTTP surface: limits a client cannot dodge by making up
 * visitor ids or forwarding headers, CORS that cannot be opened to every site with credentials,
 * and headers that keep answers from being sniffed or cached.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { webchat } from '../../../src/channels/webchat/index.js';
import { isInternalAddress } from '../../../src/http/address.js';
import { createWebChatHandler } from '../../../src/http/webchat/index.js';
import { createDesk } from '../../../src/index.js';
import { ValidationError } from '../../../src/model/errors.js';
import type { LoggedEvent } from '../../../src/model/events.js';
import { memoryStore } from '../../../src/stores/memory/index.js';
import { serve } from '../helpers.js';
import { type ChatFixture, connect, type SseClient, say, startChat, visitorHeaders } from './helpers.js';

let fx: ChatFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

/** POSTs a message as `visitor` with extra headers; returns the status. */
async function send(visitor: string, n: number, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(fx!.url('/chat/messages'), {
    method: 'POST',
    headers: { ...visitorHeaders(visitor), 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ clientId: `c-${visitor}-${n}`, text: 'spam' }),
  });
  await response.body?.cancel();
  return response.status;
}

describe('per-address limits', () => {
  const rateLimit = { capacity: 2, refillPerSec: 0.001 };

  it('a client making up a new visitor id (and X-Forwarded-For) per message is limited by its address', async () => {
    fx = await startChat({ rateLimit, visitorsPerAddress: 2 });
    const statuses: number[] = [];
    for (let n = 0; n < 8; n++) {
      statuses.push(
        await send(`bot-${n}`, n, { 'x-forwarded-for': `198.51.100.${n}`, forwarded: `for=10.0.0.${n}` }),
      );
    }
    // 2 visitors' worth from 127.0.0.1: 4 messages, then 429 whatever the ids and headers say.
    expect(statuses).toEqual([201, 201, 201, 201, 429, 429, 429, 429]);
    expect(await fx.desk.store.findCustomerByIdentity('default', 'webchat:bot-7')).toBeUndefined();
  });

  it('the per-visitor limit still holds within an address', async () => {
    fx = await startChat({ rateLimit, visitorsPerAddress: 10 });
    expect([await send('ann', 1), await send('ann', 2), await send('ann', 3)]).toEqual([201, 201, 429]);
    expect(await send('bob', 1)).toBe(201);
  });

  it('a host behind a proxy opts in to its header with clientAddress: each client gets its own bucket', async () => {
    fx = await startChat({
      rateLimit,
      visitorsPerAddress: 1,
      clientAddress: (request) => request.headers.get('x-real-ip') ?? undefined,
    });
    expect(await send('a1', 1, { 'x-real-ip': '203.0.113.1' })).toBe(201);
    expect(await send('a2', 1, { 'x-real-ip': '203.0.113.1' })).toBe(201);
    expect(await send('a3', 1, { 'x-real-ip': '203.0.113.1' })).toBe(429);
    expect(await send('b1', 1, { 'x-real-ip': '203.0.113.2' })).toBe(201);
  });

  it('event streams are limited per address too, whatever visitor ids they name', async () => {
    fx = await startChat({ maxStreamsPerVisitor: 2, visitorsPerAddress: 2 });
    const streams: SseClient[] = [];
    try {
      for (let n = 0; n < 4; n++) streams.push(await connect(fx, visitorHeaders(`tab-${n}`)));
      expect(streams.map((stream) => stream.status)).toEqual([200, 200, 200, 200]);
      const fifth = await connect(fx, visitorHeaders('tab-4'));
      streams.push(fifth);
      expect(fifth.status).toBe(429);
      expect(fifth.headers.get('retry-after')).toBe('5');
    } finally {
      for (const stream of streams) stream.close();
    }
  });

  it('refuses a visitorsPerAddress that is not a positive integer, and a clientAddress that is not a function', () => {
    const desk = createDesk({ channels: [webchat()] });
    expect(() => createWebChatHandler(desk, { visitorsPerAddress: 0 })).toThrow(ValidationError);
    expect(() =>
      createWebChatHandler(desk, { clientAddress: 'x-forwarded-for' as unknown as () => string }),
    ).toThrow(/clientAddress/);
  });
});

describe('behind a proxy', () => {
  /** A desk logger that records warnings. */
  function recording() {
    const warnings: string[] = [];
    return { warnings, logger: { warn: (message: string) => void warnings.push(message), error: () => {} } };
  }
  const proxyWarnings = (warnings: string[]) => warnings.filter((w) => w.includes('through a proxy'));

  it('warns once that visitors share the proxy address limits when forwarded requests come from it', async () => {
    const { warnings, logger } = recording();
    fx = await startChat({}, { logger });
    expect(await send('ann', 1)).toBe(201);
    expect(proxyWarnings(warnings)).toEqual([]);
    expect(await send('bob', 1, { 'x-forwarded-for': '203.0.113.7' })).toBe(201);
    expect(await send('cy', 1, { forwarded: 'for=203.0.113.8' })).toBe(201);
    expect(proxyWarnings(warnings)).toEqual([
      expect.stringMatching(
        /from (127\.0\.0\.1|::1|::ffff:127\.0\.0\.1), with x-forwarded-for\).*20 visitors' worth of messages, 100 event streams.*clientAddress/,
      ),
    ]);
  });

  it('says nothing when the host chose the address with clientAddress', async () => {
    const { warnings, logger } = recording();
    fx = await startChat(
      { clientAddress: (request) => request.headers.get('x-real-ip') ?? undefined },
      { logger },
    );
    expect(await send('ann', 1, { 'x-real-ip': '203.0.113.1', 'x-forwarded-for': '203.0.113.1' })).toBe(201);
    expect(proxyWarnings(warnings)).toEqual([]);
  });
});

describe('isInternalAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.1.10', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['100.128.0.1', false],
    ['203.0.113.5', false],
    ['8.8.8.8', false],
    ['::1', true],
    ['::ffff:10.0.0.5', true],
    ['::FFFF:8.8.8.8', false],
    ['fd12:3456::1', true],
    ['fe80::1', true],
    ['2001:db8::1', false],
    ['not an address', false],
    ['', false],
  ])('%s -> %s', (address, internal) => {
    expect(isInternalAddress(address)).toBe(internal);
  });
});

describe('resuming an event stream', () => {
  it('replays at most 10 000 events, so a Last-Event-ID far back cannot make a stream read the whole log', async () => {
    // A store whose log runs on without end after the cursor `far-0` (years of events, as a
    // database may keep); the live log (the tail's cursors) is the real one.
    const store = memoryStore();
    const readEvents = store.readEvents.bind(store);
    let synthetic = 0;
    store.readEvents = async (options) => {
      if (!options.after?.startsWith('far-')) return readEvents(options);
      const from = Number(options.after.slice(4));
      synthetic += options.limit;
      return Array.from({ length: options.limit }, (_, i): LoggedEvent => {
        const n = from + i + 1;
        return { cursor: `far-${n}`, event: { id: `old-${n}`, type: 'conversation.updated' } as never };
      });
    };
    const desk = createDesk({ store, channels: [webchat()], logger: { warn() {}, error() {} } });
    const chat = createWebChatHandler(desk);
    const server = await serve(async (request) => (await chat(request))!);
    const local = { url: (path: string) => server.url + path } as ChatFixture;
    const stream = await connect(local, { ...visitorHeaders('v'), 'last-event-id': 'far-0' });
    try {
      expect(stream.status).toBe(200);
      await stream.next((e) => e.event === 'ready');
      expect((await say(local, 'v', { clientId: 'c1', text: 'live after the replay' })).status).toBe(201);
      await stream.next((e) => e.event === 'message', 5_000);
      expect(synthetic).toBeLessThanOrEqual(10_000);
    } finally {
      stream.close();
      chat.close();
      await server.close();
      await desk.close();
    }
  });
});

describe('CORS', () => {
  it("refuses origins '*' with credentials: every site could send the user's cookies and read the answers", () => {
    const desk = createDesk({ channels: [webchat()] });
    expect(() => createWebChatHandler(desk, { cors: { origins: '*', credentials: true } })).toThrow(
      /credentials/,
    );
    expect(() => createWebChatHandler(desk, { cors: { origins: '*' } })).not.toThrow();
    expect(() =>
      createWebChatHandler(desk, { cors: { origins: ['https://shop.example.com'], credentials: true } }),
    ).not.toThrow();
  });

  it('an origin not in the list gets no CORS headers, and credentials are never allowed for it', async () => {
    fx = await startChat({ cors: { origins: ['https://shop.example.com'], credentials: true } });
    const response = await fetch(fx.url('/chat/messages'), {
      headers: { ...visitorHeaders('v'), origin: 'https://evil.example' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('response headers', () => {
  it('every answer, refusals included, is nosniff and no-store', async () => {
    fx = await startChat();
    const answers = [
      await fetch(fx.url('/chat/messages'), { headers: visitorHeaders('v') }), // 200 history
      await fetch(fx.url('/chat/messages')), // 400: no visitor
      await fetch(fx.url('/chat/messages'), {
        headers: { ...visitorHeaders('v'), authorization: 'Basic x' },
      }), // 401
      await fetch(fx.url('/chat/nowhere')), // 404
      await fetch(fx.url('/chat/typing'), { headers: visitorHeaders('v') }), // 405
      await fetch(fx.url('/chat/messages'), {
        method: 'POST',
        headers: { ...visitorHeaders('v'), 'content-type': 'text/html' },
        body: '<script>alert(1)</script>',
      }), // 415
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 400, 401, 404, 405, 415]);
    for (const answer of answers) {
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      await answer.body?.cancel();
    }
    const stream = await connect(fx, visitorHeaders('v'));
    expect(stream.headers.get('x-content-type-options')).toBe('nosniff');
    expect(stream.headers.get('cache-control')).toBe('no-store, no-transform');
    stream.close();
  });
});
