import { afterEach, describe, expect, it } from 'vitest';
import { slack } from '../../../src/channels/slack/index.js';
import { DeliveryError } from '../../../src/model/errors.js';
import type { Part } from '../../../src/model/parts.js';
import type { Json } from '../../../src/model/records.js';
import { fastDelivery, outboundDelivery } from '../adapter-kit.js';
import {
  type RecordedRequest,
  type ScriptedApiServer,
  type ScriptedResponse,
  startScriptedApi,
} from '../scripted-api-server.js';

let api: ScriptedApiServer | undefined;

afterEach(async () => {
  await api?.close();
  api = undefined;
});

const posted = (channel: string, ts: string): ScriptedResponse => ({
  json: { ok: true, channel, ts, message: { type: 'message', ts } },
});
const opened: ScriptedResponse = { json: { ok: true, channel: { id: 'D0ANNDM' } } };

async function setup(
  respond: (request: RecordedRequest, index: number) => ScriptedResponse,
  maxRetryAfterMs?: number,
) {
  api = await startScriptedApi(respond);
  return slack({
    signingSecret: 'secret',
    botToken: 'xoxb-1-test',
    apiBaseUrl: api.url,
    delivery: fastDelivery(maxRetryAfterMs),
  });
}

function delivery(parts: Part[], meta?: Record<string, Json>) {
  return outboundDelivery({
    channel: 'slack',
    channelKind: 'slack',
    to: { kind: 'slack', value: 'T0CUST:U0CUSTANN' },
    parts,
    ...(meta && { meta }),
  });
}

const text: Part[] = [{ type: 'text', text: 'We reset your SSO config <3 & it should work now' }];
const inThread = { slackChannel: 'C0SHARED', slackThreadTs: '1767225600.000100' };

describe('slack send', () => {
  it('posts chat.postMessage with bearer token and JSON into the thread named by meta', async () => {
    const adapter = await setup(() => posted('C0SHARED', '1767226600.001200'));
    expect(await adapter.send(delivery(text, inThread))).toEqual({
      externalId: 'C0SHARED:1767226600.001200',
    });
    expect(api!.requests).toHaveLength(1);
    const [request] = api!.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/chat.postMessage');
    expect(request?.headers.authorization).toBe('Bearer xoxb-1-test');
    expect(request?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(request?.json).toEqual({
      channel: 'C0SHARED',
      thread_ts: '1767225600.000100',
      text: 'We reset your SSO config &lt;3 &amp; it should work now',
    });
  });

  it('without a channel in meta, opens a DM with the user and posts there', async () => {
    const adapter = await setup((request) =>
      request.path === '/conversations.open' ? opened : posted('D0ANNDM', '1767226700.000100'),
    );
    const media: Part = { type: 'media', url: 'https://cdn.example/guide.pdf', filename: 'SSO guide.pdf' };
    expect(await adapter.send(delivery([...text, media]))).toEqual({
      externalId: 'D0ANNDM:1767226700.000100',
    });
    expect(api!.requests.map((r) => [r.path, r.json])).toEqual([
      ['/conversations.open', { users: 'U0CUSTANN' }],
      [
        '/chat.postMessage',
        {
          channel: 'D0ANNDM',
          text: 'We reset your SSO config &lt;3 &amp; it should work now\n\n<https://cdn.example/guide.pdf|SSO guide.pdf>',
        },
      ],
    ]);
  });

  it("posts in the channel of the conversation's latest Slack message when the desk names it", async () => {
    const adapter = await setup(() => posted('C0SHARED', '1767226800.000100'));
    const thread = {
      inReplyTo: 'C0SHARED:1767225700.000200',
      references: ['C0SHARED:1767225600.000100', 'C0SHARED:1767225700.000200'],
    };
    const sent = outboundDelivery({
      channel: 'slack',
      channelKind: 'slack',
      to: { kind: 'slack', value: 'T0CUST:U0CUSTANN' },
      parts: text,
      thread,
    });
    expect(await adapter.send(sent)).toEqual({ externalId: 'C0SHARED:1767226800.000100' });
    expect(api!.requests.map((r) => [r.path, r.json])).toEqual([
      [
        '/chat.postMessage',
        { channel: 'C0SHARED', text: 'We reset your SSO config &lt;3 &amp; it should work now' },
      ],
    ]);
  });

  it.each(['channel_not_found', 'not_in_channel', 'invalid_auth'])(
    'ok:false %s is a final DeliveryError',
    async (code) => {
      const adapter = await setup(() => ({ json: { ok: false, error: code } }));
      const error = await adapter.send(delivery(text, inThread)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeliveryError);
      expect(error).toMatchObject({ retryable: false, providerCode: code, status: 200 });
      expect(api!.requests).toHaveLength(1);
    },
  );

  it('ok:false ratelimited is retryable', async () => {
    const adapter = await setup(() => ({ json: { ok: false, error: 'ratelimited' } }));
    await expect(adapter.send(delivery(text, inThread))).rejects.toMatchObject({
      retryable: true,
      providerCode: 'ratelimited',
    });
  });

  it('waits out HTTP 429 Retry-After, then succeeds', async () => {
    const adapter = await setup((_r, index) =>
      index === 0
        ? { status: 429, headers: { 'retry-after': '1' }, json: { ok: false, error: 'ratelimited' } }
        : posted('C0SHARED', '1.2'),
    );
    const started = Date.now();
    expect(await adapter.send(delivery(text, inThread))).toEqual({ externalId: 'C0SHARED:1.2' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(api!.requests).toHaveLength(2);
  });

  it('hands a Retry-After longer than maxRetryAfterMs back to the outbox', async () => {
    const adapter = await setup(
      () => ({ status: 429, headers: { 'retry-after': '30' }, json: { ok: false, error: 'ratelimited' } }),
      1000,
    );
    const error = await adapter.send(delivery(text, inThread)).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'DeliveryError',
      retryable: true,
      retryAfterMs: 30_000,
      status: 429,
      providerCode: 'ratelimited',
    });
    expect(api!.requests).toHaveLength(1);
  });

  it('hands an HTTP-date Retry-After past maxRetryAfterMs back too, and ignores an unreadable one', async () => {
    const later = new Date(Date.now() + 120_000).toUTCString();
    const dated = await setup(
      () => ({ status: 429, headers: { 'retry-after': later }, json: { ok: false, error: 'ratelimited' } }),
      1000,
    );
    const error = await dated.send(delivery(text, inThread)).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'DeliveryError', retryable: true, status: 429 });
    expect((error as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(100_000);
    expect(api!.requests).toHaveLength(1);
    const garbled = await setup((_r, index) =>
      index === 0
        ? { status: 429, headers: { 'retry-after': 'soon' }, json: { ok: false, error: 'ratelimited' } }
        : posted('C0SHARED', '1.4'),
    );
    const started = Date.now();
    expect(await garbled.send(delivery(text, inThread))).toEqual({ externalId: 'C0SHARED:1.4' });
    expect(Date.now() - started).toBeLessThan(5_000); // the usual backoff, not maxRetryAfterMs (30 s)
  });

  it('retries a 500, then succeeds', async () => {
    const adapter = await setup((_r, index) =>
      index === 0 ? { status: 500, body: 'oops' } : posted('C0SHARED', '1.3'),
    );
    expect(await adapter.send(delivery(text, inThread))).toEqual({ externalId: 'C0SHARED:1.3' });
    expect(api!.requests).toHaveLength(2);
  });

  it('refuses parts Slack cannot carry before any call', async () => {
    const adapter = await setup(() => posted('C0SHARED', '1.4'));
    const parts: Part[] = [...text, { type: 'location', latitude: 1, longitude: 2 }];
    await expect(adapter.send(delivery(parts, inThread))).rejects.toMatchObject({
      name: 'DeliveryError',
      retryable: false,
    });
    expect(api!.requests).toHaveLength(0);
  });
});
