/**
 * Edge cases of the web-chat endpoints (`createWebChatHandler`), on a real desk behind a real
 * node:http server on 127.0.0.1 or called directly as a Fetch handler.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { webchat } from '../../../src/channels/webchat/index.js';
import { signIdentityToken } from '../../../src/http/token.js';
import { createWebChatHandler } from '../../../src/http/webchat/index.js';
import { createDesk } from '../../../src/index.js';
import type { Message } from '../../../src/model/records.js';
import { memoryStore } from '../../../src/stores/memory/index.js';
import { eventCount, serve } from '../../http/helpers.js';
import {
  type ChatFixture,
  connect,
  post,
  SECRET,
  type SseEvent,
  say,
  startChat,
  until,
  visitorHeaders,
} from '../../http/webchat/helpers.js';

let fx: ChatFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const agent = { type: 'agent' as const, name: 'Sam' };
/** Lets every pending promise and I/O callback run (to see that nothing more happens). */
const settled = () => new Promise((resolve) => setImmediate(resolve));
const login = (sub: string, email = `${sub}@example.com`) =>
  signIdentityToken({ sub, email, exp: Math.floor(Date.now() / 1000) + 600 }, SECRET);

async function send(visitor: string, clientId: string, text: string, token?: string): Promise<Message> {
  const response = await say(fx!, visitor, { clientId, text }, token);
  expect(response.status).toBe(201);
  return ((await response.json()) as { message: Message }).message;
}

async function historyOf(visitor: string, token?: string): Promise<string[]> {
  const response = await fetch(fx!.url('/chat/messages'), { headers: visitorHeaders(visitor, token) });
  const { items } = (await response.json()) as { items: Message[] };
  return items.map((m) => (m.parts[0] as { text: string }).text);
}

const mentions = (text: string) => (event: SseEvent) => JSON.stringify(event.data).includes(text);

describe('HTTP inputs', () => {
  it('a visitor id is 1-128 characters of A-Z a-z 0-9 . _ : -; anything else is 400 naming visitor', async () => {
    fx = await startChat();
    const before = await eventCount(fx.desk);
    for (const visitor of ['x'.repeat(129), 'a/b', 'a b', '<v>', 'ann@example.com']) {
      const response = await say(fx, visitor, { clientId: `c-${visitor.length}`, text: 'hi' });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { field: string } }).error.field).toBe('visitor');
    }
    expect(await eventCount(fx.desk)).toBe(before);
    expect((await say(fx, `Az09._:-${'x'.repeat(120)}`, { clientId: 'ok', text: 'hi' })).status).toBe(201);
  });

  it('a JSON body may start with a UTF-8 BOM; bytes that are not UTF-8 are 400 naming body', async () => {
    fx = await startChat();
    const post = (body: BodyInit) =>
      fetch(fx!.url('/chat/messages'), {
        method: 'POST',
        headers: { ...visitorHeaders('v'), 'content-type': 'application/json; charset=utf-8' },
        body,
      });
    expect((await post(`\uFEFF${JSON.stringify({ clientId: 'bom', text: 'hi' })}`)).status).toBe(201);
    const before = await eventCount(fx.desk);
    const latin1 = await post(new Uint8Array([0x7b, 0x22, 0xe9, 0x22, 0x7d])); // {"é"} in Latin-1
    expect(latin1.status).toBe(400);
    expect(((await latin1.json()) as { error: { field: string } }).error.field).toBe('body');
    expect(await eventCount(fx.desk)).toBe(before);
  });
});

describe('identity tokens', () => {
  it('a login on a new browser never joins a customer that only claimed the email', async () => {
    fx = await startChat();
    const mallory = await send('mallory', 'm1', 'hello');
    // A self-claimed address (a pre-chat form, an agent's typo): unverified.
    await fx.desk.identify(mallory.customerId, { kind: 'email', value: 'ann@example.com' });
    const token = await login('ann');
    const stream = await connect(fx, {}, `?visitor=ann-phone&token=${token}`);
    expect((await stream.next()).data).toEqual({ customerId: null });
    stream.close();
    const ann = await send('ann-phone', 'a1', 'my card ends in 4242', token);
    expect(ann.customerId).not.toBe(mallory.customerId);
    expect(await historyOf('mallory')).toEqual(['hello']);
  });

  it("a visitor signed in as one user is refused another user's token (409): their customers stay apart", async () => {
    fx = await startChat();
    const bob = await send('bob-laptop', 'b1', 'Bob here', await login('bob'));
    const ada = await send('shared-pc', 'a1', 'Ada here', await login('ada'));
    const switched = await say(fx, 'shared-pc', { clientId: 'a2', text: 'now Bob?' }, await login('bob'));
    expect(switched.status).toBe(409);
    expect(((await switched.json()) as { error: { code: string } }).error.code).toBe('CONFLICT');
    expect((await fx.desk.customers.get(ada.customerId)).mergedInto).toBeUndefined();
    expect(await historyOf('bob-laptop', await login('bob'))).toEqual(['Bob here']);
    expect(bob.customerId).not.toBe(ada.customerId);
  });
});

describe('the brand option', () => {
  it("stores visitors' messages in the handler's brand: a retry is 200 and history lists them", async () => {
    fx = await startChat({ brand: 'shop' });
    const first = await say(fx, 'v', { clientId: 'c1', text: 'hi' });
    expect(first.status).toBe(201);
    expect(((await first.json()) as { message: Message }).message.brandId).toBe('shop');
    expect((await say(fx, 'v', { clientId: 'c1', text: 'hi' })).status).toBe(200);
    expect(await historyOf('v')).toEqual(['hi']);
  });

  it("one visitor id on two brands' chats: each stream shows its own brand only", async () => {
    const desk = createDesk({ channels: [webchat()] });
    const shop = createWebChatHandler(desk, { brand: 'shop' });
    const bank = createWebChatHandler(desk, { basePath: '/bank', brand: 'bank' });
    const server = await serve(async (request) => (await shop(request)) ?? (await bank(request))!);
    const shopStream = await connect({ url: (path: string) => server.url + path } as ChatFixture, {
      'x-threadline-visitor': 'same-browser',
    });
    try {
      await shopStream.next();
      const post = (path: string, clientId: string, text: string) =>
        fetch(server.url + path, {
          method: 'POST',
          headers: { 'x-threadline-visitor': 'same-browser', 'content-type': 'application/json' },
          body: JSON.stringify({ clientId, text }),
        });
      expect((await post('/bank/messages', 'k1', 'my bank balance')).status).toBe(201);
      expect((await post('/chat/messages', 's1', 'my shoe size')).status).toBe(201);
      await shopStream.next(mentions('my shoe size'));
      expect(shopStream.received.some(mentions('my bank balance'))).toBe(false);
    } finally {
      shopStream.close();
      shop.close();
      bank.close();
      await server.close();
      await desk.close();
    }
  });
});

describe('the event stream', () => {
  it('a resume id the log does not hold is answered 200 and never replays another customer', async () => {
    fx = await startChat();
    await send('ann', 'a1', 'ann private');
    await send('bob', 'b1', 'bob first');
    for (const [n, id] of ['abc', '999999999', '-1', '0'].entries()) {
      const stream = await connect(fx, { ...visitorHeaders('bob'), 'last-event-id': id });
      expect(stream.status).toBe(200);
      await stream.next((e) => e.event === 'ready');
      await send('bob', `b-${n}`, `marker ${n}`);
      await stream.next(mentions(`marker ${n}`));
      expect(stream.received.some(mentions('ann private'))).toBe(false);
      stream.close();
    }
  });

  it('closed streams free their slots: a visitor reconnecting again and again is not locked out', async () => {
    fx = await startChat({ maxStreamsPerVisitor: 2 });
    const openTwo = async () => {
      const streams = [
        await connect(fx!, visitorHeaders('flaky')),
        await connect(fx!, visitorHeaders('flaky')),
      ];
      if (streams.every((stream) => stream.status === 200)) return streams;
      for (const stream of streams) stream.close();
    };
    for (let round = 0; round < 3; round++) {
      // The server learns of the last round's disconnects asynchronously: two open once it has.
      const streams = await until(openTwo);
      const third = await connect(fx, visitorHeaders('flaky'));
      expect([third.status, third.headers.get('retry-after')]).toEqual([429, '5']);
      for (const stream of [...streams, third]) stream.close();
    }
  });

  it('a stream aborted while it opens, or opening during close(), leaves nothing following the log', async () => {
    const store = memoryStore();
    const reads = { count: 0 };
    const desk = createDesk({
      store: {
        ...store,
        readEvents(options) {
          reads.count++;
          return store.readEvents(options);
        },
      },
      channels: [webchat()],
    });
    const chat = createWebChatHandler(desk);
    const open = (signal?: AbortSignal) =>
      chat(new Request('http://127.0.0.1/chat/events', { headers: { 'x-threadline-visitor': 'v' }, signal }));
    /** How many log reads one more event causes: 0 once no stream is open. */
    const readsPerEvent = async () => {
      const before = reads.count;
      await desk.receive({ channel: 'webchat', from: { kind: 'webchat', value: 'other' }, text: 'hi' });
      await settled();
      return reads.count - before;
    };
    try {
      const aborted = new AbortController();
      expect((await open(aborted.signal))?.status).toBe(200);
      aborted.abort();
      expect(await readsPerEvent()).toBe(0);

      const early = new AbortController();
      const opening = open(early.signal);
      early.abort();
      await (await opening)?.body?.cancel();
      expect(await readsPerEvent()).toBe(0);

      const closing = open();
      chat.close();
      await (await closing)?.body?.cancel();
      expect(await readsPerEvent()).toBe(0);
    } finally {
      chat.close();
      await desk.close();
    }
  });
});

describe('email fallback', () => {
  it('with verifiedOnly (the default), no copy goes to a self-claimed address the customer also holds', async () => {
    fx = await startChat({ emailFallback: { channel: 'postmark', delayMs: 30 } });
    const copies: Message[] = [];
    fx.desk.on('message.queued', ({ message }) => {
      if (message.channel === 'postmark') copies.push(message);
    });
    const ann = await send('ann-browser', 'a1', 'hi', await login('ann'));
    // An email that failed SPF/DKIM, claimed on the email channel: the address a reply there picks first.
    await fx.desk.identify(
      ann.customerId,
      { kind: 'email', value: 'ann@evil.example' },
      { source: 'postmark' },
    );
    const bob = await send('bob-browser', 'b1', 'hi', await login('bob'));
    await fx.desk.reply(ann.conversationId, { text: 'Your code is 1234', channel: 'webchat', author: agent });
    await fx.desk.reply(bob.conversationId, { text: 'Hello Bob', channel: 'webchat', author: agent });
    const sent = await until(() => fx!.postmark.requests[0]);
    await settled();
    expect(JSON.parse(sent.body)).toMatchObject({ To: 'bob@example.com', TextBody: 'Hello Bob' });
    expect(copies.map((copy) => copy.customerId)).toEqual([bob.customerId]);
  });
});

describe('rate limits', () => {
  it('a clock stepping back neither refills the bucket nor locks the visitor out', async () => {
    let now = 1_800_000_000_000;
    fx = await startChat({ rateLimit: { capacity: 2, refillPerSec: 1 }, clock: () => now });
    const sendAt = (clientId: string) => say(fx!, 'v', { clientId, text: 'hi' });
    expect([(await sendAt('c1')).status, (await sendAt('c2')).status]).toEqual([201, 201]);
    const limited = await sendAt('c3');
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '1']);
    now -= 60_000; // NTP steps the clock back a minute
    const stepped = await sendAt('c3');
    expect([stepped.status, stepped.headers.get('retry-after')]).toEqual([429, '1']);
    now += 1_000;
    expect((await sendAt('c3')).status).toBe(201);
  });
});

describe('message size', () => {
  it('the longest text (65 536 characters) is stored even when each character takes 3 or 6 bytes as JSON', async () => {
    fx = await startChat();
    for (const [clientId, char] of [
      ['cjk', '漢'],
      ['escaped', '\u0001'],
    ] as const) {
      const response = await say(fx, 'v', { clientId, text: char.repeat(65_536) });
      expect(response.status).toBe(201);
    }
    const tooLong = await say(fx, 'v', { clientId: 'long', text: '漢'.repeat(65_537) });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: { field: string } }).error.field).toBe('text');
  });
});

describe('routing', () => {
  it("basePath '/' answers only the chat's own routes: every other path falls through to the next handler", async () => {
    fx = await startChat({ basePath: '/' });
    const webhook = await fetch(fx.url('/webhooks/postmark'), { method: 'POST', body: '{}' });
    expect(webhook.status).not.toBe(404); // the webhook handler answered it
    for (const path of ['/', '/webhooks/nope', '/chat/messages', '/messages/x', '/health']) {
      expect(await fx.chat(new Request(`http://x${path}`))).toBeUndefined();
    }
    expect((await say(fx, 'v', { clientId: 'c1', text: 'hi' })).status).toBe(404); // /chat/messages
    const sent = await fetch(fx.url('/messages'), {
      method: 'POST',
      headers: { ...visitorHeaders('v'), 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: 'c1', text: 'hi' }),
    });
    expect(sent.status).toBe(201);
    expect((await fetch(fx.url('/typing'), { headers: visitorHeaders('v') })).status).toBe(405);
  });
});

describe('host listeners', () => {
  it('an onTyping listener that throws or rejects is logged; POST /typing is still 204 and other listeners run', async () => {
    const logged: unknown[][] = [];
    const logger = { warn() {}, error: (...args: unknown[]) => logged.push(args) };
    fx = await startChat({}, { logger });
    const seen: boolean[] = [];
    fx.chat.onTyping(() => {
      throw new Error('listener bug');
    });
    fx.chat.onTyping(async () => {
      throw new Error('async listener bug');
    });
    fx.chat.onTyping((signal) => seen.push(signal.typing));
    const response = await post(fx, '/chat/typing', 'v', { typing: true });
    expect(response.status).toBe(204);
    expect(seen).toEqual([true]);
    await until(() => logged.length === 2);
    expect(logged.map((args) => (args[1] as Error).message)).toEqual(['listener bug', 'async listener bug']);
    fx.desk.on('message.received', () => {
      throw new Error('desk listener bug');
    });
    expect((await say(fx, 'v', { clientId: 'c1', text: 'hi' })).status).toBe(201);
    expect(logged.map((args) => (args[1] as Error).message)).toContain('desk listener bug');
  });
});

describe('rate limits under many visitor ids', () => {
  it('cycling through more visitor ids than the buckets kept never resets the limit of an active visitor', async () => {
    fx = await startChat({ rateLimit: { capacity: 1, refillPerSec: 0.001 }, clock: () => 1_800_000_000_000 });
    const get = (visitor: string) =>
      fx!.chat(new Request('http://x/chat/messages', { headers: visitorHeaders(visitor) }));
    for (let i = 0; i < 5; i++) expect((await get('abuser'))?.status).toBe(200);
    expect((await get('abuser'))?.status).toBe(429);
    for (let i = 0; i < 12_000; i++) {
      expect((await get(`cycled-${i}`))?.status).toBe(200);
      if (i % 1000 === 0) expect((await get('abuser'))?.status).toBe(429);
    }
    expect((await get('abuser'))?.status).toBe(429);
  });
});
