import { afterEach, describe, expect, it } from 'vitest';
import { telegram } from '../../../src/channels/telegram/index.js';
import { DeliveryError } from '../../../src/model/errors.js';
import type { Part } from '../../../src/model/parts.js';
import type { Json } from '../../../src/model/records.js';
import { fastDelivery, outboundDelivery } from '../adapter-kit.js';
import { type ScriptedApiServer, type ScriptedResponse, startScriptedApi } from '../scripted-api-server.js';

const token = '6000000001:AAE-test_token';
let api: ScriptedApiServer | undefined;

afterEach(async () => {
  await api?.close();
  api = undefined;
});

const ok = (messageId: number, chatId = 424242001): ScriptedResponse => ({
  json: {
    ok: true,
    result: { message_id: messageId, date: 1767225600, chat: { id: chatId, type: 'private' } },
  },
});
const failure = (code: number, description: string, retryAfter?: number): ScriptedResponse => ({
  status: code,
  json: {
    ok: false,
    error_code: code,
    description,
    ...(retryAfter !== undefined && { parameters: { retry_after: retryAfter } }),
  },
});

async function setup(script: (index: number) => ScriptedResponse, maxRetryAfterMs?: number) {
  api = await startScriptedApi((_request, index) => script(index));
  return telegram({
    botToken: token,
    secretToken: 'secret',
    apiBaseUrl: api.url,
    delivery: fastDelivery(maxRetryAfterMs),
  });
}

function delivery(parts: Part[], meta?: Record<string, Json>) {
  return outboundDelivery({
    channel: 'telegram',
    channelKind: 'telegram',
    to: { kind: 'telegram', value: '424242001' },
    parts,
    ...(meta && { meta }),
  });
}

const calls = () => api!.requests.map((r) => ({ method: r.method, path: r.path, json: r.json }));

describe('telegram send', () => {
  it('posts sendMessage as JSON to /bot{token}/sendMessage and returns chat:message_id', async () => {
    const adapter = await setup(() => ok(77));
    const result = await adapter.send(delivery([{ type: 'text', text: 'Your parcel ships today' }]));
    expect(result).toEqual({ externalId: '424242001:77' });
    expect(calls()).toEqual([
      {
        method: 'POST',
        path: `/bot${token}/sendMessage`,
        json: { chat_id: '424242001', text: 'Your parcel ships today' },
      },
    ]);
    expect(api!.requests[0]?.headers['content-type']).toMatch(/^application\/json/);
  });

  it('sends one call per part: photo by URL, telegram-file id as document, location', async () => {
    const adapter = await setup((index) => ok(100 + index));
    const result = await adapter.send(
      delivery([
        { type: 'media', url: 'https://cdn.example/label.png', caption: 'Return label' },
        { type: 'media', url: 'telegram-file:BQACAgQAAxkBAAM-doc', mimeType: 'application/pdf' },
        { type: 'location', latitude: 52.52, longitude: 13.405 },
      ]),
    );
    expect(result).toEqual({ externalId: '424242001:100' });
    expect(calls().map((c) => [c.path, c.json])).toEqual([
      [
        `/bot${token}/sendPhoto`,
        { chat_id: '424242001', photo: 'https://cdn.example/label.png', caption: 'Return label' },
      ],
      [`/bot${token}/sendDocument`, { chat_id: '424242001', document: 'BQACAgQAAxkBAAM-doc' }],
      [`/bot${token}/sendLocation`, { chat_id: '424242001', latitude: 52.52, longitude: 13.405 }],
    ]);
  });

  it('sends to meta.telegramChatId when the reply names a group', async () => {
    const adapter = await setup(() => ok(5, -1001234567890));
    const result = await adapter.send(
      delivery([{ type: 'text', text: 'hi all' }], { telegramChatId: -1001234567890 }),
    );
    expect(result).toEqual({ externalId: '-1001234567890:5' });
    expect(api!.requests[0]?.json).toEqual({ chat_id: '-1001234567890', text: 'hi all' });
  });

  it('waits out a 429 retry_after from the body, then succeeds', async () => {
    const adapter = await setup((index) =>
      index === 0 ? failure(429, 'Too Many Requests: retry after 1', 1) : ok(8),
    );
    const started = Date.now();
    expect(await adapter.send(delivery([{ type: 'text', text: 'x' }]))).toEqual({
      externalId: '424242001:8',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(api!.requests).toHaveLength(2);
    expect(api!.requests[1]?.body).toBe(api!.requests[0]?.body);
  });

  it('hands a retry_after longer than maxRetryAfterMs back to the outbox with retryAfterMs', async () => {
    const adapter = await setup(() => failure(429, 'Too Many Requests: retry after 35', 35), 1000);
    const error = await adapter.send(delivery([{ type: 'text', text: 'x' }])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 35_000, status: 429, providerCode: '429' });
    expect(api!.requests).toHaveLength(1);
  });

  it('retries a 500 and then succeeds', async () => {
    const adapter = await setup((index) => (index === 0 ? failure(500, 'Internal Server Error') : ok(9)));
    expect(await adapter.send(delivery([{ type: 'text', text: 'x' }]))).toEqual({
      externalId: '424242001:9',
    });
    expect(api!.requests).toHaveLength(2);
  });

  it.each([
    [400, 'Bad Request: chat not found'],
    [403, 'Forbidden: bot was blocked by the user'],
  ])('a %i is a final DeliveryError with the description, sent once', async (code, description) => {
    const adapter = await setup(() => failure(code, description));
    const error = await adapter.send(delivery([{ type: 'text', text: 'x' }])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ retryable: false, status: code, providerCode: String(code) });
    expect((error as Error).message).toContain(description);
    expect(api!.requests).toHaveLength(1);
  });

  it('refuses parts Telegram cannot carry before sending anything', async () => {
    const adapter = await setup(() => ok(1));
    const parts: Part[] = [
      { type: 'text', text: 'first' },
      { type: 'template', name: 'order_update', language: 'en' },
    ];
    await expect(adapter.send(delivery(parts))).rejects.toMatchObject({
      name: 'DeliveryError',
      retryable: false,
    });
    expect(api!.requests).toHaveLength(0);
  });

  it('gives up after the retry limit with a retryable DeliveryError', async () => {
    const adapter = await setup(() => failure(502, 'Bad Gateway'));
    await expect(adapter.send(delivery([{ type: 'text', text: 'x' }]))).rejects.toMatchObject({
      retryable: true,
      status: 502,
    });
    expect(api!.requests).toHaveLength(3);
  });
});
