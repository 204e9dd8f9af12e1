import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { twilioSms, twilioVoice, twilioWhatsApp } from '../../../src/channels/twilio/index.js';
import type { ChannelAdapter, RawRequest } from '../../../src/core/channel.js';
import { ValidationError } from '../../../src/model/errors.js';
import { InboundMessage, StatusUpdate } from '../../../src/model/inbound.js';
import { ACCOUNT_SID, AUTH_TOKEN } from './helpers.js';

const options = { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+14155550100' };
const adapters: ChannelAdapter[] = [twilioSms(options), twilioWhatsApp(options), twilioVoice(options)];

const names = [
  'MessageSid',
  'SmsSid',
  'From',
  'To',
  'Body',
  'NumMedia',
  'MediaUrl0',
  'MediaUrl1',
  'MediaContentType0',
  'Latitude',
  'Longitude',
  'Label',
  'Address',
  'ProfileName',
  'ButtonText',
  'ReferralBody',
  'MessageStatus',
  'SmsStatus',
  'ErrorCode',
  'ErrorMessage',
  'CallSid',
  'CallStatus',
  'CallDuration',
  'Direction',
  'RecordingUrl',
  'RecordingSid',
  'RecordingStatus',
  'RecordingDuration',
  'TranscriptionText',
  'TranscriptionStatus',
  'Timestamp',
];
const values = fc.oneof(
  fc.string(),
  fc.constantFrom('', '0', '1', '2', '-1', '1e400', 'NaN', '91', '+14155550123', 'whatsapp:+5511987654321'),
  fc.constantFrom(
    'received',
    'sent',
    'delivered',
    'read',
    'failed',
    'undelivered',
    'queued',
    'completed',
    'ringing',
  ),
  fc.constantFrom('inbound', 'outbound-api', 'outbound-dial', 'client:ann', 'https://x.example/m.jpg'),
  fc.double().map(String),
);
const formBody = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...names), fc.string()), values), { maxLength: 14 })
  .map((pairs) => new URLSearchParams(pairs).toString());

function raw(body: string, contentType = 'application/x-www-form-urlencoded'): RawRequest {
  return {
    method: 'POST',
    url: 'https://support.example.com/hook?From=%2B1',
    headers: { 'content-type': contentType },
    body,
  };
}

async function parseOrValidationError(adapter: ChannelAdapter, request: RawRequest): Promise<void> {
  try {
    const events = await adapter.parse(request);
    for (const event of events) {
      if (event.type === 'message') expect(InboundMessage.safeParse(event.message).success).toBe(true);
      if (event.type === 'status') expect(StatusUpdate.safeParse(event.status).success).toBe(true);
    }
    expect(adapter.acknowledge?.(request, events).status).toBeOneOf([200, 204]);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
  }
}

describe('parse on arbitrary input', () => {
  it('arbitrary form bodies yield valid events or a ValidationError, nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(formBody, fc.constantFrom(...adapters), (body, adapter) =>
        parseOrValidationError(adapter, raw(body)),
      ),
      { numRuns: 2000 },
    );
  });

  it('arbitrary raw strings, as form or as JSON, never crash parse', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.json()),
        fc.constantFrom('application/x-www-form-urlencoded', 'application/json'),
        fc.constantFrom(...adapters),
        (body, contentType, adapter) => parseOrValidationError(adapter, raw(body, contentType)),
      ),
      { numRuns: 1000 },
    );
  });
});
