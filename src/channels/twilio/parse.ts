import { ValidationError } from '../../model/errors.js';
import type { InboundEvent, InboundMessage, StatusUpdate } from '../../model/inbound.js';
import type { Part } from '../../model/parts.js';
import type { ChannelKind, Json } from '../../model/records.js';
import { identityOf } from './address.js';
import { firstField, numberField } from './fields.js';

/** The adapter a webhook arrived on. */
export interface ParseContext {
  channel: string;
  kind: ChannelKind;
}

type Fields = Record<string, string | undefined>;

const what = 'Twilio messaging webhook';

/**
 * Twilio message statuses mapped to Threadline's; absent ones (queued, accepted, sending, ...) are
 * not reported. A Map, so that a status such as `constructor` finds nothing on Object.prototype.
 */
const statusMap = new Map<string, StatusUpdate['status']>([
  ['sent', 'sent'],
  ['delivered', 'delivered'],
  ['read', 'read'],
  ['undelivered', 'failed'],
  ['failed', 'failed'],
  ['canceled', 'failed'],
]);

/** Whether a messaging webhook is an incoming message (`received`) rather than a status callback. */
export function isIncomingMessage(fields: Fields): boolean {
  const status = fields.MessageStatus ?? fields.SmsStatus;
  return status === undefined || status === 'received';
}

function mediaParts(fields: Fields): Part[] {
  const count = numberField(what, fields, 'NumMedia', { min: 0, max: 100, integer: true }) ?? 0;
  const parts: Part[] = [];
  for (let i = 0; i < count; i++) {
    const url = fields[`MediaUrl${i}`];
    if (!url)
      throw new ValidationError(what, [
        { path: [`MediaUrl${i}`], message: `missing while NumMedia is ${count}` },
      ]);
    const mimeType = fields[`MediaContentType${i}`];
    parts.push(mimeType ? { type: 'media', url, mimeType } : { type: 'media', url });
  }
  return parts;
}

function locationPart(fields: Fields): Part | undefined {
  const latitude = numberField(what, fields, 'Latitude', { min: -90, max: 90 });
  const longitude = numberField(what, fields, 'Longitude', { min: -180, max: 180 });
  if (latitude === undefined && longitude === undefined) return undefined;
  if (latitude === undefined || longitude === undefined) {
    const missing = latitude === undefined ? 'Latitude' : 'Longitude';
    throw new ValidationError(what, [
      { path: [missing], message: 'a location needs both Latitude and Longitude' },
    ]);
  }
  const part: Part = { type: 'location', latitude, longitude };
  if (fields.Label) part.name = fields.Label;
  if (fields.Address) part.address = fields.Address;
  return part;
}

/** Body text, or the tapped quick-reply button's text when a button reply has no body. */
function textOf(fields: Fields): string | undefined {
  return firstField(fields, 'Body', 'ButtonText');
}

/** Provider details worth keeping beside the message: our number, the WhatsApp ad referral, the button payload. */
function metaOf(fields: Fields): Record<string, Json> {
  const meta: Record<string, Json> = {};
  const copy: [string, string][] = [
    ['to', 'To'],
    ['accountSid', 'AccountSid'],
    ['messagingServiceSid', 'MessagingServiceSid'],
    ['waId', 'WaId'],
    ['messageType', 'MessageType'],
    ['buttonText', 'ButtonText'],
    ['buttonPayload', 'ButtonPayload'],
  ];
  for (const [key, name] of copy) if (fields[name]) meta[key] = fields[name];
  const referral: Record<string, Json> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (!name.startsWith('Referral') || name === 'ReferralNumMedia' || !value) continue;
    const key = name.slice('Referral'.length);
    referral[key.charAt(0).toLowerCase() + key.slice(1)] = value;
  }
  if (Object.keys(referral).length > 0) meta.referral = referral;
  return meta;
}

function messageEvent(context: ParseContext, fields: Fields): InboundEvent[] {
  const externalId = firstField(fields, 'MessageSid', 'SmsMessageSid', 'SmsSid');
  if (!externalId)
    throw new ValidationError(what, [{ path: ['MessageSid'], message: 'required field is missing' }]);
  const from = fields.From;
  if (!from) throw new ValidationError(what, [{ path: ['From'], message: 'required field is missing' }]);
  const parts: Part[] = [];
  const text = textOf(fields);
  if (text) parts.push({ type: 'text', text });
  parts.push(...mediaParts(fields));
  const location = locationPart(fields);
  if (location) parts.push(location);
  // A message with nothing we can represent (an unsupported WhatsApp type) is acknowledged, not stored.
  if (parts.length === 0) return [];
  const message: InboundMessage = {
    channel: context.channel,
    channelKind: context.kind,
    from: identityOf(from),
    parts,
    externalId,
    meta: metaOf(fields),
  };
  if (fields.ProfileName) message.displayName = fields.ProfileName.slice(0, 256);
  if (fields.OriginalRepliedMessageSid) message.replyTo = fields.OriginalRepliedMessageSid;
  return [{ type: 'message', message }];
}

function statusEvent(context: ParseContext, fields: Fields): InboundEvent[] {
  const twilioStatus = fields.MessageStatus ?? fields.SmsStatus ?? '';
  const status = statusMap.get(twilioStatus);
  if (!status) return [];
  const externalId = firstField(fields, 'MessageSid', 'SmsSid');
  if (!externalId)
    throw new ValidationError(what, [{ path: ['MessageSid'], message: 'required field is missing' }]);
  const update: StatusUpdate = { channel: context.channel, externalId, status };
  const code = firstField(fields, 'ErrorCode');
  if (code || status === 'failed') {
    const message = fields.ErrorMessage || (code ? `Twilio error ${code}` : `message ${twilioStatus}`);
    update.error = code
      ? { code, message: `${message} (https://www.twilio.com/docs/api/errors/${code})` }
      : { message };
  }
  return [{ type: 'status', status: update }];
}

/**
 * Turns a Programmable Messaging webhook (SMS, MMS, WhatsApp) into events: an incoming message
 * becomes a `message` event (text, media and location parts; ProfileName as display name), a
 * status callback a `status` event (sent, delivered, read, failed). Interim statuses (queued,
 * accepted, sending, scheduled) and messages without any representable content yield no event.
 * @throws ValidationError naming the field when a required one is missing or malformed.
 */
export function parseMessagingFields(context: ParseContext, fields: Fields): InboundEvent[] {
  return isIncomingMessage(fields) ? messageEvent(context, fields) : statusEvent(context, fields);
}
