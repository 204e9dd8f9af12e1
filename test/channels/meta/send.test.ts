import { afterEach, describe, expect, it } from 'vitest';
import { instagram, messenger, whatsappCloud } from '../../../src/channels/meta/index.js';
import { DeliveryError } from '../../../src/model/errors.js';
import type { Part } from '../../../src/model/parts.js';
import { delivery, graphError, startGraph } from './graph-server.js';

const fast = { retries: 2, backoffLimitMs: 5, timeoutMs: 2_000 };
const KEY = 'msg_01JDB5Z7K3S9V4Q2W8E6R1T0YA';
let servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function whatsappWith(script: Parameters<typeof startGraph>[2] = []) {
  const graph = await startGraph('EAAG-wa-token', 'whatsapp', script);
  servers.push(graph);
  const adapter = whatsappCloud({
    appSecret: 's',
    verifyToken: 'v',
    accessToken: 'EAAG-wa-token',
    phoneNumberId: '106540352242922',
    apiBaseUrl: graph.url,
    delivery: fast,
  });
  const send = (parts: Part[], replyTo?: string) =>
    adapter.send(delivery('whatsapp', parts, { kind: 'whatsapp', value: '+447700900123' }, replyTo));
  return { graph, adapter, send };
}

const waEnvelope = {
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to: '447700900123',
  biz_opaque_callback_data: KEY,
};

describe('whatsappCloud: send', () => {
  it('posts a text message to /{version}/{phoneNumberId}/messages with the bearer token', async () => {
    const { graph, send } = await whatsappWith();
    expect(await send([{ type: 'text', text: 'Your refund is on its way.' }])).toEqual({
      externalId: 'wamid.SENT1',
    });
    expect(graph.requests).toEqual([
      {
        method: 'POST',
        path: '/v24.0/106540352242922/messages',
        authorization: 'Bearer EAAG-wa-token',
        contentType: 'application/json',
        body: {
          ...waEnvelope,
          type: 'text',
          text: { body: 'Your refund is on its way.', preview_url: false },
        },
      },
    ]);
  });

  it('sends media by link with the text as caption, replies in context, resends received media by id', async () => {
    const { graph, send } = await whatsappWith();
    await send(
      [
        { type: 'text', text: 'Here is the label' },
        {
          type: 'media',
          url: 'https://cdn.example.com/label.pdf',
          mimeType: 'application/pdf',
          filename: 'label.pdf',
        },
      ],
      'wamid.TL0008',
    );
    await send([{ type: 'media', url: 'whatsapp-media:1198736452201934', mimeType: 'image/jpeg' }]);
    await send([{ type: 'media', url: 'https://cdn.example.com/hello.ogg' }]);
    expect(graph.requests.map((r) => r.body)).toEqual([
      {
        ...waEnvelope,
        type: 'document',
        document: {
          link: 'https://cdn.example.com/label.pdf',
          caption: 'Here is the label',
          filename: 'label.pdf',
        },
        context: { message_id: 'wamid.TL0008' },
      },
      { ...waEnvelope, type: 'image', image: { id: '1198736452201934' } },
      { ...waEnvelope, type: 'audio', audio: { link: 'https://cdn.example.com/hello.ogg' } },
    ]);
  });

  it('sends templates with body parameters, locations, contacts and reactions', async () => {
    const { graph, send } = await whatsappWith();
    await send([{ type: 'template', name: 'order_update', language: 'en_GB', params: ['Maya', '#4411'] }]);
    await send([{ type: 'location', latitude: 51.5033, longitude: -0.1196, name: 'Store' }]);
    await send([{ type: 'contact', name: 'Support line', phones: ['+14155550100'] }]);
    await send([{ type: 'reaction', emoji: '👍', targetExternalId: 'wamid.TL0001' }]);
    expect(graph.requests.map((r) => r.body)).toEqual([
      {
        ...waEnvelope,
        type: 'template',
        template: {
          name: 'order_update',
          language: { code: 'en_GB' },
          components: [
            {
              type: 'body',
              parameters: [
                { type: 'text', text: 'Maya' },
                { type: 'text', text: '#4411' },
              ],
            },
          ],
        },
      },
      { ...waEnvelope, type: 'location', location: { latitude: 51.5033, longitude: -0.1196, name: 'Store' } },
      {
        ...waEnvelope,
        type: 'contacts',
        contacts: [
          {
            name: { formatted_name: 'Support line', first_name: 'Support line' },
            phones: [{ phone: '+14155550100' }],
            emails: [],
          },
        ],
      },
      { ...waEnvelope, type: 'reaction', reaction: { message_id: 'wamid.TL0001', emoji: '👍' } },
    ]);
  });

  it('131047 (outside the 24-hour window) fails at once, not retryable, with Graph details', async () => {
    const { graph, send } = await whatsappWith([
      graphError(400, 131047, 'Re-engagement message', {
        error_data: { messaging_product: 'whatsapp', details: 'More than 24 hours have passed.' },
      }),
    ]);
    const error = await send([{ type: 'text', text: 'late' }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ retryable: false, status: 400, providerCode: '131047' });
    expect((error as Error).message).toBe(
      'whatsapp: provider answered 400: Re-engagement message: More than 24 hours have passed. (code 131047, OAuthException, fbtrace_id A1b2C3)',
    );
    expect(graph.requests).toHaveLength(1);
  });

  it('retries a 429 and a 500 in the same send, then succeeds', async () => {
    const { graph, send } = await whatsappWith([
      { ...graphError(429, 130429, 'Rate limit hit'), headers: { 'retry-after': '0' } },
      graphError(500, 2, 'Service temporarily unavailable'),
    ]);
    expect(await send([{ type: 'text', text: 'hi' }])).toEqual({ externalId: 'wamid.SENT3' });
    expect(graph.requests).toHaveLength(3);
    expect(new Set(graph.requests.map((r) => JSON.stringify(r.body))).size).toBe(1);
  });

  it('gives up after the configured retries with a retryable error', async () => {
    const { graph, send } = await whatsappWith(
      [500, 500, 500].map((s) => graphError(s, 1, 'An unknown error occurred')),
    );
    await expect(send([{ type: 'text', text: 'hi' }])).rejects.toMatchObject({
      retryable: true,
      status: 500,
      providerCode: '1',
    });
    expect(graph.requests).toHaveLength(3);
  });

  it('a throughput limit answered 400 is still retryable (by the outbox)', async () => {
    const { graph, send } = await whatsappWith([graphError(400, 80007, 'Rate limit issues')]);
    await expect(send([{ type: 'text', text: 'hi' }])).rejects.toMatchObject({
      retryable: true,
      providerCode: '80007',
    });
    expect(graph.requests).toHaveLength(1);
  });

  it('a wrong token is a final error; what WhatsApp cannot carry fails before any request', async () => {
    const { graph, adapter } = await whatsappWith();
    const other = whatsappCloud({
      appSecret: 's',
      verifyToken: 'v',
      accessToken: 'wrong',
      phoneNumberId: '106540352242922',
      apiBaseUrl: graph.url,
      delivery: fast,
    });
    const to = { kind: 'whatsapp' as const, value: '+447700900123' };
    await expect(other.send(delivery('whatsapp', [{ type: 'text', text: 'x' }], to))).rejects.toMatchObject({
      retryable: false,
      status: 401,
      providerCode: '190',
    });
    const two: Part[] = [
      { type: 'media', url: 'https://a.example/1.jpg' },
      { type: 'media', url: 'https://a.example/2.jpg' },
    ];
    await expect(adapter.send(delivery('whatsapp', two, to))).rejects.toThrow(
      /one media or media per message/,
    );
    await expect(
      adapter.send(delivery('whatsapp', [{ type: 'call', durationSec: 3 }], to)),
    ).rejects.toMatchObject({
      retryable: false,
    });
    await expect(
      adapter.send(delivery('whatsapp', [{ type: 'text', text: 'x'.repeat(4097) }], to)),
    ).rejects.toThrow(/4096/);
    expect(graph.requests).toHaveLength(1);
  });
});

async function messagingWith(
  kind: 'messenger' | 'instagram',
  pageId?: string,
  script: Parameters<typeof startGraph>[2] = [],
) {
  const graph = await startGraph('EAAP-page-token', 'messaging', script);
  servers.push(graph);
  const make = kind === 'messenger' ? messenger : instagram;
  const adapter = make({
    appSecret: 's',
    verifyToken: 'v',
    pageAccessToken: 'EAAP-page-token',
    apiBaseUrl: `${graph.url}/`,
    apiVersion: 'v23.0',
    delivery: fast,
    ...(pageId ? { pageId } : {}),
  });
  const send = (parts: Part[]) => adapter.send(delivery(kind, parts, { kind, value: '6823451098734521' }));
  return { graph, send };
}

describe('messenger / instagram: send', () => {
  it('posts text to /me/messages as a RESPONSE with the idempotency key as metadata', async () => {
    const { graph, send } = await messagingWith('messenger');
    expect(await send([{ type: 'text', text: 'We ship to Canada.' }])).toEqual({ externalId: 'm_sent-1' });
    expect(graph.requests).toEqual([
      {
        method: 'POST',
        path: '/v23.0/me/messages',
        authorization: 'Bearer EAAP-page-token',
        contentType: 'application/json',
        body: {
          recipient: { id: '6823451098734521' },
          messaging_type: 'RESPONSE',
          message: { text: 'We ship to Canada.', metadata: KEY },
        },
      },
    ]);
  });

  it('sends an attachment by URL to /{pageId}/messages', async () => {
    const { graph, send } = await messagingWith('instagram', '17841412345678901');
    await send([{ type: 'media', url: 'https://cdn.example.com/p.png', mimeType: 'image/png' }]);
    expect(graph.requests.map((r) => [r.path, r.body])).toEqual([
      [
        '/v23.0/17841412345678901/messages',
        {
          recipient: { id: '6823451098734521' },
          messaging_type: 'RESPONSE',
          message: {
            attachment: {
              type: 'image',
              payload: { url: 'https://cdn.example.com/p.png', is_reusable: true },
            },
            metadata: KEY,
          },
        },
      ],
    ]);
  });

  it('a template part naming HUMAN_AGENT sends as MESSAGE_TAG; an unknown tag never reaches Graph', async () => {
    const { graph, send } = await messagingWith('messenger');
    await send([
      { type: 'template', name: 'human_agent', language: 'en' },
      { type: 'text', text: 'Following up on your return.' },
    ]);
    expect(graph.requests[0]?.body).toEqual({
      recipient: { id: '6823451098734521' },
      messaging_type: 'MESSAGE_TAG',
      tag: 'HUMAN_AGENT',
      message: { text: 'Following up on your return.', metadata: KEY },
    });
    await expect(
      send([{ type: 'template', name: 'order_update', language: 'en', params: ['x'] }]),
    ).rejects.toMatchObject({
      retryable: false,
    });
    await expect(
      send([
        { type: 'text', text: 'a' },
        { type: 'media', url: 'https://x.example/a.png' },
      ]),
    ).rejects.toThrow(/split it/);
    expect(graph.requests).toHaveLength(1);
  });

  it('Instagram allows only HUMAN_AGENT; 10/2018278 outside the window is final', async () => {
    const { graph, send } = await messagingWith('instagram', undefined, [
      graphError(400, 10, '(#10) This message is sent outside of allowed window.', {
        error_subcode: 2018278,
      }),
    ]);
    await expect(
      send([{ type: 'template', name: 'ACCOUNT_UPDATE', language: 'en', params: ['x'] }]),
    ).rejects.toThrow(/not a instagram message tag|HUMAN_AGENT/);
    const error = await send([{ type: 'text', text: 'late' }]).catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: false, providerCode: '10' });
    expect((error as Error).message).toContain('subcode 2018278');
    expect(graph.requests).toHaveLength(1);
  });
});
