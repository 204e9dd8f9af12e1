import { afterEach, describe, expect, it } from 'vitest';
import { instagram, messenger, whatsappCloud } from '../../src/channels/meta/index.js';
import { slack } from '../../src/channels/slack/index.js';
import { telegram } from '../../src/channels/telegram/index.js';
import { twilioWhatsApp } from '../../src/channels/twilio/index.js';
import type { Part } from '../../src/model/parts.js';
import type { Json } from '../../src/model/records.js';
import { fastDelivery, outboundDelivery } from './adapter-kit.js';
import { delivery as graphDelivery, startGraph } from './meta/graph-server.js';
import { type ScriptedApiServer, type ScriptedResponse, startScriptedApi } from './scripted-api-server.js';
import { ACCOUNT_SID, AUTH_TOKEN } from './twilio/helpers.js';
import { startTwilioApi } from './twilio/twilio-server.js';

// Outbound edge cases across adapters: unusual but valid messages, and provider answers, each
// against a real HTTP server on 127.0.0.1 speaking the provider's API shape.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function scripted(respond: (index: number) => ScriptedResponse): Promise<ScriptedApiServer> {
  const api = await startScriptedApi((_request, index) => respond(index));
  closers.push(() => api.close());
  return api;
}

describe('telegram: a message of several parts', () => {
  const token = '6000000001:AAE-test_token';
  const ok = (messageId: number, chatId: number): ScriptedResponse => ({
    json: {
      ok: true,
      result: { message_id: messageId, date: 1767225600, chat: { id: chatId, type: 'private' } },
    },
  });
  const serverError: ScriptedResponse = {
    status: 500,
    json: { ok: false, error_code: 500, description: 'Internal Server Error' },
  };
  const send = (api: ScriptedApiServer, parts: Part[], meta?: Record<string, Json>) => {
    const adapter = telegram({
      botToken: token,
      secretToken: 'secret',
      apiBaseUrl: api.url,
      delivery: { ...fastDelivery(), retries: 0 },
    });
    const make = (attempt: number) =>
      outboundDelivery({
        channel: 'telegram',
        channelKind: 'telegram',
        to: { kind: 'telegram', value: '424242001' },
        parts,
        attempt,
        ...(meta && { meta }),
      });
    return { adapter, make };
  };

  it('a retry after a later part failed does not send the parts that went through again', async () => {
    // sendMessage ok, sendPhoto 500 (retries exhausted), then the outbox's retry.
    const api = await scripted((index) => (index === 1 ? serverError : ok(70 + index, 424242001)));
    const { adapter, make } = send(api, [
      { type: 'text', text: 'Here is your label' },
      { type: 'media', url: 'https://cdn.example.com/label.png' },
    ]);
    await expect(adapter.send(make(1))).rejects.toMatchObject({ name: 'DeliveryError', retryable: true });
    const result = await adapter.send(make(2));
    expect(api.requests.map((r) => r.path.split('/').pop())).toEqual([
      'sendMessage',
      'sendPhoto',
      'sendPhoto',
    ]);
    // The message's id stays that of its first Telegram message.
    expect(result).toEqual({ externalId: '424242001:70' });
  });

  it('a group chat id (negative, 13 digits) is sent as given and read back from the answer', async () => {
    const api = await scripted(() => ok(9, -1001234567890));
    const { adapter, make } = send(api, [{ type: 'text', text: 'Fixed ✅' }], {
      telegramChatId: -1001234567890,
    });
    expect(await adapter.send(make(1))).toEqual({ externalId: '-1001234567890:9' });
    expect(api.requests[0]?.json).toEqual({ chat_id: '-1001234567890', text: 'Fixed ✅' });
  });
});

describe('slack: media links', () => {
  it('a media URL with | and > in it stays one link', async () => {
    const api = await scripted(() => ({ json: { ok: true, channel: 'C0SHARED', ts: '1767225600.000200' } }));
    const adapter = slack({
      signingSecret: 'secret',
      botToken: 'xoxb-1-test',
      apiBaseUrl: api.url,
      delivery: fastDelivery(),
    });
    const url = 'https://maps.example.com/static?markers=color:red|label:S|40.7,-73.9&size=600x300&q=a>b';
    await adapter.send(
      outboundDelivery({
        channel: 'slack',
        channelKind: 'slack',
        to: { kind: 'slack', value: 'T0CUST:U0CUSTANN' },
        parts: [{ type: 'media', url, caption: 'Map | pickup <here>' }],
        meta: { slackChannel: 'C0SHARED' },
      }),
    );
    const { text } = (api.requests[0]?.json ?? {}) as { text?: string };
    // One `<url|label>` token: the URL holds no `|`, `<` or `>` that Slack would read as syntax.
    expect(text).toBe(
      '<https://maps.example.com/static?markers=color:red%7Clabel:S%7C40.7,-73.9&size=600x300&q=a%3Eb|Map / pickup &lt;here&gt;>',
    );
  });
});

describe('meta: what Graph cannot carry is refused, never dropped', () => {
  async function whatsapp() {
    const graph = await startGraph('EAAG-wa-token', 'whatsapp');
    closers.push(() => graph.close());
    const adapter = whatsappCloud({
      appSecret: 's',
      verifyToken: 'v',
      accessToken: 'EAAG-wa-token',
      phoneNumberId: '106540352242922',
      apiBaseUrl: graph.url,
      delivery: fastDelivery(),
    });
    const send = (parts: Part[]) =>
      adapter.send(graphDelivery('whatsapp', parts, { kind: 'whatsapp', value: '+447700900123' }));
    return { graph, send };
  }

  async function messaging(kind: 'messenger' | 'instagram') {
    const graph = await startGraph('EAAP-page-token', 'messaging');
    closers.push(() => graph.close());
    const make = kind === 'messenger' ? messenger : instagram;
    const adapter = make({
      appSecret: 's',
      verifyToken: 'v',
      pageAccessToken: 'EAAP-page-token',
      apiBaseUrl: graph.url,
      delivery: fastDelivery(),
    });
    const send = (parts: Part[]) =>
      adapter.send(graphDelivery(kind, parts, { kind, value: '6823451098734521' }));
    return { graph, send };
  }

  it('whatsapp: a caption on audio is refused before any call', async () => {
    const { graph, send } = await whatsapp();
    await expect(
      send([
        { type: 'media', url: 'https://cdn.example.com/note.ogg', mimeType: 'audio/ogg', caption: 'Listen' },
      ]),
    ).rejects.toMatchObject({ name: 'DeliveryError', retryable: false });
    expect(graph.requests).toHaveLength(0);
  });

  it('whatsapp: template parameters lose the newlines, tabs and long space runs Graph refuses (132018)', async () => {
    const { graph, send } = await whatsapp();
    await send([
      {
        type: 'template',
        name: 'order_update',
        language: 'en_GB',
        params: ['Maya\nO’Brien', 'Line 1\r\n\r\nLine 2\tend', 'a     b', '<b> & "q"  ok', 'עברית 🎉'],
      },
    ]);
    const body = graph.requests[0]?.body as {
      template: { components: { parameters: { text: string }[] }[] };
    };
    expect(body.template.components[0]?.parameters.map((p) => p.text)).toEqual([
      'Maya O’Brien',
      'Line 1 Line 2 end',
      'a b',
      '<b> & "q"  ok',
      'עברית 🎉',
    ]);
  });

  it.each(['messenger', 'instagram'] as const)(
    '%s: a captioned attachment is refused before any call',
    async (kind) => {
      const { graph, send } = await messaging(kind);
      await expect(
        send([{ type: 'media', url: 'https://cdn.example.com/receipt.png', caption: 'Your receipt' }]),
      ).rejects.toMatchObject({ name: 'DeliveryError', retryable: false });
      expect(graph.requests).toHaveLength(0);
    },
  );

  it('instagram: the text limit is 1000 UTF-8 bytes, not 1000 UTF-16 units', async () => {
    const { graph, send } = await messaging('instagram');
    await expect(send([{ type: 'text', text: 'я'.repeat(501) }])).rejects.toThrow(/1000 bytes/);
    expect(graph.requests).toHaveLength(0);
    await send([{ type: 'text', text: 'я'.repeat(500) }]);
    expect(graph.requests).toHaveLength(1);
  });
});

describe('twilio: text that needs encoding', () => {
  it('sends &, =, +, newlines, emoji and RTL text form-encoded and intact', async () => {
    const api = await startTwilioApi(ACCOUNT_SID, AUTH_TOKEN);
    closers.push(() => api.close());
    const adapter = twilioWhatsApp({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      from: '+14155550100',
      apiBaseUrl: api.url,
      delivery: fastDelivery(),
    });
    const text = 'a&b=c+d %20\n\nשלום 👋🏽 <x>';
    await adapter.send(
      outboundDelivery({
        channel: 'twilio-whatsapp',
        channelKind: 'whatsapp',
        to: { kind: 'whatsapp', value: '+971501234567' },
        parts: [
          { type: 'text', text },
          { type: 'media', url: 'https://cdn.example.com/ünï/café.jpg?sig=a+b&x=1' },
        ],
      }),
    );
    expect(api.requests[0]?.form).toEqual([
      ['To', 'whatsapp:+971501234567'],
      ['From', 'whatsapp:+14155550100'],
      ['MediaUrl', 'https://cdn.example.com/ünï/café.jpg?sig=a+b&x=1'],
      ['Body', text],
    ]);
  });
});
