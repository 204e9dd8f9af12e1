import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { twilioSms, twilioVoice, twilioWhatsApp } from '../../../src/channels/twilio/index.js';
import type { OutboundDelivery } from '../../../src/core/channel.js';
import { DeliveryError, PolicyError, ValidationError } from '../../../src/model/errors.js';
import type { Identity } from '../../../src/model/identity.js';
import type { Part } from '../../../src/model/parts.js';
import { ACCOUNT_SID, AUTH_TOKEN } from './helpers.js';
import { startTwilioApi } from './twilio-server.js';

const NOW = '2026-11-25T08:00:00.000Z';
const MESSAGING_SERVICE = `MG${'ab'.repeat(16)}`;
const fast = { retries: 2, backoffLimitMs: 20, timeoutMs: 2000 };

function delivery(
  parts: Part[],
  to: Partial<Identity> = {},
  idempotencyKey = 'msg_01HZX-key',
): OutboundDelivery {
  const identity: Identity = {
    kind: 'phone',
    value: '+14155550123',
    verified: true,
    source: 'twilio-sms',
    linkedAt: NOW,
    lastSeenAt: NOW,
    ...to,
  };
  const base = { brandId: 'default', createdAt: NOW, version: 1 };
  return {
    message: {
      ...base,
      id: 'msg_1',
      conversationId: 'conv_1',
      customerId: 'cus_1',
      channel: 'twilio-sms',
      channelKind: 'sms',
      direction: 'outbound',
      author: { type: 'agent', id: 'agent_1' },
      parts,
      status: 'queued',
      at: Date.parse(NOW),
    },
    conversation: {
      ...base,
      id: 'conv_1',
      customerId: 'cus_1',
      status: 'open',
      priority: 'normal',
      tags: [],
      channels: ['twilio-sms'],
      lastInboundAtMs: {},
      messageCount: 1,
      updatedAt: NOW,
    },
    customer: { ...base, id: 'cus_1', traits: {}, identities: [identity], updatedAt: NOW },
    to: identity,
    idempotencyKey,
    attempt: 1,
  };
}

const text = (value: string): Part => ({ type: 'text', text: value });
const messagesPath = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;
const basicAuth = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;

let api: Awaited<ReturnType<typeof startTwilioApi>>;
beforeAll(async () => {
  api = await startTwilioApi(ACCOUNT_SID, AUTH_TOKEN);
});
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  api.script.length = 0;
});

const smsOptions = () => ({
  accountSid: ACCOUNT_SID,
  authToken: AUTH_TOKEN,
  from: '+14155550100',
  apiBaseUrl: api.url,
  delivery: fast,
});

describe('twilioSms send', () => {
  it('posts the exact Messages request and returns the sid', async () => {
    const adapter = twilioSms({
      ...smsOptions(),
      statusCallbackUrl: 'https://support.example.com/webhooks/twilio-sms',
    });
    const result = await adapter.send(
      delivery([
        text('Your order shipped.'),
        { type: 'media', url: 'https://cdn.example.com/label.png', caption: 'Label' },
      ]),
    );
    expect(result).toEqual({ externalId: `SM${'1'.padStart(32, '0')}` });
    expect(api.requests).toEqual([
      {
        method: 'POST',
        path: messagesPath,
        authorization: basicAuth,
        idempotencyToken: 'msg_01HZX-key',
        contentType: 'application/x-www-form-urlencoded;charset=UTF-8',
        form: [
          ['To', '+14155550123'],
          ['From', '+14155550100'],
          ['MediaUrl', 'https://cdn.example.com/label.png'],
          ['Body', 'Your order shipped.\n\nLabel'],
          ['StatusCallback', 'https://support.example.com/webhooks/twilio-sms'],
        ],
      },
    ]);
  });

  it('sends MessagingServiceSid instead of From when configured', async () => {
    const { from: _, ...options } = smsOptions();
    await twilioSms({ ...options, messagingServiceSid: MESSAGING_SERVICE }).send(delivery([text('hi')]));
    expect(api.requests[0]?.form).toEqual([
      ['To', '+14155550123'],
      ['MessagingServiceSid', MESSAGING_SERVICE],
      ['Body', 'hi'],
    ]);
  });

  it('a 400 with code 21211 is a final DeliveryError carrying Twilio code, without retry', async () => {
    const error = await twilioSms(smsOptions())
      .send(delivery([text('hi')], { value: '+15005550001' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({
      retryable: false,
      status: 400,
      providerCode: '21211',
      message:
        "twilio-sms: provider answered 400: The 'To' number +15005550001 is not a valid phone number. (https://www.twilio.com/docs/errors/21211)",
    });
    expect(api.requests).toHaveLength(1);
  });

  it('a 429 with Retry-After: 1 is retried after the wait, with the same idempotency token', async () => {
    api.script.push({
      status: 429,
      headers: { 'retry-after': '1' },
      body: { code: 20429, message: 'Too Many Requests', status: 429 },
    });
    const started = Date.now();
    const result = await twilioSms(smsOptions()).send(delivery([text('hi')]));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(result.externalId).toMatch(/^SM\d{32}$/);
    expect(api.requests.map((r) => r.idempotencyToken)).toEqual(['msg_01HZX-key', 'msg_01HZX-key']);
  });

  it('a 500 is retried and then succeeds', async () => {
    api.script.push({ status: 500, body: { code: 20500, message: 'Internal Server Error', status: 500 } });
    await expect(twilioSms(smsOptions()).send(delivery([text('hi')]))).resolves.toMatchObject({
      externalId: expect.stringMatching(/^SM/),
    });
    expect(api.requests).toHaveLength(2);
  });

  it('persistent 503s end in a retryable DeliveryError after 1 + retries attempts', async () => {
    for (let i = 0; i < 3; i++)
      api.script.push({ status: 503, body: { code: 20503, message: 'Service Unavailable', status: 503 } });
    const error = await twilioSms(smsOptions())
      .send(delivery([text('hi')]))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'DeliveryError',
      retryable: true,
      status: 503,
      providerCode: '20503',
    });
    expect(api.requests).toHaveLength(3);
  });

  it('wrong credentials are a final DeliveryError (20003)', async () => {
    const error = await twilioSms({ ...smsOptions(), authToken: 'wrong' })
      .send(delivery([text('hi')]))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'DeliveryError',
      retryable: false,
      status: 401,
      providerCode: '20003',
    });
  });

  it('a refused connection is a retryable DeliveryError', async () => {
    const closed = await startTwilioApi(ACCOUNT_SID, AUTH_TOKEN);
    await closed.close();
    const error = await twilioSms({
      ...smsOptions(),
      apiBaseUrl: closed.url,
      delivery: { ...fast, retries: 0 },
    })
      .send(delivery([text('hi')]))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'DeliveryError', retryable: true });
  });

  it('a 201 without a sid is a final DeliveryError', async () => {
    api.script.push({ status: 201, body: { status: 'queued' } });
    await expect(twilioSms(smsOptions()).send(delivery([text('hi')]))).rejects.toMatchObject({
      name: 'DeliveryError',
      retryable: false,
    });
  });

  it('refuses parts and recipients SMS cannot carry, before any request', async () => {
    const adapter = twilioSms(smsOptions());
    await expect(
      adapter.send(delivery([{ type: 'template', name: 'HX1', language: 'en' }])),
    ).rejects.toBeInstanceOf(PolicyError);
    await expect(adapter.send(delivery([text('hi')], { kind: 'email', value: 'a@b.co' }))).rejects.toThrow(
      'twilio-sms: cannot send to a email identity',
    );
    await expect(adapter.send(delivery([text('x'.repeat(1601))]))).rejects.toThrow(/1601 characters/);
    expect(api.requests).toHaveLength(0);
  });
});

describe('twilioWhatsApp send', () => {
  const waOptions = () => ({ ...smsOptions(), from: 'whatsapp:+14155550100' });

  it('prefixes both addresses with whatsapp:', async () => {
    await twilioWhatsApp(waOptions()).send(
      delivery([text('Olá!')], { kind: 'whatsapp', value: '+5511987654321' }),
    );
    expect(api.requests[0]?.form).toEqual([
      ['To', 'whatsapp:+5511987654321'],
      ['From', 'whatsapp:+14155550100'],
      ['Body', 'Olá!'],
    ]);
  });

  it('sends a template part as ContentSid + ContentVariables', async () => {
    const template: Part = {
      type: 'template',
      name: `HX${'cd'.repeat(16)}`,
      language: 'pt_BR',
      params: ['Ana', '1042'],
    };
    await twilioWhatsApp(waOptions()).send(
      delivery([template], { kind: 'whatsapp', value: '+5511987654321' }),
    );
    expect(api.requests[0]?.form).toEqual([
      ['To', 'whatsapp:+5511987654321'],
      ['From', 'whatsapp:+14155550100'],
      ['ContentSid', `HX${'cd'.repeat(16)}`],
      ['ContentVariables', '{"1":"Ana","2":"1042"}'],
    ]);
  });

  it('sends a location as PersistentAction geo:lat,lon|label', async () => {
    const location: Part = { type: 'location', latitude: -23.5613991, longitude: -46.6565712, name: 'MASP' };
    await twilioWhatsApp(waOptions()).send(
      delivery([location], { kind: 'whatsapp', value: '+5511987654321' }),
    );
    expect(api.requests[0]?.form).toEqual([
      ['To', 'whatsapp:+5511987654321'],
      ['From', 'whatsapp:+14155550100'],
      ['PersistentAction', 'geo:-23.5613991,-46.6565712|MASP'],
      ['Body', 'MASP'],
    ]);
  });

  it('refuses a template mixed with other parts', async () => {
    const template: Part = { type: 'template', name: 'HX1', language: 'en' };
    await expect(twilioWhatsApp(waOptions()).send(delivery([template, text('hi')]))).rejects.toThrow(
      'a template message cannot carry other parts',
    );
  });
});

describe('options', () => {
  it.each([
    [{ authToken: 't', from: '+1' }, 'accountSid'],
    [{ accountSid: 'AC123', authToken: 't', from: '+1' }, 'accountSid'],
    [{ accountSid: ACCOUNT_SID, authToken: '', from: '+1' }, 'authToken'],
    [{ accountSid: ACCOUNT_SID, authToken: 't' }, 'from'],
    [{ accountSid: ACCOUNT_SID, authToken: 't', from: '+1', apiBaseUrl: 'ftp://x' }, 'apiBaseUrl'],
    [
      { accountSid: ACCOUNT_SID, authToken: 't', from: '+1', messagingServiceSid: 'MG1' },
      'messagingServiceSid',
    ],
    [
      { accountSid: ACCOUNT_SID, authToken: 't', from: '+1', statusCallbackUrl: 'not a url' },
      'statusCallbackUrl',
    ],
    [{ accountSid: ACCOUNT_SID, authToken: 't', from: '+1', delivery: { retries: -1 } }, 'delivery.retries'],
    [{ accountSid: ACCOUNT_SID, authToken: 't', from: '+1', fromNumber: '+1' }, '(root)'],
  ])('a wrong option is a ValidationError naming it (%#)', (options, field) => {
    const error = (() => {
      try {
        twilioSms(options as never);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });

  it('applies default ids and accepts voice without a sender', () => {
    const base = { accountSid: ACCOUNT_SID, authToken: 't', from: '+14155550100' };
    expect([
      twilioSms(base).id,
      twilioWhatsApp(base).id,
      twilioVoice({ accountSid: ACCOUNT_SID, authToken: 't' }).id,
    ]).toEqual(['twilio-sms', 'twilio-whatsapp', 'twilio-voice']);
    expect(twilioSms({ ...base, id: 'sms-eu' }).id).toBe('sms-eu');
  });
});
