import { afterEach, describe, expect, it } from 'vitest';
import { postmarkInbound } from '../../src/channels/email/index.js';
import { slack } from '../../src/channels/slack/index.js';
import { telegram } from '../../src/channels/telegram/index.js';
import { twilioSms, twilioWhatsApp } from '../../src/channels/twilio/index.js';
import type { ChannelAdapter } from '../../src/core/channel.js';
import type { IdentityInput } from '../../src/model/identity.js';
import type { Part } from '../../src/model/parts.js';
import { testDesk } from '../core/helpers.js';
import { fastDelivery, outboundDelivery } from './adapter-kit.js';
import { type RecordedRequest, type ScriptedResponse, startScriptedApi } from './scripted-api-server.js';
import { ACCOUNT_SID, AUTH_TOKEN } from './twilio/helpers.js';

// Providers' size limits on outbound messages. Each fake API below refuses what the real one
// refuses (400 with the provider's own error), so a send that ignores a limit fails the message.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function serve(respond: (request: RecordedRequest, index: number) => ScriptedResponse) {
  const api = await startScriptedApi(respond);
  closers.push(() => api.close());
  return api;
}

/** Sends `parts` straight through `adapter` (no desk) to `to`, on a channel whose id is its kind. */
function sendVia(adapter: ChannelAdapter, channel: 'telegram' | 'slack', to: IdentityInput) {
  return (parts: Part[]) => adapter.send(outboundDelivery({ channel, channelKind: channel, to, parts }));
}

/** A desk with one adapter, a conversation opened by `from`, and a settable clock. */
async function deskWith(adapter: ChannelAdapter, from: IdentityInput) {
  const t = testDesk({ channels: [adapter], outbox: { autoStart: false, retryBaseMs: 1 } });
  const { conversation } = await t.desk.receive({
    channel: adapter.id,
    from,
    text: 'hello',
    externalId: 'in-1',
  });
  return { ...t, conversation };
}

describe('telegram: captions longer than 1024 characters', () => {
  const token = '6000000001:AAE-test_token';
  const chat = 424242001;
  const method = (request: RecordedRequest) => request.path.split('/').pop()!;
  const badRequest = (description: string): ScriptedResponse => ({
    status: 400,
    json: { ok: false, error_code: 400, description },
  });

  /** The Bot API's answers: its caption and text limits, 500 at the indexes in `failAt`. */
  async function botApi(failAt: number[] = []) {
    return serve((request, index) => {
      const body = request.json as { caption?: string; text?: string };
      if (failAt.includes(index))
        return { status: 500, json: { ok: false, error_code: 500, description: 'Internal Server Error' } };
      if ((body.caption?.length ?? 0) > 1024) return badRequest('Bad Request: message caption is too long');
      if ((body.text?.length ?? 0) > 4096) return badRequest('Bad Request: message is too long');
      return {
        json: { ok: true, result: { message_id: 100 + index, date: 1767225600, chat: { id: chat } } },
      };
    });
  }

  function adapterAt(url: string) {
    return telegram({
      botToken: token,
      secretToken: 'secret',
      apiBaseUrl: url,
      delivery: { ...fastDelivery(), retries: 0 },
    });
  }

  /** The customer's own Telegram account: their private chat. */
  const customer: IdentityInput = { kind: 'telegram', value: String(chat), verified: true };

  const caption = 'Your return label. Print it, tape it to the box, and drop it at any post office. '
    .repeat(19)
    .slice(0, 1500);

  it('a photo with a 1500-character caption is sent without it, then the caption as a message', async () => {
    const api = await botApi();
    const { desk, conversation } = await deskWith(adapterAt(api.url), customer);
    const reply = await desk.reply(conversation.id, {
      parts: [{ type: 'media', url: 'https://cdn.example.com/label.png', caption }],
    });
    await desk.outbox.flush();

    expect(api.requests.map((r) => [r.method, method(r), r.json])).toEqual([
      ['POST', 'sendPhoto', { chat_id: String(chat), photo: 'https://cdn.example.com/label.png' }],
      ['POST', 'sendMessage', { chat_id: String(chat), text: caption }],
    ]);
    expect(await desk.store.getMessage(reply.id)).toMatchObject({
      status: 'sent',
      externalId: `${chat}:100`,
    });
    await desk.close();
  });

  it('a failure of the caption message is retried without sending the photo again', async () => {
    const api = await botApi([1]);
    const { desk, conversation, advance } = await deskWith(adapterAt(api.url), customer);
    const reply = await desk.reply(conversation.id, {
      parts: [{ type: 'media', url: 'https://cdn.example.com/label.png', caption }],
    });
    await desk.outbox.flush();
    expect(await desk.store.getMessage(reply.id)).toMatchObject({ status: 'queued' });
    advance(60_000);
    await desk.outbox.flush();

    expect(api.requests.map((r) => [method(r), r.json])).toEqual([
      ['sendPhoto', { chat_id: String(chat), photo: 'https://cdn.example.com/label.png' }],
      ['sendMessage', { chat_id: String(chat), text: caption }],
      ['sendMessage', { chat_id: String(chat), text: caption }],
    ]);
    // The message keeps the id of its first Telegram message, the photo.
    expect(await desk.store.getMessage(reply.id)).toMatchObject({
      status: 'sent',
      externalId: `${chat}:100`,
    });
    await desk.close();
  });

  it('a caption of exactly 1024 characters stays on the file; a document with 1025 is split', async () => {
    const api = await botApi();
    const adapter = adapterAt(api.url);
    const send = sendVia(adapter, 'telegram', { kind: 'telegram', value: String(chat) });
    await send([{ type: 'media', url: 'https://cdn.example.com/a.jpg', caption: 'a'.repeat(1024) }]);
    await send([
      {
        type: 'media',
        url: 'https://cdn.example.com/invoice.pdf',
        mimeType: 'application/pdf',
        caption: 'b'.repeat(1025),
      },
      { type: 'text', text: 'Anything else?' },
    ]);
    expect(api.requests.map((r) => [method(r), r.json])).toEqual([
      [
        'sendPhoto',
        { chat_id: String(chat), photo: 'https://cdn.example.com/a.jpg', caption: 'a'.repeat(1024) },
      ],
      ['sendDocument', { chat_id: String(chat), document: 'https://cdn.example.com/invoice.pdf' }],
      ['sendMessage', { chat_id: String(chat), text: 'b'.repeat(1025) }],
      ['sendMessage', { chat_id: String(chat), text: 'Anything else?' }],
    ]);
  });

  it('a caption longer than a message (4096) fails the message before anything is sent', async () => {
    const api = await botApi();
    const { desk, conversation } = await deskWith(adapterAt(api.url), customer);
    const reply = await desk.reply(conversation.id, {
      parts: [{ type: 'media', url: 'https://cdn.example.com/label.png', caption: 'c'.repeat(4097) }],
    });
    await desk.outbox.flush();
    expect(api.requests).toHaveLength(0);
    const failed = await desk.store.getMessage(reply.id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'DELIVERY' } });
    expect(failed?.error?.message).toMatch(/4097 characters; Telegram accepts at most 4096/);
    await desk.close();
  });
});

describe('twilio: media count and template parameters', () => {
  const twilioError = (code: number, message: string): ScriptedResponse => ({
    status: 400,
    json: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status: 400 },
  });

  /** The Messages endpoint with Twilio's limits: 10 MediaUrl, 1600-character Body and variables. */
  async function messagesApi() {
    return serve((request, index) => {
      const form = new URLSearchParams(request.body);
      if (form.getAll('MediaUrl').length > 10)
        return twilioError(21623, 'Number of media files exceeds allowed limit');
      if ((form.get('Body') ?? '').length > 1600)
        return twilioError(21617, 'The concatenated message body exceeds the 1600 character limit');
      const variables = Object.values(JSON.parse(form.get('ContentVariables') ?? '{}') as object);
      if (variables.some((value) => String(value).length > 1600))
        return twilioError(21658, 'Parameter exceeded character limit');
      return { status: 201, json: { sid: `SM${String(index + 1).padStart(32, '0')}`, status: 'queued' } };
    });
  }

  const common = (url: string) => ({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    from: '+14155550100',
    apiBaseUrl: url,
    delivery: fastDelivery(),
  });
  const media = (n: number): Part[] =>
    Array.from({ length: n }, (_, i) => ({
      type: 'media',
      url: `https://cdn.example.com/photo-${i + 1}.jpg`,
    }));

  it('an MMS carries 10 media; 11 fail the message before any request', async () => {
    const api = await messagesApi();
    const { desk, conversation } = await deskWith(twilioSms(common(api.url)), {
      kind: 'phone',
      value: '+14155550123',
      verified: true,
    });
    const ten = await desk.reply(conversation.id, { parts: media(10) });
    await desk.outbox.flush();
    expect(api.requests).toHaveLength(1);
    const form = new URLSearchParams(api.requests[0]!.body);
    expect(form.getAll('MediaUrl')).toEqual(media(10).map((part) => (part as { url: string }).url));
    expect(await desk.store.getMessage(ten.id)).toMatchObject({ status: 'sent' });

    const eleven = await desk.reply(conversation.id, { parts: media(11) });
    await desk.outbox.flush();
    expect(api.requests).toHaveLength(1);
    const failed = await desk.store.getMessage(eleven.id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'POLICY' } });
    expect(failed?.error?.message).toMatch(/11 media parts; a sms message carries at most 10/);
    await desk.close();
  });

  it('a WhatsApp message with two media fails before any request (Twilio would drop the second)', async () => {
    const api = await messagesApi();
    const { desk, conversation } = await deskWith(twilioWhatsApp(common(api.url)), {
      kind: 'whatsapp',
      value: '+971501234567',
      verified: true,
    });
    const reply = await desk.reply(conversation.id, {
      parts: [{ type: 'text', text: 'Both invoices attached' }, ...media(2)],
    });
    await desk.outbox.flush();
    expect(api.requests).toHaveLength(0);
    const failed = await desk.store.getMessage(reply.id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'POLICY' } });
    expect(failed?.error?.message).toMatch(/2 media parts; a whatsapp message carries at most 1/);

    const one = await desk.reply(conversation.id, {
      parts: [{ type: 'text', text: 'Your invoice' }, ...media(1)],
    });
    await desk.outbox.flush();
    expect([...new URLSearchParams(api.requests[0]!.body)]).toEqual([
      ['To', 'whatsapp:+971501234567'],
      ['From', 'whatsapp:+14155550100'],
      ['MediaUrl', 'https://cdn.example.com/photo-1.jpg'],
      ['Body', 'Your invoice'],
    ]);
    expect(await desk.store.getMessage(one.id)).toMatchObject({ status: 'sent' });
    await desk.close();
  });

  it('a template parameter over 1600 characters is refused before any request', async () => {
    const api = await messagesApi();
    const adapter = twilioWhatsApp(common(api.url));
    const send = (param: string) =>
      adapter.send(
        outboundDelivery({
          channel: 'twilio-whatsapp',
          channelKind: 'whatsapp',
          to: { kind: 'whatsapp', value: '+971501234567' },
          parts: [{ type: 'template', name: 'HX0123', language: 'en', params: ['Ana', param] }],
        }),
      );
    await expect(send('p'.repeat(1601))).rejects.toMatchObject({
      name: 'PolicyError',
      message: expect.stringMatching(/template parameter is 1601 characters; Twilio accepts 1600/),
    });
    expect(api.requests).toHaveLength(0);
    await expect(send('p'.repeat(1600))).resolves.toEqual({ externalId: `SM${'1'.padStart(32, '0')}` });
    expect(api.requests).toHaveLength(1);
  });
});

describe('slack: text longer than 40,000 characters once escaped', () => {
  async function slackApi() {
    return serve((request) =>
      request.path === '/conversations.open'
        ? { json: { ok: true, channel: { id: 'D0ANNDM' } } }
        : { json: { ok: true, channel: 'D0ANNDM', ts: '1767226600.001200' } },
    );
  }
  const adapterAt = (url: string) =>
    slack({ signingSecret: 'secret', botToken: 'xoxb-1-test', apiBaseUrl: url, delivery: fastDelivery() });

  it('a text the desk accepts but escaping makes too long fails before any call', async () => {
    const api = await slackApi();
    const { desk, conversation } = await deskWith(adapterAt(api.url), {
      kind: 'slack',
      value: 'T0CUST:U0CUSTANN',
      verified: true,
    });
    // 39,990 characters: within capabilities.maxTextLength, but each `&` is sent as `&amp;`.
    const text = 'Terms & conditions apply. '.repeat(1540).slice(0, 39_990);
    const reply = await desk.reply(conversation.id, { text });
    await desk.outbox.flush();
    expect(api.requests).toHaveLength(0);
    const failed = await desk.store.getMessage(reply.id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'DELIVERY' } });
    expect(failed?.error?.message).toMatch(/once escaped; Slack keeps at most 40000/);
    await desk.close();
  });

  it('parts joined past the limit are refused; a text of exactly 40,000 characters is posted', async () => {
    const api = await slackApi();
    const adapter = adapterAt(api.url);
    const send = sendVia(adapter, 'slack', { kind: 'slack', value: 'T0CUST:U0CUSTANN' });
    await expect(
      send([
        { type: 'text', text: 'x'.repeat(25_000) },
        { type: 'text', text: 'y'.repeat(25_000) },
      ]),
    ).rejects.toMatchObject({ name: 'DeliveryError', retryable: false });
    expect(api.requests).toHaveLength(0);

    await send([{ type: 'text', text: 'z'.repeat(40_000) }]);
    expect(api.requests.map((r) => [r.path, (r.json as { text?: string }).text?.length])).toEqual([
      ['/conversations.open', undefined],
      ['/chat.postMessage', 40_000],
    ]);
  });
});

describe('postmark: a TextBody over 5 MB', () => {
  it('is refused before the request; a large body under the limit is sent', async () => {
    const api = await serve(() => ({ json: { ErrorCode: 0, Message: 'OK', MessageID: 'pm-1' } }));
    const adapter = postmarkInbound({
      serverToken: 'pm-token',
      from: { address: 'support@example.com' },
      baseUrl: api.url,
      ...fastDelivery(),
    });
    const send = (count: number) =>
      adapter.send(
        outboundDelivery({
          channel: 'postmark',
          channelKind: 'email',
          to: { kind: 'email', value: 'ana.souza@example.org' },
          parts: Array.from({ length: count }, (_, i) => ({
            type: 'text',
            text: String(i % 10).repeat(60_000),
          })),
        }),
      );
    // 84 parts of 60,000 characters and their blank lines: 5,040,166 bytes.
    await expect(send(84)).rejects.toMatchObject({
      name: 'DeliveryError',
      retryable: false,
      message: expect.stringMatching(/5040166 bytes; Postmark accepts a TextBody of at most 5 MB/),
    });
    expect(api.requests).toHaveLength(0);
    await send(83);
    expect(api.requests).toHaveLength(1);
    expect((api.requests[0]!.json as { TextBody: string }).TextBody).toHaveLength(83 * 60_000 + 82 * 2);
  });
});
