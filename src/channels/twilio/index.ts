import type { ChannelAdapter, ChannelCapabilities, RawRequest, WebhookReply } from '../../core/channel.js';
import { PolicyError } from '../../model/errors.js';
import type { InboundEvent } from '../../model/inbound.js';
import { readTwilioFields } from './fields.js';
import { isIncomingMessage, parseMessagingFields } from './parse.js';
import { type ResolvedTwilioOptions, resolveOptions, type TwilioOptions } from './schema.js';
import { createMessageSender, TWILIO_MAX_BODY } from './send.js';
import { verifyTwilioRequest } from './verify.js';
import { parseVoiceFields } from './voice.js';

export type { TwilioOptions } from './schema.js';
export { signedUrlCandidates, twilioSignature, verifyTwilioRequest } from './verify.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Every webhook's answer by default: 204 No Content, "received, nothing to say back". TwiML-free,
 * so Twilio has no markup to parse, and the cheapest answer a Fetch runtime can build.
 */
const noContent: WebhookReply = { status: 204 };
/** Empty TwiML for an incoming message, when the adapter is built with `emptyTwiml: true`. */
const emptyTwiml: WebhookReply = {
  status: 200,
  body: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
  contentType: 'text/xml',
};

function twimlAcknowledge(raw: RawRequest, events: InboundEvent[]): WebhookReply {
  if (events.some((event) => event.type === 'message')) return emptyTwiml;
  try {
    return isIncomingMessage(readTwilioFields('Twilio webhook', raw).body) ? emptyTwiml : noContent;
  } catch {
    return noContent;
  }
}

const quietAcknowledge = (): WebhookReply => noContent;

function messagingAdapter(
  options: ResolvedTwilioOptions,
  kind: 'sms' | 'whatsapp',
  capabilities: ChannelCapabilities,
): ChannelAdapter {
  const context = { channel: options.id, kind };
  return {
    id: options.id,
    kind,
    capabilities,
    verify: (raw) => verifyTwilioRequest(options.id, options.authToken, raw, options.publicUrl),
    parse: (raw) => parseMessagingFields(context, readTwilioFields('Twilio messaging webhook', raw).body),
    acknowledge: options.emptyTwiml ? twimlAcknowledge : quietAcknowledge,
    send: createMessageSender(options, kind, capabilities),
  };
}

/**
 * A Twilio Programmable Messaging SMS/MMS channel (kind `sms`, default id `twilio-sms`).
 * Inbound messages become text and media parts from a verified `phone` identity; status
 * callbacks move outbound messages to sent/delivered/failed; replies go out through the
 * Messages API with the delivery's idempotency key.
 *
 * @param options `accountSid`, `authToken`, and `from` (our number) or `messagingServiceSid`;
 * optional `id`, `statusCallbackUrl`, `apiBaseUrl` (default `https://api.twilio.com`),
 * `delivery` (timeouts, retries), `publicUrl` (the URL Twilio signs, behind a proxy).
 * @throws ValidationError naming the option when an option is missing or malformed.
 * @example
 * twilioSms({ accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN, from: '+14155550100' })
 */
export function twilioSms(options: TwilioOptions): ChannelAdapter {
  const resolved = resolveOptions('twilioSms', options, { id: 'twilio-sms', needsSender: true });
  return messagingAdapter(resolved, 'sms', {
    parts: ['text', 'media'],
    maxTextLength: TWILIO_MAX_BODY,
    recipientKinds: ['phone'],
  });
}

/**
 * A Twilio WhatsApp sender (kind `whatsapp`, default id `twilio-whatsapp`). Addresses are
 * `whatsapp:+E164` on the wire. Inbound text, media and shared locations, with the WhatsApp
 * profile name as display name; replies carry text, media, a location, or a Content template
 * (`template` part: name = Content SID `HX...`, params = `{{1}}`, `{{2}}`...). Free-form replies
 * are allowed for 24 hours after the customer's last message (`replyWindowMs`), templates always.
 *
 * @param options as {@link twilioSms}; `from` is our WhatsApp number, with or without `whatsapp:`.
 * @throws ValidationError naming the option when an option is missing or malformed.
 */
export function twilioWhatsApp(options: TwilioOptions): ChannelAdapter {
  const resolved = resolveOptions('twilioWhatsApp', options, { id: 'twilio-whatsapp', needsSender: true });
  return messagingAdapter(resolved, 'whatsapp', {
    parts: ['text', 'media', 'location', 'template'],
    replyWindowMs: DAY_MS,
    templates: true,
    maxTextLength: TWILIO_MAX_BODY,
    recipientKinds: ['whatsapp', 'phone'],
  });
}

/**
 * Twilio Voice call records (kind `voice`, default id `twilio-voice`): point a number's call
 * status callback, `recordingStatusCallback` and `transcribeCallback` here and each finished call,
 * recording and transcription becomes a message with a `call` part on the customer's timeline.
 * It does not answer calls (keep your Voice URL on your own TwiML) and cannot send: a call
 * cannot carry a text reply, so `send` throws a PolicyError and the desk falls back if configured.
 *
 * @param options `accountSid` and `authToken` (signature key); `from` is not needed.
 * @throws ValidationError naming the option when an option is missing or malformed.
 */
export function twilioVoice(options: TwilioOptions): ChannelAdapter {
  const resolved = resolveOptions('twilioVoice', options, { id: 'twilio-voice', needsSender: false });
  const context = { channel: resolved.id, kind: 'voice' as const };
  return {
    id: resolved.id,
    kind: 'voice',
    capabilities: { parts: [], recipientKinds: ['phone'] },
    verify: (raw) => verifyTwilioRequest(resolved.id, resolved.authToken, raw, resolved.publicUrl),
    parse: (raw) => {
      const fields = readTwilioFields('Twilio voice callback', raw);
      return parseVoiceFields(context, fields.body, fields.query);
    },
    acknowledge: quietAcknowledge,
    send: async () => {
      throw new PolicyError(
        `${resolved.id}: a voice call cannot carry a text reply; reply on another channel`,
      );
    },
  };
}
