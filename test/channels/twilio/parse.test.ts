import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { twilioSms, twilioWhatsApp } from '../../../src/channels/twilio/index.js';
import { ValidationError } from '../../../src/model/errors.js';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  fixture,
  unsignedRequest as form,
  sharedSamples,
  signedRequest,
} from './helpers.js';

const options = { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+14155550100' };
const sms = twilioSms(options);
const whatsapp = twilioWhatsApp(options);
const media = (sid: string, me: string) =>
  `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${sid}/Media/${me}`;

describe('incoming messages', () => {
  it('an SMS becomes a text message from a verified phone identity', async () => {
    const raw = await signedRequest(fixture('sms_inbound.txt'));
    await sms.verify(raw);
    expect(await sms.parse(raw)).toEqual([
      {
        type: 'message',
        message: {
          channel: 'twilio-sms',
          channelKind: 'sms',
          from: { kind: 'phone', value: '+14155550123', verified: true },
          parts: [
            { type: 'text', text: "Hi! My order #1042 hasn't arrived & I need it by Friday + tracking?" },
          ],
          externalId: `SM${'1a'.repeat(16)}`,
          meta: { to: '+14155550100', accountSid: ACCOUNT_SID },
        },
      },
    ]);
  });

  it('an MMS with two media becomes a text part and two media parts in order', async () => {
    const sid = `MM${'2b'.repeat(16)}`;
    const [event] = await sms.parse(await signedRequest(fixture('mms_inbound_two_media.txt')));
    expect(event?.type === 'message' && event.message.parts).toEqual([
      { type: 'text', text: 'Here is the damaged box' },
      { type: 'media', url: media(sid, `ME${'3c'.repeat(16)}`), mimeType: 'image/jpeg' },
      { type: 'media', url: media(sid, `ME${'4d'.repeat(16)}`), mimeType: 'video/mp4' },
    ]);
  });

  it('a WhatsApp text carries the profile name and a verified whatsapp identity', async () => {
    const events = await whatsapp.parse(form(fixture('whatsapp_text.txt')));
    expect(events).toEqual([
      {
        type: 'message',
        message: {
          channel: 'twilio-whatsapp',
          channelKind: 'whatsapp',
          from: { kind: 'whatsapp', value: '+5511987654321', verified: true },
          displayName: 'Ana Souza',
          parts: [{ type: 'text', text: 'Olá, preciso de ajuda com meu pedido 😊' }],
          externalId: `SM${'5e'.repeat(16)}`,
          meta: {
            to: 'whatsapp:+14155550100',
            accountSid: ACCOUNT_SID,
            waId: '5511987654321',
            messageType: 'text',
          },
        },
      },
    ]);
  });

  it('a WhatsApp image with an empty Body is one media part', async () => {
    const sid = `MM${'6f'.repeat(16)}`;
    const [event] = await whatsapp.parse(form(fixture('whatsapp_image.txt')));
    expect(event?.type === 'message' && event.message.parts).toEqual([
      { type: 'media', url: media(sid, `ME${'70'.repeat(16)}`), mimeType: 'image/jpeg' },
    ]);
  });

  it('a WhatsApp location is a location part with label and address', async () => {
    const [event] = await whatsapp.parse(form(fixture('whatsapp_location.txt')));
    expect(event?.type === 'message' && event.message.parts).toEqual([
      {
        type: 'location',
        latitude: -23.5613991,
        longitude: -46.6565712,
        name: 'MASP',
        address: 'Av. Paulista, 1578 - Bela Vista, São Paulo - SP',
      },
    ]);
  });

  it('a quick-reply button, a click-to-WhatsApp referral and a reply-to are kept', async () => {
    const body = new URLSearchParams({
      MessageSid: 'SM1',
      From: 'whatsapp:+5511987654321',
      To: 'whatsapp:+14155550100',
      ButtonText: 'Track my order',
      ButtonPayload: 'track',
      ReferralSourceUrl: 'https://fb.me/abc',
      ReferralHeadline: 'Spring sale',
      ReferralNumMedia: '0',
      OriginalRepliedMessageSid: 'SM0',
    }).toString();
    const [event] = await whatsapp.parse(form(body));
    expect(event).toMatchObject({
      message: {
        parts: [{ type: 'text', text: 'Track my order' }],
        replyTo: 'SM0',
        meta: {
          buttonText: 'Track my order',
          buttonPayload: 'track',
          referral: { sourceUrl: 'https://fb.me/abc', headline: 'Spring sale' },
        },
      },
    });
  });

  it('a message with nothing representable yields no event and is still acknowledged, 204 without TwiML', async () => {
    const raw = form('MessageSid=SM1&From=%2B14155550123&Body=&NumMedia=0&SmsStatus=received');
    const events = await sms.parse(raw);
    expect(events).toEqual([]);
    expect(sms.acknowledge?.(raw, events)).toEqual({ status: 204 });
  });

  it('with emptyTwiml, an incoming message is answered with empty TwiML and a status callback 204', async () => {
    const twiml = twilioSms({ ...options, emptyTwiml: true });
    const empty = {
      status: 200,
      body: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
      contentType: 'text/xml',
    };
    const nothing = form('MessageSid=SM1&From=%2B14155550123&Body=&NumMedia=0&SmsStatus=received');
    expect(twiml.acknowledge?.(nothing, await twiml.parse(nothing))).toEqual(empty);
    const message = form('MessageSid=SM2&From=%2B14155550123&Body=hi&NumMedia=0&SmsStatus=received');
    expect(twiml.acknowledge?.(message, await twiml.parse(message))).toEqual(empty);
    const status = form('MessageSid=SM3&MessageStatus=delivered');
    expect(twiml.acknowledge?.(status, await twiml.parse(status))).toEqual({ status: 204 });
    expect(() => twilioSms({ ...options, emptyTwiml: 'yes' as unknown as boolean })).toThrow(/emptyTwiml/);
  });

  it('a sender that is not an E.164 number is an unverified external identity', async () => {
    const [event] = await sms.parse(form('MessageSid=SM1&From=TWILIO&Body=hi'));
    expect(event).toMatchObject({
      message: { from: { kind: 'external', value: 'TWILIO', verified: false } },
    });
  });

  it('reads the flat JSON variant of a webhook', async () => {
    const raw = {
      ...form(JSON.stringify({ MessageSid: 'SM9', From: '+14155550123', Body: 'json', NumMedia: 0 })),
      headers: { 'content-type': 'application/json' },
    };
    expect(await sms.parse(raw)).toMatchObject([
      { message: { externalId: 'SM9', parts: [{ text: 'json' }] } },
    ]);
  });
});

describe('status callbacks', () => {
  const externalId = `SM${'92'.repeat(16)}`;

  it.each([
    ['status_sent.txt', 'sent'],
    ['status_delivered.txt', 'delivered'],
  ])('%s becomes a %s status update, acknowledged with 204', async (file, status) => {
    const raw = await signedRequest(fixture(file));
    const events = await sms.parse(raw);
    expect(events).toEqual([{ type: 'status', status: { channel: 'twilio-sms', externalId, status } }]);
    expect(sms.acknowledge?.(raw, events)).toEqual({ status: 204 });
  });

  it('undelivered with ErrorCode 30003 becomes failed with the error', async () => {
    expect(await sms.parse(form(fixture('status_undelivered_30003.txt')))).toEqual([
      {
        type: 'status',
        status: {
          channel: 'twilio-sms',
          externalId,
          status: 'failed',
          error: {
            code: '30003',
            message: 'Unreachable destination handset (https://www.twilio.com/docs/api/errors/30003)',
          },
        },
      },
    ]);
  });

  it('read (WhatsApp) becomes read', async () => {
    const events = await whatsapp.parse(form('MessageSid=SM7&MessageStatus=read&To=whatsapp%3A%2B1415'));
    expect(events).toEqual([
      { type: 'status', status: { channel: 'twilio-whatsapp', externalId: 'SM7', status: 'read' } },
    ]);
  });

  it.each(['queued', 'accepted', 'sending', 'scheduled'])(
    'interim status %s yields no event',
    async (status) => {
      const raw = form(`MessageSid=SM7&MessageStatus=${status}`);
      const events = await sms.parse(raw);
      expect(events).toEqual([]);
      expect(sms.acknowledge?.(raw, events)).toEqual({ status: 204 });
    },
  );
});

describe('malformed webhooks', () => {
  const cases: [string, string, string][] = [
    ['no MessageSid', 'From=%2B14155550123&Body=hi', 'MessageSid'],
    ['no From', 'MessageSid=SM1&Body=hi', 'From'],
    ['NumMedia not a number', 'MessageSid=SM1&From=%2B14155550123&NumMedia=two', 'NumMedia'],
    [
      'a MediaUrl missing',
      'MessageSid=SM1&From=%2B14155550123&NumMedia=2&MediaUrl0=https%3A%2F%2Fx',
      'MediaUrl1',
    ],
    ['latitude out of range', 'MessageSid=SM1&From=%2B14155550123&Latitude=91&Longitude=0', 'Latitude'],
    ['longitude missing', 'MessageSid=SM1&From=%2B14155550123&Latitude=1', 'Longitude'],
    ['a status without MessageSid', 'MessageStatus=delivered', 'MessageSid'],
  ];
  it.each(cases)('%s is a ValidationError naming the field', async (_, body, field) => {
    const error = await Promise.resolve()
      .then(() => sms.parse(form(body)))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });

  it('a JSON body that is not an object is a ValidationError', async () => {
    const raw = { ...form('[1,2]'), headers: { 'content-type': 'application/json' } };
    expect(() => sms.parse(raw)).toThrow(ValidationError);
  });
});

describe('the shared Twilio messaging samples', () => {
  it('every sample parses into valid events', async () => {
    const samples = sharedSamples('twilio-messaging');
    if (!samples) return;
    for (const file of samples.files) {
      const body = readFileSync(path.join(samples.dir, file), 'utf8');
      const adapter = file.startsWith('whatsapp') ? whatsapp : sms;
      const events = await adapter.parse(form(body));
      expect(events.length, file).toBe(1);
      expect(events[0]?.type, file).toBe(file.includes('status') ? 'status' : 'message');
    }
  });
});
