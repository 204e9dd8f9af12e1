import type { ChannelCapabilities, OutboundDelivery, SendResult } from '../../core/channel.js';
import { DeliveryError, PolicyError } from '../../model/errors.js';
import type { Part } from '../../model/parts.js';
import { createProviderClient, deliver } from '../shared/provider-client.js';
import { addressOf } from './address.js';
import { type ResolvedTwilioOptions, TwilioErrorBody, TwilioMessageResource } from './schema.js';

/**
 * Longest `Body` Twilio accepts for one message, and longest value of a Content template variable:
 * 1600 characters (errors 21617 and 21658). Twilio splits an SMS into segments itself.
 */
export const TWILIO_MAX_BODY = 1600;

/**
 * Most `MediaUrl`s of one message: 10 on SMS/MMS (error 21623, "Number of media files exceeds
 * allowed limit"), 1 on WhatsApp, where Twilio silently drops every attachment after the first
 * (Twilio support, "Sending and Receiving Media with WhatsApp Messaging on Twilio").
 */
const TWILIO_MAX_MEDIA = { sms: 10, whatsapp: 1 } as const;

type MessagingKind = 'sms' | 'whatsapp';

/** Extracts Twilio's error code and message (with its `more_info` link) from an error body. */
export function describeTwilioError(body: unknown): { code?: string; message?: string } {
  const parsed = TwilioErrorBody.safeParse(body);
  if (!parsed.success) return {};
  const { code, message, more_info: moreInfo } = parsed.data;
  const described: { code?: string; message?: string } = {};
  if (code !== undefined) described.code = String(code);
  if (message !== undefined) described.message = moreInfo ? `${message} (${moreInfo})` : message;
  return described;
}

/** Variables of a Content template: `params[0]` is `{{1}}`, and so on. */
function contentVariables(params: readonly string[]): string {
  return JSON.stringify(Object.fromEntries(params.map((value, index) => [String(index + 1), value])));
}

function addPart(
  form: URLSearchParams,
  texts: string[],
  part: Part,
  channel: string,
  kind: MessagingKind,
): void {
  if (part.type === 'text') texts.push(part.text);
  else if (part.type === 'media') {
    form.append('MediaUrl', part.url);
    if (part.caption) texts.push(part.caption);
  } else if (part.type === 'location' && kind === 'whatsapp') {
    const label = part.name ?? part.address;
    form.append('PersistentAction', `geo:${part.latitude},${part.longitude}${label ? `|${label}` : ''}`);
    if (label) texts.push(label);
  } else if (part.type === 'template' && kind === 'whatsapp') {
    form.set('ContentSid', part.name);
    if (part.params?.length) form.set('ContentVariables', contentVariables(part.params));
  } else {
    throw new PolicyError(`${channel}: a ${kind} message cannot carry a ${part.type} part`);
  }
}

/**
 * Refuses, before any request, a message Twilio would refuse (or silently cut): a Body over 1600
 * characters, more media than one message carries, a template variable over 1600 characters.
 */
function assertWithinLimits(
  channel: string,
  kind: MessagingKind,
  parts: readonly Part[],
  body: string,
): void {
  if (body.length > TWILIO_MAX_BODY) {
    throw new PolicyError(
      `${channel}: the text is ${body.length} characters; Twilio accepts ${TWILIO_MAX_BODY}`,
    );
  }
  const media = parts.filter((part) => part.type === 'media').length;
  if (media > TWILIO_MAX_MEDIA[kind]) {
    throw new PolicyError(
      `${channel}: the message has ${media} media parts; a ${kind} message carries at most ${TWILIO_MAX_MEDIA[kind]}`,
    );
  }
  const params = parts.flatMap((part) => (part.type === 'template' ? (part.params ?? []) : []));
  const long = params.find((value) => value.length > TWILIO_MAX_BODY);
  if (long !== undefined) {
    throw new PolicyError(
      `${channel}: a template parameter is ${long.length} characters; Twilio accepts ${TWILIO_MAX_BODY}`,
    );
  }
}

/**
 * Builds the form of `POST /Messages.json` for one delivery: To, From (or MessagingServiceSid),
 * Body (text parts and media captions joined by a blank line), MediaUrl per media part,
 * PersistentAction `geo:lat,lon|label` per WhatsApp location, ContentSid + ContentVariables for a
 * WhatsApp template (template name = Content SID, params = `{{1}}`, `{{2}}`...), StatusCallback.
 * @throws PolicyError for a recipient or part the channel cannot carry, a Body or template
 * parameter over 1600 characters, or more media parts than one message carries (SMS/MMS 10,
 * WhatsApp 1).
 */
export function messageForm(
  options: ResolvedTwilioOptions,
  kind: MessagingKind,
  capabilities: ChannelCapabilities,
  delivery: OutboundDelivery,
): URLSearchParams {
  const channel = options.id;
  if (!capabilities.recipientKinds.includes(delivery.to.kind)) {
    throw new PolicyError(`${channel}: cannot send to a ${delivery.to.kind} identity`);
  }
  const { parts } = delivery.message;
  if (parts.some((part) => part.type === 'template') && parts.length > 1) {
    throw new PolicyError(`${channel}: a template message cannot carry other parts`);
  }
  const form = new URLSearchParams({ To: addressOf(kind, delivery.to.value) });
  if (options.messagingServiceSid) form.set('MessagingServiceSid', options.messagingServiceSid);
  else form.set('From', addressOf(kind, options.from ?? ''));
  const texts: string[] = [];
  for (const part of parts) addPart(form, texts, part, channel, kind);
  const body = texts.join('\n\n');
  assertWithinLimits(channel, kind, parts, body);
  if (body) form.set('Body', body);
  if (options.statusCallbackUrl) form.set('StatusCallback', options.statusCallbackUrl);
  return form;
}

/**
 * Makes the `send` of a messaging adapter: `POST {apiBaseUrl}/2010-04-01/Accounts/{AccountSid}/Messages.json`,
 * form-encoded, HTTP basic auth (AccountSid:AuthToken), `I-Twilio-Idempotency-Token` set to the
 * delivery's idempotency key; retries 429/5xx/network errors per `options.delivery`.
 * Resolves to `{ externalId: sid }`.
 * @throws PolicyError (see {@link messageForm}); DeliveryError carrying Twilio's code (`providerCode`), HTTP status and `retryable`.
 */
export function createMessageSender(
  options: ResolvedTwilioOptions,
  kind: MessagingKind,
  capabilities: ChannelCapabilities,
): (delivery: OutboundDelivery) => Promise<SendResult> {
  const client = createProviderClient({
    ...options.delivery,
    baseUrl: options.apiBaseUrl,
    channel: options.id,
    headers: { authorization: `Basic ${btoa(`${options.accountSid}:${options.authToken}`)}` },
  });
  const path = `2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
  return async (delivery) => {
    const body = messageForm(options, kind, capabilities, delivery);
    const resource = await deliver(
      options.id,
      () =>
        client
          .post(path, {
            body,
            headers: { 'i-twilio-idempotency-token': delivery.idempotencyKey },
            ...(delivery.signal ? { signal: delivery.signal } : {}),
          })
          .json(),
      describeTwilioError,
    );
    const parsed = TwilioMessageResource.safeParse(resource);
    if (!parsed.success) {
      throw new DeliveryError(`${options.id}: Twilio answered without a message sid`, {
        retryable: false,
        cause: parsed.error,
      });
    }
    return { externalId: parsed.data.sid };
  };
}
