import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventCount } from '../helpers.js';
import { type ChatFixture, startChat } from './helpers.js';

let fx: ChatFixture;
beforeAll(async () => {
  fx = await startChat({ maxBodyBytes: 2048, rateLimit: { capacity: 10_000, refillPerSec: 10_000 } });
});
afterAll(() => fx.close());

const ascii = fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_.:/+=;@"{}[]'.split('')), maxLength: 40 });
const visitor = fc.oneof(fc.constant('visitor-1'), ascii);
const json = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc
    .record(
      {
        clientId: fc.oneof(fc.string({ maxLength: 200 }), fc.integer(), fc.constant(null)),
        text: fc.oneof(fc.string({ maxLength: 50 }), fc.integer(), fc.constant('')),
        parts: fc.array(fc.dictionary(fc.constantFrom('type', 'text', 'url'), fc.jsonValue()), {
          maxLength: 3,
        }),
        typing: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        messageId: fc.oneof(fc.string({ maxLength: 200 }), fc.integer()),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 300 }),
  fc.constant('x'.repeat(3000)),
);

const request = fc.record({
  path: fc.constantFrom(
    '/chat/messages',
    '/chat/typing',
    '/chat/read',
    '/chat/events',
    '/chat/nope',
    '/chat',
  ),
  query: fc.constantFrom('', '?limit=0', '?limit=abc', '?before=%00', '?lastEventId=', '?visitor=&token=x'),
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
  contentType: fc.oneof(
    fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', ''),
    ascii,
  ),
  visitor: fc.option(visitor, { nil: undefined }),
  authorization: fc.option(
    fc.oneof(
      ascii,
      ascii.map((token) => `Bearer ${token}`),
    ),
    { nil: undefined },
  ),
  body: json,
});

// A request answered 2xx may store (a valid message); every refused one must store nothing.
describe('web-chat endpoints under arbitrary input', () => {
  it('answer 4xx (never 5xx) to malformed requests, and a refused request stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        const headers: Record<string, string> = {};
        if (input.contentType) headers['content-type'] = input.contentType;
        if (input.visitor !== undefined) headers['x-threadline-visitor'] = input.visitor;
        if (input.authorization !== undefined) headers.authorization = input.authorization;
        const before = await eventCount(fx.desk);
        const abort = new AbortController();
        const hasBody = input.method !== 'GET' && input.method !== 'OPTIONS';
        const response = await fetch(fx.url(input.path + input.query), {
          method: input.method,
          headers,
          signal: abort.signal,
          ...(hasBody ? { body: input.body } : {}),
        });
        abort.abort();
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) expect(await eventCount(fx.desk)).toBe(before);
      }),
      { numRuns: 300 },
    );
  });
});
