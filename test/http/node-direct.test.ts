import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Desk } from '../../src/core/types.js';
import { createWebhookHandler, type FetchHandler, webhookRouteOf } from '../../src/http/handler.js';
import type { NodeRequest } from '../../src/http/node.js';
import { createDesk } from '../../src/index.js';
import { memoryStore } from '../../src/stores/memory/index.js';
import { eventCount, hooky, serve, type TestServer } from './helpers.js';

/**
 * `toNodeListener` serves a `createWebhookHandler` handler straight from node's request (no Fetch
 * `Request`/`Response`), and any other handler through the Fetch objects. The two must answer
 * every request alike: each case below goes to both, over real sockets, and their answers and
 * stores are compared.
 */

const open: { desk: Desk; server?: TestServer }[] = [];
afterEach(async () => {
  for (const { desk, server } of open.splice(0)) {
    await server?.close();
    await desk.close();
  }
});

interface Answer {
  status: number;
  contentType: string | undefined;
  allow: string | undefined;
  retryAfter: string | undefined;
  body: string;
}

/** One raw request: headers may repeat (an array value is sent as several lines); `chunks` are written one by one. */
interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  chunks?: string[];
}

function send(base: string, c: Case): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${c.path}`, { method: c.method ?? 'POST' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          allow: res.headers.allow,
          retryAfter: res.headers['retry-after'],
          body,
        }),
      );
    });
    req.on('error', reject);
    for (const [name, value] of Object.entries(c.headers ?? {})) req.setHeader(name, value);
    for (const chunk of c.chunks ?? []) req.write(chunk);
    req.end();
  });
}

const json = { 'content-type': 'application/json' };
const body = (value: object) => [JSON.stringify(value)];
const message = { from: '+14155550123', text: 'Hello', id: 'SM-1' };

const cases: Case[] = [
  { name: 'a message', path: '/webhooks/hooky', headers: json, chunks: body(message) },
  { name: 'its retry', path: '/webhooks/hooky', headers: json, chunks: body(message) },
  {
    name: 'a message in three chunks, no Content-Length',
    path: '/webhooks/hooky?x=1',
    headers: json,
    chunks: ['{"from":"+14155550123",', '"text":"Chunked",', '"id":"SM-2"}'],
  },
  {
    name: 'repeated headers',
    path: '/webhooks/hooky',
    headers: { ...json, 'x-dup': ['a', 'b'] },
    chunks: body({ from: '+14155550124', text: 'Dup', id: 'SM-3' }),
  },
  {
    name: 'a handshake',
    method: 'GET',
    path: '/webhooks/hooky?hub.mode=subscribe&hub.verify_token=tok&hub.challenge=42',
  },
  {
    name: 'a handshake with a bad token',
    method: 'GET',
    path: '/webhooks/hooky?hub.mode=subscribe&hub.verify_token=no&hub.challenge=42',
  },
  { name: 'a GET that is no handshake', method: 'GET', path: '/webhooks/hooky' },
  { name: 'PUT', method: 'PUT', path: '/webhooks/hooky', headers: json, chunks: body(message) },
  {
    name: 'a content type the adapter refuses',
    path: '/webhooks/hooky',
    headers: { 'content-type': 'text/plain' },
    chunks: ['hello'],
  },
  { name: 'an unknown channel', path: '/webhooks/nope', headers: json, chunks: body(message) },
  { name: 'a path outside basePath', path: '/elsewhere/hooky', headers: json, chunks: body(message) },
  { name: 'a channel id with a slash', path: '/webhooks/hooky/more', headers: json, chunks: ['{}'] },
  {
    name: 'a declared body over the limit',
    path: '/webhooks/hooky',
    headers: { ...json, 'content-length': '5000' },
    chunks: [`{"from":"+14155550123","text":"${'x'.repeat(4963)}"}`],
  },
  {
    name: 'a chunked body over the limit',
    path: '/webhooks/hooky',
    headers: json,
    chunks: ['{"from":"+14155550123","text":"', 'x'.repeat(900), 'x'.repeat(900), '"}'],
  },
  { name: 'a ValidationError', path: '/webhooks/hooky', headers: json, chunks: body({ fail: 'validation' }) },
  { name: 'a SignatureError', path: '/webhooks/hooky', headers: json, chunks: body({ fail: 'signature' }) },
  { name: 'a PolicyError', path: '/webhooks/hooky', headers: json, chunks: body({ fail: 'policy' }) },
  { name: 'a StorageError', path: '/webhooks/hooky', headers: json, chunks: body({ fail: 'storage' }) },
  { name: 'an unexpected error', path: '/webhooks/hooky', headers: json, chunks: body({ fail: 'crash' }) },
  {
    name: 'an invalid message',
    path: '/webhooks/hooky',
    headers: json,
    chunks: body({ from: 'not a phone', text: 'x', id: 'SM-4' }),
  },
];

async function pair(): Promise<{
  direct: { desk: Desk; adapter: ReturnType<typeof hooky>; server: TestServer };
  fetch: { desk: Desk; adapter: ReturnType<typeof hooky>; server: TestServer };
}> {
  const make = async (wrap: (handler: FetchHandler) => FetchHandler) => {
    const adapter = hooky();
    const logger = { warn: () => undefined, error: () => undefined };
    const desk = createDesk({ store: memoryStore(), channels: [adapter], logger });
    const handler = createWebhookHandler(desk, { logger, maxBodyBytes: 1000 });
    const server = await serve(wrap(handler));
    open.push({ desk, server });
    return { desk, adapter, server };
  };
  // A handler wrapped in a function of the host's is served through Fetch objects.
  return { direct: await make((handler) => handler), fetch: await make((handler) => (r) => handler(r)) };
}

describe('toNodeListener serving a webhook handler directly', () => {
  it('is taken for createWebhookHandler handlers only', async () => {
    const desk = createDesk({ store: memoryStore() });
    const handler = createWebhookHandler(desk);
    expect(webhookRouteOf(handler)).toBeTypeOf('function');
    expect(webhookRouteOf((request) => handler(request))).toBeUndefined();
    await desk.close();
  });

  it('answers every case as the Fetch path does, and stores the same', async () => {
    const { direct, fetch } = await pair();
    for (const c of cases) {
      const [viaNode, viaFetch] = [await send(direct.server.url, c), await send(fetch.server.url, c)];
      expect({ case: c.name, ...viaNode }).toEqual({ case: c.name, ...viaFetch });
      const [seenNode, seenFetch] = [direct.adapter.seen.at(-1), fetch.adapter.seen.at(-1)];
      // The adapter saw the same request, but for the server's port in its URL and Host.
      const portless = (raw: typeof seenNode) =>
        raw && {
          ...raw,
          url: raw.url.replace(/^http:\/\/[^/]+/, ''),
          headers: { ...raw.headers, host: 'server' },
        };
      expect(portless(seenNode)).toEqual(portless(seenFetch));
    }
    const statuses = await Promise.all(cases.map((c) => send(direct.server.url, c)));
    expect(statuses.map((answer) => answer.status)).toEqual([
      200, 200, 200, 200, 200, 403, 405, 405, 415, 404, 404, 404, 413, 413, 400, 401, 422, 503, 500, 400,
    ]);
    expect(direct.adapter.seen.find((raw) => raw.headers['x-dup'])?.headers['x-dup']).toBe('a, b');
    expect(await eventCount(direct.desk)).toBe(await eventCount(fetch.desk));
    expect(await eventCount(direct.desk)).toBeGreaterThan(0);
    for (const id of ['SM-1', 'SM-2', 'SM-3']) {
      expect(await direct.desk.store.getMessageByExternalId('hooky', id)).toBeDefined();
    }
    expect(await direct.desk.store.getMessageByExternalId('hooky', 'SM-4')).toBeUndefined();
  });

  it('keeps the connection usable after answering before the body was read', async () => {
    const { direct } = await pair();
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const post = (path: string, text: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          `${direct.server.url}${path}`,
          { method: 'POST', agent, headers: json },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(text);
      });
    expect(await post('/webhooks/nope', JSON.stringify(message))).toBe(404);
    expect(await post('/webhooks/hooky', `{"text":"${'x'.repeat(5000)}"}`)).toBe(413);
    expect(await post('/webhooks/hooky', JSON.stringify(message))).toBe(200);
    agent.destroy();
  });

  it('answers 500, logged with the fix, when a body parser consumed the body first (400 via Fetch)', async () => {
    const errors: unknown[][] = [];
    const logger = { warn: () => undefined, error: (...args: unknown[]) => errors.push(args) };
    const desk = createDesk({ store: memoryStore(), channels: [hooky()], logger });
    open.push({ desk });
    // What express.json() does: reads the stream and leaves an object behind.
    const afterJsonParser = (handler: FetchHandler) =>
      serve(handler, (listener) => (req, res) => {
        req.resume();
        req.on('end', () => {
          (req as NodeRequest).body = { parsed: true };
          listener(req, res);
        });
      });
    const handler = createWebhookHandler(desk, { logger });
    const post = async (server: TestServer) => {
      open.push({ desk: createDesk(), server });
      const c = { name: 'consumed', path: '/webhooks/hooky', headers: json, chunks: body(message) };
      return (await send(server.url, c)).status;
    };
    expect(await post(await afterJsonParser(handler))).toBe(500);
    expect(String((errors[0]?.[1] as Error | undefined)?.message)).toMatch(/before body parsers/);
    // Through Fetch objects (a wrapped handler) it is refused too, instead of waiting for a body.
    expect(await post(await afterJsonParser((request) => handler(request)))).toBe(400);
    expect(await eventCount(desk)).toBe(0);
  });

  it('holds a body a text parser already read to the byte limit, counting UTF-8 bytes', async () => {
    const desk = createDesk({ store: memoryStore(), channels: [hooky()] });
    open.push({ desk });
    // What express.text() leaves: the body as a string.
    const server = await serve(
      createWebhookHandler(desk, { maxBodyBytes: 100 }),
      (listener) => (req, res) => {
        let text = '';
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => {
          text += chunk;
        });
        req.on('end', () => {
          (req as NodeRequest).body = text;
          listener(req, res);
        });
      },
    );
    open.push({ desk: createDesk(), server });
    const post = async (text: string) =>
      (
        await send(server.url, {
          name: text,
          path: '/webhooks/hooky',
          headers: json,
          chunks: body({ from: '+14155550123', text }),
        })
      ).status;
    // 30 characters of 3 bytes each: 90 bytes of text, over 100 bytes with the JSON around it.
    expect(await post('€'.repeat(30))).toBe(413);
    expect(await post('€'.repeat(10))).toBe(200);
    expect(await eventCount(desk)).toBeGreaterThan(0);
  });

  it('hands publicUrl functions and onError a Request with the method, URL and headers', async () => {
    const seen: { url: string; method: string; header: string | null }[] = [];
    const adapter = hooky();
    const desk = createDesk({ store: memoryStore(), channels: [adapter] });
    const logger = { error: () => undefined };
    const handler = createWebhookHandler(desk, {
      logger,
      publicUrl: (request) => {
        seen.push({ url: request.url, method: request.method, header: request.headers.get('x-tag') });
        return 'https://public.example.com/webhooks/hooky';
      },
      onError: (_error, request) => new Response(`refused ${request.method} ${request.headers.get('x-tag')}`),
    });
    const server = await serve(handler);
    open.push({ desk, server });
    const ok = await send(server.url, {
      name: 'ok',
      path: '/webhooks/hooky?a=1',
      headers: { ...json, 'x-tag': 't1' },
      chunks: body(message),
    });
    expect(ok.status).toBe(200);
    expect(seen[0]).toEqual({ url: `${server.url}/webhooks/hooky?a=1`, method: 'POST', header: 't1' });
    expect(adapter.seen.at(-1)?.url).toBe('https://public.example.com/webhooks/hooky');
    const failed = await send(server.url, {
      name: 'fail',
      path: '/webhooks/hooky',
      headers: { ...json, 'x-tag': 't2' },
      chunks: body({ fail: 'policy' }),
    });
    expect([failed.status, failed.body]).toEqual([200, 'refused POST t2']);
  });
});
