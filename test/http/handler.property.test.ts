import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webchat } from '../../src/channels/webchat/index.js';
import { signBody, webform } from '../../src/channels/webform/index.js';
import type { Desk } from '../../src/core/types.js';
import { createWebhookHandler, type FetchHandler } from '../../src/http/handler.js';
import { createDesk } from '../../src/index.js';
import { memoryStore } from '../../src/stores/memory/index.js';
import { eventCount, serve, type TestServer } from './helpers.js';

const logged: unknown[] = [];
const logger = { warn: () => undefined, error: (...args: unknown[]) => void logged.push(args) };
let desk: Desk;
let handler: FetchHandler;
let server: TestServer;

const secret = 'property-secret-0123456789';

beforeAll(async () => {
  desk = createDesk({ store: memoryStore(), channels: [webform({ secret }), webchat({ secret })], logger });
  handler = createWebhookHandler(desk, { maxBodyBytes: 32 * 1024, logger });
  server = await serve(handler);
});
afterAll(async () => {
  await server.close();
  await desk.close();
});

const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}$/);
const method = fc.oneof(
  { arbitrary: fc.constant('POST'), weight: 8 },
  fc.constantFrom('POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'post', 'PROPFIND'),
  token.filter((m) => !/^(connect|trace|track)$/i.test(m)),
);
const path = fc.oneof(
  { arbitrary: fc.constantFrom('/webhooks/webform', '/webhooks/webchat'), weight: 12 },
  fc.constantFrom('/webhooks/%E0%A4%A', '/webhooks/', '/', '/webhooks/webform/x'),
  fc.webPath(),
  fc.string({ maxLength: 40 }).map((s) => `/webhooks/${encodeURIComponent(s)}`),
);
const contentType = fc.oneof(
  { arbitrary: fc.constantFrom('application/json', 'application/x-www-form-urlencoded'), weight: 6 },
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'multipart/form-data',
    'text/plain',
    'APPLICATION/JSON',
  ),
  fc.stringMatching(/^[ -~]{0,60}$/),
);
const headerValue = fc.stringMatching(/^[!-~]([ -~]{0,60}[!-~])?$/);
const headers = fc.dictionary(token, headerValue, { maxKeys: 6 }).map((h) => {
  const out = { ...h };
  for (const name of Object.keys(out))
    if (/^(host|transfer-encoding|content-length|connection|expect|upgrade)$/i.test(name)) delete out[name];
  return out;
});
const body = fc.oneof(
  fc.constant(''),
  fc.json().map((j) => new TextEncoder().encode(j)),
  fc.string({ unit: 'binary', maxLength: 500 }).map((s) => new TextEncoder().encode(s)),
  fc.uint8Array({ maxLength: 2000 }),
  fc.integer({ min: 33 * 1024, max: 200 * 1024 }).map((n) => new Uint8Array(n).fill(0x7b)),
  fc
    .constantFrom(
      '{"email":"ann@example.com","message":"hi"}',
      '{"visitorId":"v1","text":"hi"}',
      'email=ann%40example.com&message=hi',
    )
    .map((s) => new TextEncoder().encode(s)),
);
const sample = fc.record({
  method,
  path,
  contentType,
  headers,
  body,
  signature: fc.option(headerValue, { nil: undefined }),
});
type Sample = typeof sample extends fc.Arbitrary<infer T> ? T : never;

function headersOf(s: Sample): Record<string, string> {
  const h: Record<string, string> = { ...s.headers, 'content-type': s.contentType };
  if (s.signature !== undefined) h['x-threadline-signature'] = s.signature;
  return h;
}

function toRequest(s: Sample): Request | undefined {
  const bodyless = /^(get|head)$/i.test(s.method);
  try {
    return new Request(`http://127.0.0.1${s.path}`, {
      method: s.method,
      headers: headersOf(s),
      body: bodyless ? undefined : (s.body as BodyInit),
    });
  } catch {
    return undefined; // the Fetch API itself refuses the sample (e.g. a header value it rejects)
  }
}

/** Sends a sample with node:http (any method token, raw bytes) and resolves with the status. */
function sendRaw(s: Sample): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${s.path}`, { method: s.method, headers: headersOf(s) }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(/^(get|head)$/i.test(s.method) ? undefined : s.body);
  });
}

function isSampleValid(s: Sample): boolean {
  try {
    new Headers(headersOf(s));
    return true;
  } catch {
    return false;
  }
}

describe('the webhook handler under arbitrary requests', () => {
  it('answers 4xx, never 5xx nor an exception, and stores nothing (Fetch handler)', async () => {
    const before = await eventCount(desk);
    await fc.assert(
      fc.asyncProperty(sample, async (s) => {
        const request = toRequest(s);
        if (!request) return;
        const response = await handler(request);
        expect(response.status, `${s.method} ${s.path}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${s.method} ${s.path}`).toBeLessThan(500);
      }),
      { numRuns: 400 },
    );
    expect(await eventCount(desk)).toBe(before);
    expect(logged).toEqual([]);
  });

  it('answers 4xx over a real node:http server and stores nothing', async () => {
    const before = await eventCount(desk);
    await fc.assert(
      fc.asyncProperty(sample.filter(isSampleValid), async (s) => {
        const status = await sendRaw(s);
        expect(status, `${s.method} ${s.path}`).toBeGreaterThanOrEqual(400);
        expect(status, `${s.method} ${s.path}`).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
    expect(await eventCount(desk)).toBe(before);
    expect(logged).toEqual([]);
  });

  it('answers a correctly signed but arbitrary body 200 or 400, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('webform', 'webchat'),
        fc.constantFrom(
          'application/json',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=b',
        ),
        fc.oneof(fc.json(), fc.string({ unit: 'binary', maxLength: 300 })),
        async (channel, type, text) => {
          const signature = await signBody(secret, text);
          const init = {
            method: 'POST',
            body: text,
            headers: { 'content-type': type, 'x-threadline-signature': signature },
          };
          const response = await handler(new Request(`http://127.0.0.1/webhooks/${channel}`, init));
          expect([200, 400, 415], `${channel} ${type} ${text}`).toContain(response.status);
        },
      ),
      { numRuns: 300 },
    );
    expect(logged).toEqual([]);
  });
});
