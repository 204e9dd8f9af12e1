import type { Identity } from '../model/identity.js';
import type { InboundEvent } from '../model/inbound.js';
import type { PartType } from '../model/parts.js';
import type { ChannelKind, Conversation, Customer, Json, Message } from '../model/records.js';

/** A webhook request as adapters see it: method, full URL, lowercased headers, raw body. */
export interface RawRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The body exactly as received: signatures are computed over these bytes. */
  body: string;
}

/** What to answer the provider, when an adapter wants a specific answer. */
export interface WebhookReply {
  status: number;
  body?: string;
  contentType?: string;
}

/** What a channel can carry and the rules it imposes, declared by the adapter. */
export interface ChannelCapabilities {
  /** Part types the channel can send. */
  parts: readonly PartType[];
  /**
   * A free-form reply is allowed only this long after the customer's latest inbound message on
   * this channel (WhatsApp, Messenger: 24 h). Outside it, only template parts may be sent.
   */
  replyWindowMs?: number;
  /** The channel sends pre-approved templates (`template` parts). */
  templates?: boolean;
  /**
   * Longest text the provider accepts in one message. `desk.reply` refuses a longer text part on
   * this channel by policy (and follows the fallback chain), before anything is queued.
   */
  maxTextLength?: number;
  /** Identity kinds this channel can address a customer by, in order of preference. */
  recipientKinds: readonly Identity['kind'][];
}

/** Everything an adapter needs to send one outbound message. */
export interface OutboundDelivery {
  message: Message;
  conversation: Conversation;
  customer: Customer;
  /** The customer's identity to send to. */
  to: Identity;
  /** A key that stays the same across retries of this message (send it as the provider's idempotency key). */
  idempotencyKey: string;
  /** Which attempt this is, from 1. */
  attempt: number;
  /** For email: the provider ids of the thread (In-Reply-To is the last). */
  thread?: { inReplyTo?: string; references: string[]; subject?: string };
  /** The customer's latest inbound message on this channel in this conversation (a thread or chat to answer in). */
  lastInbound?: Message;
  signal?: AbortSignal;
}

/** The provider's answer to a send. */
export interface SendResult {
  /** The provider's id of the sent message: status callbacks refer to it. */
  externalId: string;
  /** Status right after the send; default `sent`. */
  status?: 'sent' | 'delivered';
  /** Provider details worth keeping on the message (the provider's own id when `externalId` is ours). */
  meta?: Record<string, Json>;
}

/**
 * A channel adapter: a plain object made by a factory (`twilioSms({...})`). The desk routes
 * webhooks to it by `id` and sends through it.
 */
export interface ChannelAdapter {
  /** Unique id within a desk; configurable so a host can register two numbers or brands. */
  readonly id: string;
  readonly kind: ChannelKind;
  readonly capabilities: ChannelCapabilities;
  /**
   * Lowercase media types its webhooks use; the webhook handler answers 415 to others.
   * Default: JSON, urlencoded and multipart.
   */
  readonly contentTypes?: readonly string[];
  /** Largest webhook body it needs, in bytes (inbound email with attachments); overrides the handler's limit. */
  readonly maxBodyBytes?: number;
  /**
   * Answers a provider's handshake before any verification (Meta's `hub.challenge` GET).
   * Returns undefined when the request is not a handshake.
   */
  handshake?(raw: RawRequest): WebhookReply | undefined | Promise<WebhookReply | undefined>;
  /** Verifies the provider's signature over the raw request; throws `SignatureError` if it fails. */
  verify(raw: RawRequest): Promise<void>;
  /** Turns a verified webhook into events; throws `ValidationError` naming the field when malformed. */
  parse(raw: RawRequest): Promise<InboundEvent[]> | InboundEvent[];
  /** The success answer the provider expects (default 200 with an empty body). */
  acknowledge?(raw: RawRequest, events: InboundEvent[]): WebhookReply;
  /** Sends one outbound message; throws `DeliveryError` (retryable or not) on failure. */
  send(delivery: OutboundDelivery): Promise<SendResult>;
}
