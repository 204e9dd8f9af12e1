import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '../../../src/model/records.js';
import { eventCount } from '../helpers.js';
import { type ChatFixture, say, startChat, visitorHeaders } from './helpers.js';

let fx: ChatFixture;
afterEach(() => fx.close());

describe('POST /chat/messages', () => {
  beforeEach(async () => {
    fx = await startChat();
  });

  it('stores a message once per clientId: 201, then 200 with the same message', async () => {
    const first = await say(fx, 'visitor-a', { clientId: 'c-1', text: 'Hello' });
    expect(first.status).toBe(201);
    const { message } = (await first.json()) as { message: Message };
    expect(message).toMatchObject({
      channel: 'webchat',
      channelKind: 'webchat',
      direction: 'inbound',
      externalId: 'c-1',
      parts: [{ type: 'text', text: 'Hello' }],
      status: 'received',
    });
    const again = await say(fx, 'visitor-a', { clientId: 'c-1', text: 'Hello' });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { message: Message }).message).toEqual(message);
    const customer = await fx.desk.store.findCustomerByIdentity('default', 'webchat:visitor-a');
    expect(await fx.desk.store.countMessages({ customerId: customer!.id })).toBe(1);
  });

  it("refuses another visitor's clientId with 409 and never returns that message", async () => {
    await say(fx, 'visitor-a', { clientId: 'shared', text: 'private' });
    const response = await say(fx, 'visitor-b', { clientId: 'shared', text: 'x' });
    expect(response.status).toBe(409);
    expect(await response.text()).not.toContain('private');
  });

  it('accepts parts', async () => {
    const parts = [{ type: 'location', latitude: 48.85, longitude: 2.35, name: 'Paris' }];
    const response = await say(fx, 'visitor-a', { clientId: 'loc-1', parts });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { message: Message }).message.parts).toEqual(parts);
  });
});

describe('GET /chat/messages', () => {
  beforeEach(async () => {
    fx = await startChat({ rateLimit: { capacity: 100, refillPerSec: 100 } });
  });

  it('pages the timeline newest first and ends with nextCursor null', async () => {
    for (let i = 1; i <= 5; i++) await say(fx, 'visitor-a', { clientId: `m${i}`, text: `m${i}` });
    await say(fx, 'visitor-b', { clientId: 'other', text: 'not yours' });
    const customer = await fx.desk.store.findCustomerByIdentity('default', 'webchat:visitor-a');
    const conversation = (await fx.desk.conversations.list({ customerId: customer!.id })).items[0]!;
    await fx.desk.reply(conversation.id, { text: 'agent note', direction: 'internal' });
    const texts: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&before=${encodeURIComponent(cursor)}`;
      const response = await fetch(fx.url(`/chat/messages${query}`), {
        headers: visitorHeaders('visitor-a'),
      });
      expect(response.status).toBe(200);
      const page = (await response.json()) as { items: Message[]; nextCursor: string | null };
      texts.push(...page.items.map((m) => (m.parts[0] as { text: string }).text));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(texts).toEqual(['m5', 'm4', 'm3', 'm2', 'm1']);
  });

  it('answers an empty page to a visitor without a customer', async () => {
    const response = await fetch(fx.url('/chat/messages'), { headers: visitorHeaders('nobody-yet') });
    expect(await response.json()).toEqual({ items: [], nextCursor: null });
  });

  it('names the field of a bad query: limit, before', async () => {
    const limit = await fetch(fx.url('/chat/messages?limit=0'), { headers: visitorHeaders('v') });
    expect(limit.status).toBe(400);
    expect(((await limit.json()) as { error: { field: string } }).error.field).toBe('limit');
    await say(fx, 'v', { clientId: 'x', text: 'x' });
    const before = await fetch(fx.url('/chat/messages?before=garbage'), { headers: visitorHeaders('v') });
    expect(before.status).toBe(400);
    expect(((await before.json()) as { error: { field: string } }).error.field).toBe('before');
  });
});

describe('refusals', () => {
  beforeEach(async () => {
    fx = await startChat({ maxBodyBytes: 1024, rateLimit: { capacity: 3, refillPerSec: 0.5 } });
  });

  async function errorOf(response: Response) {
    return { status: response.status, ...((await response.json()) as { error: object }).error };
  }

  it('400 names the missing or malformed field, and stores nothing', async () => {
    const before = await eventCount(fx.desk);
    expect(await errorOf(await say(fx, 'v', { text: 'no id' }))).toMatchObject({
      status: 400,
      code: 'VALIDATION',
      field: 'clientId',
    });
    expect(await errorOf(await say(fx, 'v', { clientId: 'a' }))).toMatchObject({
      status: 400,
      field: 'text',
    });
    const noVisitor = await fetch(fx.url('/chat/messages'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(await errorOf(noVisitor)).toMatchObject({ status: 400, field: 'visitor' });
    const broken = await fetch(fx.url('/chat/messages'), {
      method: 'POST',
      headers: { ...visitorHeaders('v'), 'content-type': 'application/json' },
      body: '{"clientId":',
    });
    expect(await errorOf(broken)).toMatchObject({ status: 400, field: 'body' });
    expect(await eventCount(fx.desk)).toBe(before);
  });

  it('413 for a body over maxBodyBytes, 415 for another content type', async () => {
    const big = await say(fx, 'v', { clientId: 'big', text: 'x'.repeat(2000) });
    expect(await errorOf(big)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    const form = await fetch(fx.url('/chat/messages'), {
      method: 'POST',
      headers: { ...visitorHeaders('v'), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'clientId=a&text=b',
    });
    expect(await errorOf(form)).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('404 for an unknown path under the base, 405 with Allow, undefined outside the base', async () => {
    const missing = await fetch(fx.url('/chat/nope'), { headers: visitorHeaders('v') });
    expect(missing.status).toBe(404);
    const wrong = await fetch(fx.url('/chat/typing'), { headers: visitorHeaders('v') });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST, OPTIONS');
    expect(await fx.chat(new Request('http://x/elsewhere'))).toBeUndefined();
  });

  it('429 with Retry-After once the visitor bucket is empty; other visitors are unaffected', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await say(fx, 'spammer', { clientId: `s${i}`, text: 'hi' })).status).toBe(201);
    }
    const limited = await say(fx, 'spammer', { clientId: 's3', text: 'hi' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    expect((await say(fx, 'calm', { clientId: 'c0', text: 'hi' })).status).toBe(201);
  });
});

describe('CORS', () => {
  beforeEach(async () => {
    fx = await startChat({ cors: { origins: ['https://shop.example.com'] } });
  });

  it('answers a preflight from an allowed origin with methods and headers', async () => {
    const response = await fetch(fx.url('/chat/messages'), {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    expect(response.headers.get('access-control-allow-headers')).toContain('x-threadline-visitor');
    expect(response.headers.get('vary')).toBe('Origin');
  });

  it('refuses a preflight from another origin and adds no CORS header to its requests', async () => {
    const preflight = await fetch(fx.url('/chat/messages'), {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.net' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const response = await fetch(fx.url('/chat/messages'), {
      headers: { ...visitorHeaders('v'), origin: 'https://evil.example.net' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('adds the CORS headers to responses, errors included', async () => {
    const response = await fetch(fx.url('/chat/messages'), {
      method: 'POST',
      headers: { origin: 'https://shop.example.com', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(response.headers.get('access-control-expose-headers')).toBe('retry-after');
  });
});
