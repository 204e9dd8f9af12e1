import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twilioSms, twilioVoice, twilioWhatsApp } from '../../../src/channels/twilio/index.js';
import { createWebhookHandler } from '../../../src/http/index.js';
import { createDesk } from '../../../src/index.js';
import { ACCOUNT_SID, AUTH_TOKEN, fixture, signedRequest } from './helpers.js';
import { startTwilioApi } from './twilio-server.js';

const BASE = 'https://support.example.com/webhooks';

async function post(handler: (request: Request) => Promise<Response>, channel: string, body: string) {
  const raw = await signedRequest(body, `${BASE}/${channel}`);
  return handler(new Request(raw.url, { method: 'POST', headers: raw.headers, body: raw.body }));
}

let api: Awaited<ReturnType<typeof startTwilioApi>>;
beforeAll(async () => {
  api = await startTwilioApi(ACCOUNT_SID, AUTH_TOKEN);
});
afterAll(() => api.close());

describe('Twilio adapters inside a desk', () => {
  it('webhook in, duplicate ignored, call recorded, reply falls back to SMS, status callback applied', async () => {
    const common = {
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      apiBaseUrl: api.url,
      delivery: { retries: 0 },
    };
    const desk = createDesk({
      channels: [
        twilioSms({ ...common, from: '+14155550100', statusCallbackUrl: `${BASE}/twilio-sms` }),
        twilioWhatsApp({ ...common, from: '+14155550100' }),
        twilioVoice(common),
      ],
      outbox: { autoStart: false },
      fallback: { voice: ['twilio-sms'] },
      // Just after the call fixture's Timestamp: the SMS and the call arrive together, call last.
      clock: () => Date.parse('2026-11-25T08:31:08Z'),
    });
    const handler = createWebhookHandler(desk);

    const first = await post(handler, 'twilio-sms', fixture('sms_inbound.txt'));
    expect(first.status).toBe(204);
    expect(first.headers.get('content-type')).toBeNull();
    expect(await first.text()).toBe('');
    expect((await post(handler, 'twilio-sms', fixture('sms_inbound.txt'))).status).toBe(204);

    const voiceCall = await post(handler, 'twilio-voice', fixture('voice_status_completed.txt'));
    expect(voiceCall.status).toBe(204);

    const [conversation] = (await desk.conversations.list()).items;
    expect(conversation).toBeDefined();
    const messages = [];
    for await (const message of desk.conversations.messages(conversation!.id)) messages.push(message);
    expect(messages.map((m) => [m.channel, m.externalId]).sort()).toEqual([
      ['twilio-sms', `SM${'1a'.repeat(16)}`],
      ['twilio-voice', `CA${'a3'.repeat(16)}`],
    ]);

    // The call is the latest inbound message; voice cannot carry text, so the reply falls back to SMS.
    expect((await desk.conversations.get(conversation!.id)).lastInboundChannel).toBe('twilio-voice');
    const reply = await desk.reply(conversation!.id, { text: 'On its way!' });
    expect(reply.channel).toBe('twilio-sms');
    await desk.outbox.flush();
    const sent = api.requests.at(-1);
    expect(sent?.form).toEqual([
      ['To', '+14155550123'],
      ['From', '+14155550100'],
      ['Body', 'On its way!'],
      ['StatusCallback', `${BASE}/twilio-sms`],
    ]);
    expect(sent?.idempotencyToken).toBeTruthy();

    const sid = `SM${String(api.requests.length).padStart(32, '0')}`;
    const status = `MessageSid=${sid}&MessageStatus=delivered&To=%2B14155550123&From=%2B14155550100`;
    expect((await post(handler, 'twilio-sms', status)).status).toBe(204);
    const updated = [];
    for await (const message of desk.conversations.messages(conversation!.id)) updated.push(message);
    expect(updated.find((m) => m.id === reply.id)).toMatchObject({ externalId: sid, status: 'delivered' });
    await desk.close();
  });
});
