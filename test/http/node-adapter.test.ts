import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Desk } from '../../src/core/types.js';
import { handleWebhook } from '../../src/core/webhook.js';
import { createWebhookHandler } from '../../src/http/handler.js';
import type { NodeRequest } from '../../src/http/node.js';
import { createDesk } from '../../src/index.js';
import { memoryStore } from '../../src/stores/memory/index.js';
import { eventCount, hooky, serve, type TestServer } from './helpers.js';

const logger = { warn: () => undefined, error: () => undefined };
const open: { desk: Desk; server?: TestServer }[] = [];

function setup(): { desk: Desk; adapter: ReturnType<typeof hooky> } {
  const adapter = hooky();
  const desk = createDesk({ store: memoryStore(), channels: [adapter], logger });
  open.push({ desk });
  return { desk, adapter };
}

async function started(...args: Parameters<typeof serve>): Promise<TestServer> {
  const server = await serve(...args);
  open.push({ desk: createDesk(), server });
  return server;
}

afterEach(async () => {
  for (const { desk, server } of open.splice(0)) {
    await server?.close();
    await desk.close();
  }
});

const json = { 'content-type': 'application/json' };
const message = JSON.stringify({ from: '+14155550123', text: 'Hello', id: 'SM-1' });

describe('toNodeListener and createWebhookHandler', () => {
  it('gives the adapter the public URL behind a proxy, from a base or a function', async () => {
    const { desk, adapter } = setup();
    const base = await started(
      createWebhookHandler(desk, { publicUrl: 'https://hooks.example.com/api/', logger }),
    );
    await fetch(`${base.url}/webhooks/hooky?a=1`, { method: 'POST', body: message, headers: json });
    expect(adapter.seen.at(-1)?.url).toBe('https://hooks.example.com/api/webhooks/hooky?a=1');
    const fn = await started(
      createWebhookHandler(desk, {
        publicUrl: (r) => r.url.replace(/^http:\/\/[^/]+/, 'https://x.test'),
        logger,
      }),
    );
    await fetch(`${fn.url}/webhooks/hooky`, {
      method: 'POST',
      body: message,
      headers: { ...json, 'X-Custom': 'Yes' },
    });
    expect(adapter.seen.at(-1)).toMatchObject({
      method: 'POST',
      url: 'https://x.test/webhooks/hooky',
      body: message,
    });
    expect(adapter.seen.at(-1)?.headers['x-custom']).toBe('Yes');
  });

  it('routes by originalUrl under an Express-style mount and honours a custom basePath', async () => {
    const { desk } = setup();
    const server = await started(
      createWebhookHandler(desk, { basePath: '/api/hooks', logger }),
      (listener) => (req, res) => {
        const mounted = req as NodeRequest;
        mounted.originalUrl = req.url;
        mounted.url = req.url?.replace(/^\/api/, '');
        listener(mounted, res);
      },
    );
    const response = await fetch(`${server.url}/api/hooks/hooky`, {
      method: 'POST',
      body: message,
      headers: json,
    });
    expect(response.status).toBe(200);
    expect(await desk.store.getMessageByExternalId('hooky', 'SM-1')).toBeDefined();
  });

  it('takes a body an express.raw() parser already read', async () => {
    const { desk, adapter } = setup();
    const server = await started(createWebhookHandler(desk, { logger }), (listener) => (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        (req as NodeRequest).body = Buffer.concat(chunks);
        listener(req, res);
      });
    });
    const response = await fetch(`${server.url}/webhooks/hooky`, {
      method: 'POST',
      body: message,
      headers: json,
    });
    expect(response.status).toBe(200);
    expect(adapter.seen.at(-1)?.body).toBe(message);
  });

  it('survives a client that aborts mid-body, storing nothing', async () => {
    const { desk } = setup();
    const server = await started(createWebhookHandler(desk, { logger }));
    const before = await eventCount(desk);
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${server.url}/webhooks/hooky`, {
        method: 'POST',
        headers: { ...json, 'content-length': '1000' },
      });
      req.on('error', () => resolve());
      req.write('{"from":"+1415');
      setTimeout(() => req.destroy(), 20);
    });
    const after = await fetch(`${server.url}/webhooks/hooky`, {
      method: 'POST',
      body: message,
      headers: json,
    });
    expect(after.status).toBe(200);
    expect(await eventCount(desk)).toBeGreaterThan(before);
    expect(await desk.store.getMessageByExternalId('hooky', 'SM-1')).toBeDefined();
  });

  it('lets onError replace the response', async () => {
    const { desk } = setup();
    const seen: string[] = [];
    const handler = createWebhookHandler(desk, {
      logger,
      onError: (error) => {
        seen.push((error as Error).name);
        return (error as Error).name === 'PolicyError' ? new Response('custom', { status: 418 }) : undefined;
      },
    });
    const server = await started(handler);
    const policy = await fetch(`${server.url}/webhooks/hooky`, {
      method: 'POST',
      body: '{"fail":"policy"}',
      headers: json,
    });
    expect([policy.status, await policy.text()]).toEqual([418, 'custom']);
    const conflict = await fetch(`${server.url}/webhooks/hooky`, {
      method: 'POST',
      body: '{"fail":"conflict"}',
      headers: json,
    });
    // A lost race is worth the provider's retry: 503, not a 4xx it would give up on.
    expect(conflict.status).toBe(503);
    expect(conflict.headers.get('retry-after')).toBe('5');
    expect(seen).toEqual(['PolicyError', 'ConflictError']);
  });

  it('writes every Set-Cookie header and a streamed body', async () => {
    const server = await started(async () => {
      const headers = new Headers([
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
      ]);
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('one,'));
          controller.enqueue(new TextEncoder().encode('two'));
          controller.close();
        },
      });
      return new Response(body, { status: 201, headers });
    });
    const response = await fetch(server.url);
    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.text()).toBe('one,two');
  });

  it('cancels a streamed body as soon as the client goes, without waiting for its next chunk', async () => {
    let cancelled = false;
    const server = await started(async () => {
      // A live stream that writes once, then idles (an event stream between keepalives), and
      // does not watch the request's signal: only the listener can end it.
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(': open\n\n'));
        },
        cancel() {
          cancelled = true;
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    });
    await new Promise<void>((resolve) => {
      const req = httpRequest(server.url, (res) =>
        res.once('data', () => {
          req.destroy(); // the client goes once the stream is open
          resolve();
        }),
      );
      req.on('error', () => undefined); // the destroy's own error
      req.end();
    });
    await expect.poll(() => cancelled).toBe(true);
  });

  it('refuses a body larger than its lying Content-Length (413), reading the bytes themselves', async () => {
    const { desk } = setup();
    const request = new Request('http://127.0.0.1/webhooks/hooky', {
      method: 'POST',
      body: JSON.stringify({ from: '+14155550123', text: 'x'.repeat(5000) }),
      headers: { ...json, 'content-length': '10' },
    });
    const response = await handleWebhook(desk, 'hooky', request, { maxBodyBytes: 1000, logger });
    expect(response.status).toBe(413);
  });

  it('rejects a basePath without a leading slash', () => {
    const { desk } = setup();
    expect(() => createWebhookHandler(desk, { basePath: 'hooks' })).toThrow(
      'createWebhookHandler: basePath must start with "/", got "hooks"',
    );
  });
});
