import * as z from 'zod';
import { IdentityInput } from './identity.js';
import { Part } from './parts.js';
import { Author, ChannelKind, JsonRecord, MessageStatus } from './records.js';

/**
 * A channel-agnostic inbound message, as a host or a channel adapter feeds it to `desk.receive`.
 * Give `parts`, or `text` as a shorthand for one text part.
 */
export const InboundMessage = z
  .object({
    /** Channel id (an adapter id such as `twilio-sms`, or a kind such as `sms`). */
    channel: z.string().min(1).max(128),
    /** The channel's kind; inferred when `channel` is itself a kind. */
    channelKind: ChannelKind.optional(),
    /** Who sent it: the identity the conversation continues on. */
    from: IdentityInput,
    /** More identities the message proves or claims (a web form's email and phone fields). */
    identities: z.array(IdentityInput).max(20).optional(),
    /** Display name the channel reports (WhatsApp profile name, email From name). */
    displayName: z.string().max(256).optional(),
    parts: z.array(Part).min(1).max(100).optional(),
    text: z.string().min(1).max(65_536).optional(),
    /** The provider's message id: the dedupe key per channel. */
    externalId: z.string().min(1).max(1024).optional(),
    /** Provider id of the message this answers (email In-Reply-To). */
    replyTo: z.string().min(1).max(1024).optional(),
    /** Further thread ids (email References), newest last. */
    references: z.array(z.string().max(1024)).max(100).optional(),
    subject: z.string().max(1024).optional(),
    /**
     * A conversation this message names (a `reply+<conversationId>@` address, a web-chat session).
     * It is joined when it belongs to the same customer and is not closed; otherwise ignored.
     */
    conversationId: z.string().min(1).max(128).optional(),
    author: Author.optional(),
    /** When the provider says it was sent: ISO string or epoch ms. Defaults to now. */
    createdAt: z.union([z.string().min(1), z.number()]).optional(),
    brand: z.string().min(1).max(128).optional(),
    meta: JsonRecord.optional(),
  })
  .refine((m) => m.parts !== undefined || m.text !== undefined, {
    message: 'either parts or text is required',
    path: ['parts'],
  });
export type InboundMessage = z.input<typeof InboundMessage>;
/** An inbound message after parsing: defaults applied, shapes checked. */
export type ParsedInboundMessage = z.output<typeof InboundMessage>;

/** A delivery status update for an outbound message, by the provider's message id. */
export const StatusUpdate = z.object({
  channel: z.string().min(1),
  externalId: z.string().min(1),
  status: MessageStatus.exclude(['received', 'queued']),
  error: z.object({ code: z.string().optional(), message: z.string() }).optional(),
  /** When the provider says it happened (ISO or epoch ms). */
  at: z.union([z.string(), z.number()]).optional(),
});
export type StatusUpdate = z.input<typeof StatusUpdate>;
/** A status update after parsing. */
export type ParsedStatusUpdate = z.output<typeof StatusUpdate>;

/**
 * An item of a batched webhook that the adapter could not read (a malformed message in a Meta
 * delivery of several), reported instead of refusing the whole delivery. `desk.ingest` logs it
 * as a warning and stores nothing for it.
 */
export interface SkippedItem {
  type: 'skipped';
  /** What was wrong with the item, e.g. `Invalid WhatsApp message: text.body: Invalid input: …`. */
  reason: string;
  /** Path of the first offending field inside the payload, e.g. `entry[0].changes[0].value.messages[1].text.body`. */
  field?: string;
}

/**
 * What a channel adapter's `parse` yields from one webhook: messages, status updates,
 * echoes of our own outbound messages (matched to the stored message, never stored anew), and
 * items of a batch that could not be read ({@link SkippedItem}: logged, never stored).
 */
export type InboundEvent =
  | { type: 'message'; message: InboundMessage }
  | { type: 'status'; status: StatusUpdate }
  | { type: 'echo'; channel: string; externalId: string; idempotencyKey?: string }
  | SkippedItem;
