import type { ChannelAdapter, ChannelCapabilities, RawRequest } from '../../core/channel.js';
import {
  DEFAULT_GRAPH_BASE_URL,
  DEFAULT_GRAPH_VERSION,
  type MessagingOptions,
  type MetaCommonOptions,
  validateOptions,
  type WhatsAppCloudOptions,
} from './options.js';
import { type MessagingKind, parseMessagingWebhook } from './parse-messaging.js';
import { parseWhatsAppWebhook } from './parse-whatsapp.js';
import { MESSAGING_MAX_TEXT, messagingSender } from './send-messaging.js';
import { WHATSAPP_MAX_TEXT, whatsappSender } from './send-whatsapp.js';
import { answerHandshake, verifyHubSignature } from './verify.js';

export type { MessagingOptions, MetaCommonOptions, WhatsAppCloudOptions } from './options.js';
export { DEFAULT_GRAPH_BASE_URL, DEFAULT_GRAPH_VERSION } from './options.js';
export type { MessagingKind } from './parse-messaging.js';
export { MESSAGE_TAGS } from './send-messaging.js';

const DAY_MS = 24 * 60 * 60 * 1000;

function webhookMethods(id: string, options: MetaCommonOptions) {
  return {
    handshake: (raw: RawRequest) => answerHandshake(raw, options.verifyToken),
    verify: (raw: RawRequest) => verifyHubSignature(id, raw, options.appSecret),
  };
}

function graphTarget(id: string, options: MetaCommonOptions, token: string) {
  return {
    channel: id,
    baseUrl: options.apiBaseUrl ?? DEFAULT_GRAPH_BASE_URL,
    version: options.apiVersion ?? DEFAULT_GRAPH_VERSION,
    token,
    delivery: options.delivery,
  };
}

/**
 * The WhatsApp Cloud API channel (kind `whatsapp`, default id `whatsapp`).
 *
 * Answers the `hub.challenge` handshake, verifies `X-Hub-Signature-256`, parses `messages`
 * webhooks (messages and statuses) and sends through `POST /{version}/{phoneNumberId}/messages`.
 * Free-form replies are allowed for 24 hours after the customer's latest message; after that
 * only `template` parts (pre-approved templates) can be sent.
 *
 * @example
 * ```ts
 * whatsappCloud({ appSecret, verifyToken, accessToken, phoneNumberId: '1234567890' })
 * ```
 * @throws ValidationError at construction when an option is missing or malformed.
 */
export function whatsappCloud(options: WhatsAppCloudOptions): ChannelAdapter {
  const valid = validateOptions('whatsappCloud', options);
  const id = valid.id ?? 'whatsapp';
  const capabilities: ChannelCapabilities = {
    parts: ['text', 'media', 'location', 'contact', 'template', 'reaction'],
    replyWindowMs: DAY_MS,
    templates: true,
    maxTextLength: WHATSAPP_MAX_TEXT,
    recipientKinds: ['whatsapp', 'phone'],
  };
  return {
    id,
    kind: 'whatsapp',
    capabilities,
    ...webhookMethods(id, valid),
    parse: (raw) => parseWhatsAppWebhook(id, raw.body),
    send: whatsappSender(graphTarget(id, valid, valid.accessToken), valid.phoneNumberId),
  };
}

function messagingAdapter(kind: MessagingKind, options: MessagingOptions): ChannelAdapter {
  const valid = validateOptions(kind, options);
  const id = valid.id ?? kind;
  const capabilities: ChannelCapabilities = {
    parts: ['text', 'media', 'template'],
    replyWindowMs: DAY_MS,
    templates: true,
    maxTextLength: MESSAGING_MAX_TEXT[kind],
    recipientKinds: [kind],
  };
  return {
    id,
    kind,
    capabilities,
    ...webhookMethods(id, valid),
    parse: (raw) => parseMessagingWebhook(id, kind, raw.body),
    send: messagingSender(graphTarget(id, valid, valid.pageAccessToken), kind, valid.pageId),
  };
}

/**
 * The Facebook Messenger channel (kind `messenger`, default id `messenger`).
 *
 * Parses `page` webhooks (messages, postbacks, reactions, deliveries, echoes) and sends through
 * `POST /{version}/me/messages` (or `/{pageId}/messages`) with the Page access token. Outside
 * the 24-hour window a message is sent only when it carries a `template` part naming a message
 * tag ({@link MESSAGE_TAGS}, e.g. `HUMAN_AGENT`): it goes out as `messaging_type: MESSAGE_TAG`.
 *
 * @throws ValidationError at construction when an option is missing or malformed.
 */
export function messenger(options: MessagingOptions): ChannelAdapter {
  return messagingAdapter('messenger', options);
}

/**
 * The Instagram Messaging channel (kind `instagram`, default id `instagram`): the Messenger
 * Platform for Instagram professional accounts. Same webhook and send shapes as
 * {@link messenger}, with `object: instagram`, story mentions, `like_heart` and unsent
 * messages; the only message tag is `HUMAN_AGENT`.
 *
 * @throws ValidationError at construction when an option is missing or malformed.
 */
export function instagram(options: MessagingOptions): ChannelAdapter {
  return messagingAdapter('instagram', options);
}
