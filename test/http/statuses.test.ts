import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody, webform } from '../../src/channels/webform/index.js';
import type { Desk } from '../../src/core/types.js';
import { createWebhookHandler } from '../../src/http/handler.js';
import { createDesk } from '../../src/index.js';
import { memoryStore } from '../../src/stores/memory/index.js';
import { eventCount, hooky, serve, type TestServer } from './helpers.js';

const secret = 'form-secret-0123456789';
const logged: unknown[][] = [];
const logger = { warn: () => undefined, error: (...args: unknown[]) => void logged.push(args) };
let desk: Desk;
let server: TestServer;

beforeAll(async () => {
  desk = createDesk({ store: memoryStore(), channels: [webform({ secret }), hooky()], logger });
  server = await serve(createWebhookHandler(desk, { maxBodyBytes: 64 * 1024, logger }));
});
afterAll(async () => {
  await server.close();
  await desk.close();
});

async function postForm(body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/webhooks/webform`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-threadline-signature': await signBody(secret, body),
      ...headers,
    },
  });
}

async function postHooky(data: unknown): Promise<Response> {
  return fetch(`${server.url}/webhooks/hooky`, {
    method: 'POST',
    body: JSON.stringify(data),
    headers: { 'content-type': 'application/json' },
  });
}

async function expectError(response: Response, status: number, error: Record<string, string>): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(await response.json()).toEqual({ error });
}

describe('webhook statuses over node:http', () => {
  it('answers 404 for an unknown channel and for paths outside the webhook routes', async () => {
    const before = await eventCount(desk);
    await expectError(await fetch(`${server.url}/webhooks/nope`, { method: 'POST', body: '{}' }), 404, {
      code: 'NOT_FOUND',
      message: 'No channel with id "nope".',
    });
    for (const path of [
      '/',
      '/other/webform',
      '/webhooks',
      '/webhooks/',
      '/webhooks/webform/extra',
      '/webhooksx/webform',
    ]) {
      await expectError(await fetch(`${server.url}${path}`, { method: 'POST', body: '{}' }), 404, {
        code: 'NOT_FOUND',
        message: `No webhook route at ${JSON.stringify(path)}.`,
      });
    }
    expect(await eventCount(desk)).toBe(before);
  });

  it('answers 405 with Allow for a method other than POST', async () => {
    const put = await fetch(`${server.url}/webhooks/webform`, { method: 'PUT', body: '{}' });
    expect(put.headers.get('allow')).toBe('POST');
    await expectError(put, 405, {
      code: 'METHOD_NOT_ALLOWED',
      message: 'Method PUT is not allowed; use POST.',
    });
    const get = await fetch(`${server.url}/webhooks/hooky`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('GET, POST');
  });

  it('answers 413 for a body over the limit with a Content-Length', async () => {
    const before = await eventCount(desk);
    const response = await postForm(JSON.stringify({ email: 'a@b.co', message: 'x'.repeat(70_000) }));
    await expectError(response, 413, {
      code: 'PAYLOAD_TOO_LARGE',
      message: 'The request body exceeds 65536 bytes.',
    });
    expect(await eventCount(desk)).toBe(before);
  });

  it('answers 413 for a chunked body over the limit without a Content-Length', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1;
        if (sent > 200)
          controller.close(); // 3.2 MB if the server read it all
        else controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${server.url}/webhooks/webform`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { 'content-type': 'application/json' },
    } as RequestInit);
    await expectError(response, 413, {
      code: 'PAYLOAD_TOO_LARGE',
      message: 'The request body exceeds 65536 bytes.',
    });
  });

  it('answers 415 for a content type the adapter does not accept', async () => {
    await expectError(await postForm('email=a@b.co', { 'content-type': 'text/plain' }), 415, {
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message:
        'Content type text/plain is not accepted; send application/json, application/x-www-form-urlencoded, multipart/form-data.',
    });
  });

  it('answers 401 for a missing or wrong signature and stores nothing', async () => {
    const before = await eventCount(desk);
    const body = JSON.stringify({ email: 'mallory@example.com', message: 'hi' });
    await expectError(await postForm(body, { 'x-threadline-signature': '' }), 401, {
      code: 'SIGNATURE',
      message: 'webform: the request carries no signature',
    });
    await expectError(await postForm(body, { 'x-threadline-signature': `sha256=${'0'.repeat(64)}` }), 401, {
      code: 'SIGNATURE',
      message: 'webform: signature does not match',
    });
    expect(await eventCount(desk)).toBe(before);
  });

  it('answers 400 naming the field of a malformed submission', async () => {
    await expectError(await postForm(JSON.stringify({ name: 'Ann', message: 'hi' })), 400, {
      code: 'VALIDATION',
      message: 'Invalid webform submission: email: an email (email) or phone (phone) field is required',
      field: 'email',
    });
  });

  it('answers 200 and stores the message; a retried delivery is 200 and stores nothing new', async () => {
    const body = JSON.stringify({
      submissionId: 'sub-77',
      email: 'Zoe@Example.com',
      name: 'Zoe',
      message: 'Where is my order?',
    });
    const first = await postForm(body);
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('');
    const customer = await desk.store.findCustomerByIdentity('default', 'email:zoe@example.com');
    expect(customer?.displayName).toBe('Zoe');
    const stored = await desk.store.getMessageByExternalId('webform', 'sub-77');
    expect(stored?.parts[0]).toEqual({ type: 'text', text: 'Where is my order?' });
    expect(stored).toMatchObject({
      channel: 'webform',
      channelKind: 'webform',
      direction: 'inbound',
      customerId: customer?.id,
    });
    const before = await eventCount(desk);
    const retry = await postForm(body);
    expect(retry.status).toBe(200);
    expect(await eventCount(desk)).toBe(before);
    expect(await desk.store.countMessages({ customerId: customer!.id })).toBe(1);
  });

  it('echoes a handshake challenge, and answers the adapter refusal of a wrong token', async () => {
    const ok = await fetch(
      `${server.url}/webhooks/hooky?hub.mode=subscribe&hub.verify_token=tok&hub.challenge=1158201444`,
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/plain');
    expect(await ok.text()).toBe('1158201444');
    const bad = await fetch(
      `${server.url}/webhooks/hooky?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`,
    );
    expect(bad.status).toBe(403);
  });

  it("answers with the adapter's acknowledgement", async () => {
    const response = await postHooky({ from: '+14155550111', text: 'Hi', id: 'SM1' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/xml');
    expect(await response.text()).toBe('<Response><!-- 1 --></Response>');
  });

  it.each([
    ['policy', 422, { code: 'POLICY', message: 'outside the reply window' }],
    ['conflict', 503, { code: 'CONFLICT', message: 'The service is temporarily unavailable; retry later.' }],
    ['storage', 503, { code: 'STORAGE', message: 'The service is temporarily unavailable; retry later.' }],
    ['signature', 401, { code: 'SIGNATURE', message: 'hooky: bad token' }],
    [
      'validation',
      400,
      { code: 'VALIDATION', message: 'Invalid hooky payload: entry[0].id: required', field: 'entry[0].id' },
    ],
  ] as const)('maps a %s error to %i', async (fail, status, error) => {
    logged.length = 0;
    const response = await postHooky({ fail });
    expect(response.headers.get('retry-after')).toBe(status === 503 ? '5' : null);
    await expectError(response, status, error);
    // A 5xx says nothing of the cause to the caller: the log does.
    expect(logged.map(([message]) => message)).toEqual(
      status === 503
        ? [
            expect.stringContaining(
              `threadline webhook: ${error.code === 'CONFLICT' ? 'Conflict' : 'Storage'}Error`,
            ),
          ]
        : [],
    );
  });

  it('answers 500 with a generic message for an unexpected error and logs it, leaking nothing', async () => {
    logged.length = 0;
    const response = await postHooky({ fail: 'crash' });
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(JSON.parse(text)).toEqual({
      error: { code: 'INTERNAL', message: 'Internal error while handling the webhook.' },
    });
    expect(text).not.toMatch(/secret-internal|at /);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.[0]).toBe('threadline webhook: unexpected error');
    expect(String((logged[0]?.[1] as Error | undefined)?.message)).toMatch(/secret-internal/);
  });

  it('answers 503 with Retry-After once the desk is closed, on the default memory store too', async () => {
    const closing = createDesk({ store: memoryStore(), channels: [webform({ secret })], logger });
    const handler = createWebhookHandler(closing, { logger });
    await closing.close();
    const body = JSON.stringify({ email: 'ann@example.com', message: 'Hello?' });
    const response = await handler(
      new Request('https://support.example.com/webhooks/webform', {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-threadline-signature': await signBody(secret, body),
        },
      }),
    );
    expect(response.headers.get('retry-after')).toBe('5');
    await expectError(response, 503, {
      code: 'STORAGE',
      message: 'The service is temporarily unavailable; retry later.',
    });
  });
});
