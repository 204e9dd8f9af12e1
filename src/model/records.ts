import * as z from 'zod';
import { Identity } from './identity.js';
import { Part } from './parts.js';

/** Known channel kinds. A channel id that equals one of these has that kind. */
export const channelKinds = [
  'webchat',
  'email',
  'sms',
  'whatsapp',
  'messenger',
  'instagram',
  'telegram',
  'voice',
  'webform',
  'slack',
  'api',
] as const;
/** The kind of a channel: what sort of conversation it carries. */
export const ChannelKind = z.enum(channelKinds);
export type ChannelKind = z.infer<typeof ChannelKind>;

/** A JSON value (traits, meta). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/** Deeper than this is refused: it also ends a walk into a cyclic structure. */
const MAX_JSON_DEPTH = 64;

/** A plain object (not an array, a Date, a class instance...). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Whether a value is plain JSON: finite numbers, strings, booleans, null, arrays, plain objects. */
function isJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_JSON_DEPTH) return false;
      if (Array.isArray(value)) return value.every((item) => isJson(item, depth + 1));
      if (!isPlainObject(value)) return false;
      for (const key in value) if (!isJson(value[key], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

/**
 * Schema of a JSON value, checked by one walk rather than a recursive zod schema: zod parses a
 * recursive schema with cycle tracking on every object it visits, and cannot compile it.
 */
export const Json: z.ZodType<Json> = z
  .custom<Json>((value) => isJson(value, 0), 'not a JSON value')
  .transform((value) => (typeof value === 'object' && value !== null ? structuredClone(value) : value));

/**
 * Schema of a JSON object (traits, meta): a copy whose object values are copies too, as {@link Json}
 * makes them. One walk with an issue per bad value at its key, where a zod record of `Json` ran
 * zod's machinery for every key: about 40% of the time an email's inbound message took to parse.
 */
export const JsonRecord: z.ZodType<Record<string, Json>, Record<string, Json>> = z
  .custom<Record<string, Json>>(isPlainObject, 'expected an object')
  .superRefine((value, ctx) => {
    for (const key of Object.keys(value)) {
      if (!isJson(value[key], 1)) ctx.addIssue({ code: 'custom', path: [key], message: 'not a JSON value' });
    }
  })
  .transform((value) => {
    const copy = { ...value } as Record<string, Json>;
    for (const key of Object.keys(copy)) {
      const item = copy[key];
      if (typeof item === 'object' && item !== null) copy[key] = structuredClone(item);
    }
    return copy;
  });

const iso = z.string().min(1);
const ms = z.number();

/** A customer: one person, however many channels they use. */
export const Customer = z.object({
  id: z.string(),
  brandId: z.string(),
  displayName: z.string().optional(),
  traits: JsonRecord,
  identities: z.array(Identity),
  createdAt: iso,
  updatedAt: iso,
  /** Set on the losing side of a merge: the id of the customer it was merged into. */
  mergedInto: z.string().optional(),
  version: z.number().int(),
});
export type Customer = z.infer<typeof Customer>;

/** Conversation statuses. */
export const conversationStatuses = ['open', 'pending', 'snoozed', 'resolved', 'closed'] as const;
/** Where a conversation stands. `open`, `pending` and `snoozed` are active. */
export const ConversationStatus = z.enum(conversationStatuses);
export type ConversationStatus = z.infer<typeof ConversationStatus>;
/** A conversation's priority. */
export const Priority = z.enum(['low', 'normal', 'high', 'urgent']);
/** A conversation's priority. */
export type Priority = z.infer<typeof Priority>;

/** A conversation: one thread of one customer, across any number of channels. */
export const Conversation = z.object({
  id: z.string(),
  brandId: z.string(),
  customerId: z.string(),
  status: ConversationStatus,
  subject: z.string().optional(),
  priority: Priority,
  assigneeId: z.string().optional(),
  teamId: z.string().optional(),
  tags: z.array(z.string()),
  /** Channel ids this conversation has touched, in first-use order. */
  channels: z.array(z.string()),
  lastChannel: z.string().optional(),
  /** Channel of the customer's latest inbound message: the default reply channel. */
  lastInboundChannel: z.string().optional(),
  /** Epoch ms of the customer's latest inbound message per channel (reply windows, last contact). */
  lastInboundAtMs: z.record(z.string(), ms),
  messageCount: z.number().int().nonnegative(),
  createdAt: iso,
  updatedAt: iso,
  lastMessageAt: iso.optional(),
  lastMessageAtMs: ms.optional(),
  firstResponseAt: iso.optional(),
  resolvedAt: iso.optional(),
  resolvedAtMs: ms.optional(),
  snoozedUntil: iso.optional(),
  version: z.number().int(),
});
export type Conversation = z.infer<typeof Conversation>;

/** `inbound` from the customer, `outbound` to them, `internal` an agent note never sent. */
export const Direction = z.enum(['inbound', 'outbound', 'internal']);
/** A message's direction. */
export type Direction = z.infer<typeof Direction>;
/** Message statuses, in delivery order (`failed` last). */
export const messageStatuses = ['received', 'queued', 'sent', 'delivered', 'read', 'failed'] as const;
/** Where a message stands: `received` (inbound), `queued`, `sent`, `delivered`, `read` or `failed`. */
export const MessageStatus = z.enum(messageStatuses);
/** A message's status. */
export type MessageStatus = z.infer<typeof MessageStatus>;
/** Who wrote a message: the customer, an agent, a bot or the system, with an optional id and name. */
export const Author = z.object({
  type: z.enum(['customer', 'agent', 'bot', 'system']),
  id: z.string().max(256).optional(),
  name: z.string().max(256).optional(),
});
/** A message's author. */
export type Author = z.infer<typeof Author>;

/** One message on one channel, in one conversation. */
export const Message = z.object({
  id: z.string(),
  conversationId: z.string(),
  customerId: z.string(),
  brandId: z.string(),
  channel: z.string(),
  channelKind: ChannelKind,
  direction: Direction,
  author: Author,
  parts: z.array(Part).min(1),
  /** The provider's id of this message, unique per channel: the dedupe key. */
  externalId: z.string().optional(),
  /** The provider id (e.g. email Message-ID) of the message this one answers. */
  replyTo: z.string().optional(),
  status: MessageStatus,
  /** Recipient of an outbound message, as `kind:value` of one of the customer's identities. */
  to: z.string().optional(),
  error: z.object({ code: z.string().optional(), message: z.string() }).optional(),
  createdAt: iso,
  /** Epoch ms of `createdAt`: the numeric sort key. */
  at: ms,
  meta: JsonRecord.optional(),
  version: z.number().int(),
});
export type Message = z.infer<typeof Message>;

/** The record of a merge, kept so that `unmerge` can undo it exactly. */
export const MergeRecord = z.object({
  id: z.string(),
  brandId: z.string(),
  keptId: z.string(),
  mergedId: z.string(),
  reason: z.enum(['api', 'identify', 'login']),
  at: iso,
  movedConversationIds: z.array(z.string()),
  movedIdentities: z.array(Identity),
  /** The kept customer before the merge (traits, displayName, identities), for exact undo. */
  keptBefore: z.object({
    traits: JsonRecord,
    displayName: z.string().optional(),
    identities: z.array(Identity),
  }),
  /** Trait keys where both had a value: which side won (always the kept side) and what was dropped. */
  traitConflicts: z.array(
    z.object({ key: z.string(), winner: z.enum(['kept', 'merged']), kept: Json, merged: Json }),
  ),
  /** Trait keys filled on the kept customer from the merged one. */
  filledTraits: z.array(z.string()),
  undoneAt: iso.optional(),
  version: z.number().int(),
});
export type MergeRecord = z.infer<typeof MergeRecord>;
