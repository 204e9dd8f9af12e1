import * as z from 'zod';
import { NotFoundError, PolicyError } from '../model/errors.js';
import type { DeskEvent } from '../model/events.js';
import type { Identity } from '../model/identity.js';
import { Part } from '../model/parts.js';
import {
  Author,
  type ChannelKind,
  type Conversation,
  type Customer,
  channelKinds,
  Json,
  type Message,
} from '../model/records.js';
import { keyOf } from './identity.js';
import {
  commitAndEmit,
  iso,
  makeEvent,
  parseInput,
  type Runtime,
  resolveCustomer,
  withConflictRetry,
} from './runtime.js';
import type { WriteBatch } from './store.js';
import type { ReplyInput } from './types.js';

const ReplySchema = z
  .object({
    parts: z.array(Part).min(1).max(100).optional(),
    text: z.string().min(1).max(65_536).optional(),
    /** An agent, a bot or the system: the customer writes inbound messages, never replies. */
    author: Author.refine((author) => author.type !== 'customer', {
      message: 'a reply is written by an agent, a bot or the system, not the customer',
      path: ['type'],
    }).optional(),
    channel: z.string().min(1).optional(),
    fallback: z.array(z.string().min(1)).max(10).optional(),
    direction: z.enum(['outbound', 'internal']).optional(),
    meta: z.record(z.string(), Json).optional(),
  })
  .refine((input) => input.parts !== undefined || input.text !== undefined, {
    message: 'either parts or text is required',
    path: ['parts'],
  })
  .refine((input) => input.parts === undefined || input.text === undefined, {
    message: 'give parts or text, not both',
    path: ['text'],
  });

const knownKinds: ReadonlySet<string> = new Set(channelKinds);

/** Whom a channel kind addresses when no adapter declares it (a desk without channels). */
const defaultRecipientKinds: Partial<Record<ChannelKind, Identity['kind'][]>> = {
  sms: ['phone'],
  voice: ['phone'],
  whatsapp: ['whatsapp', 'phone'],
  email: ['email'],
  messenger: ['messenger'],
  instagram: ['instagram'],
  telegram: ['telegram'],
  slack: ['slack'],
  webchat: ['webchat'],
};

/** A channel the reply may go out on, with its recipient. */
interface Route {
  channel: string;
  kind: ChannelKind;
  to: Identity | undefined;
}

/** Phone numbers serve SMS, voice and WhatsApp alike: a `whatsapp` identity is a phone and vice versa. */
const sameNumber: Partial<Record<Identity['kind'], Identity['kind']>> = {
  phone: 'whatsapp',
  whatsapp: 'phone',
};

/**
 * The customer's identity a channel can address: exact kinds before same-number kinds, then the one
 * seen on that channel, then the freshest.
 */
function recipientFor(
  customer: Customer,
  channel: string,
  kinds: readonly Identity['kind'][],
): Identity | undefined {
  const rank = (identity: Identity) => {
    const exact = kinds.indexOf(identity.kind);
    if (exact >= 0) return exact;
    const alias = sameNumber[identity.kind];
    return alias && kinds.includes(alias) ? kinds.length : -1;
  };
  const usable = customer.identities.filter((identity) => rank(identity) >= 0);
  usable.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      Number(b.source === channel) - Number(a.source === channel) ||
      (b.lastSeenAt > a.lastSeenAt ? 1 : b.lastSeenAt < a.lastSeenAt ? -1 : 0),
  );
  return usable[0];
}

/** Checks one channel against its adapter's declared rules; returns the route or the reason it refuses. */
function route(
  rt: Runtime,
  channel: string,
  parts: Part[],
  conversation: Conversation,
  customer: Customer,
  now: number,
): Route | string {
  const adapter = rt.channels.get(channel);
  if (!adapter) {
    if (rt.channels.size > 0) return `no adapter is registered for channel "${channel}"`;
    const kind = (knownKinds.has(channel) ? channel : 'api') as ChannelKind;
    return { channel, kind, to: recipientFor(customer, channel, defaultRecipientKinds[kind] ?? []) };
  }
  const { capabilities } = adapter;
  const unsupported = parts.find((part) => !capabilities.parts.includes(part.type));
  if (unsupported) return `channel "${channel}" cannot send ${unsupported.type} parts`;
  const max = capabilities.maxTextLength;
  const long =
    max === undefined ? undefined : parts.find((part) => part.type === 'text' && part.text.length > max);
  if (long?.type === 'text')
    return `channel "${channel}" accepts at most ${max} characters of text; this reply has ${long.text.length}`;
  const to = recipientFor(customer, channel, capabilities.recipientKinds);
  if (!to)
    return `the customer has no ${capabilities.recipientKinds.join('/') || 'addressable'} identity for channel "${channel}"`;
  if (capabilities.replyWindowMs !== undefined && !parts.every((part) => part.type === 'template')) {
    const last = conversation.lastInboundAtMs[channel];
    if (last === undefined || now - last > capabilities.replyWindowMs) {
      const hours = Math.round(capabilities.replyWindowMs / 3_600_000);
      return `channel "${channel}" allows free-form replies only within ${hours} h of the customer's last message; send a template`;
    }
  }
  return { channel, kind: adapter.kind, to };
}

/**
 * The channels to try in order: the first, then its fallbacks, each once, so a failure is never
 * retried on a channel that already failed (the message's own, or a repeat).
 */
function chainFor(rt: Runtime, input: z.output<typeof ReplySchema>, conversation: Conversation): string[] {
  const first = input.channel ?? conversation.lastInboundChannel ?? conversation.lastChannel;
  if (!first) throw new PolicyError(`conversation ${conversation.id} has no channel yet; pass one`);
  const kind = rt.channels.get(first)?.kind;
  const rest =
    input.fallback ?? rt.settings.fallback[first] ?? (kind ? rt.settings.fallback[kind] : undefined) ?? [];
  return [...new Set([first, ...rest])];
}

/**
 * The rest of a failed message's fallback chain (`meta.fallback`), each channel once and without
 * the one that failed: a chain stored by an older release, or a host's `meta`, may repeat them.
 */
function restOfChain(failed: Message): string[] {
  const stored = failed.meta?.fallback;
  if (!Array.isArray(stored)) return [];
  const rest = new Set<string>();
  for (const channel of stored)
    if (typeof channel === 'string' && channel !== failed.channel) rest.add(channel);
  return [...rest];
}

/** Picks the first channel of the chain that accepts the reply; a PolicyError lists every refusal. */
export function pickRoute(
  rt: Runtime,
  chain: string[],
  parts: Part[],
  conversation: Conversation,
  customer: Customer,
  now: number,
): { route: Route; rest: string[] } {
  const refusals: string[] = [];
  for (let i = 0; i < chain.length; i++) {
    const result = route(rt, chain[i]!, parts, conversation, customer, now);
    if (typeof result !== 'string') return { route: result, rest: chain.slice(i + 1) };
    refusals.push(result);
  }
  throw new PolicyError(refusals.join('; '));
}

/** Builds the outbound (or internal-note) message record. */
export function outboundMessage(
  rt: Runtime,
  conversation: Conversation,
  parts: Part[],
  author: Author,
  chosen: Route,
  direction: 'outbound' | 'internal',
  now: number,
  meta: Message['meta'],
): Message {
  const message: Message = {
    id: rt.newId(),
    conversationId: conversation.id,
    customerId: conversation.customerId,
    brandId: conversation.brandId,
    channel: chosen.channel,
    channelKind: chosen.kind,
    direction,
    author,
    parts,
    status: direction === 'internal' ? 'sent' : 'queued',
    createdAt: iso(now),
    at: now,
    version: 1,
  };
  if (chosen.to) message.to = keyOf(chosen.to);
  if (meta && Object.keys(meta).length > 0) message.meta = meta;
  return message;
}

/**
 * The writes that queue a copy of a failed outbound message on the next channel of its fallback
 * chain that accepts it (none when the chain is empty or every channel refuses). Used when a send
 * fails for good and when a provider reports the message `failed` later.
 */
export async function fallbackFor(rt: Runtime, failed: Message): Promise<WriteBatch> {
  const chain = restOfChain(failed);
  if (chain.length === 0) return {};
  const conversation = await rt.store.getConversation(failed.conversationId);
  if (!conversation) return {};
  const customer = await resolveCustomer(rt, failed.customerId);
  const now = rt.clock();
  let picked: ReturnType<typeof pickRoute>;
  try {
    picked = pickRoute(rt, chain, failed.parts, conversation, customer, now);
  } catch {
    return {};
  }
  const meta: Message['meta'] = { fallbackOf: failed.id };
  if (picked.rest.length > 0) meta.fallback = picked.rest;
  const copy = outboundMessage(
    rt,
    conversation,
    failed.parts,
    failed.author,
    picked.route,
    'outbound',
    now,
    meta,
  );
  return {
    conversations: [{ record: withOutbound(conversation, copy, now), expectedVersion: conversation.version }],
    messages: [{ record: copy, expectedVersion: null }],
    outbox: [{ messageId: copy.id, channel: copy.channel, attempts: 0, notBefore: now }],
    events: [makeEvent(rt, 'message.queued', copy.brandId, { message: copy }, now)],
  };
}

/** The conversation after an agent's message: touched, counted, first response stamped. */
export function withOutbound(conversation: Conversation, message: Message, now: number): Conversation {
  const touches = message.direction === 'outbound' && !conversation.channels.includes(message.channel);
  const next: Conversation = {
    ...conversation,
    // An internal note is on no channel: it never enters `channels`.
    channels: touches ? [...conversation.channels, message.channel] : conversation.channels,
    messageCount: conversation.messageCount + 1,
    lastMessageAt: message.createdAt,
    lastMessageAtMs: message.at,
    updatedAt: iso(now),
    version: conversation.version + 1,
  };
  if (message.direction === 'outbound') next.lastChannel = message.channel;
  if (
    message.direction === 'outbound' &&
    next.firstResponseAt === undefined &&
    message.author.type !== 'system'
  )
    next.firstResponseAt = iso(now);
  return next;
}

/**
 * `desk.reply`: stores an outbound message as `queued` in the outbox (delivery follows), on the
 * requested channel, or the customer's latest inbound channel, or the first of the fallback chain
 * whose rules allow it. Internal notes are stored and never sent.
 */
export async function reply(rt: Runtime, conversationId: string, raw: ReplyInput): Promise<Message> {
  const input = parseInput(ReplySchema, raw, 'reply');
  const parts = input.parts ?? [{ type: 'text' as const, text: input.text! }];
  const author = input.author ?? { type: 'agent' as const };
  const direction = input.direction ?? 'outbound';
  return withConflictRetry(async () => {
    const conversation = await rt.store.getConversation(conversationId);
    if (!conversation) throw new NotFoundError(`conversation ${conversationId} not found`);
    const customer = await resolveCustomer(rt, conversation.customerId);
    const now = rt.clock();
    const chain =
      direction === 'internal' ? [input.channel ?? 'internal'] : chainFor(rt, input, conversation);
    const picked =
      direction === 'internal'
        ? { route: { channel: chain[0]!, kind: 'api' as ChannelKind, to: undefined }, rest: [] }
        : pickRoute(rt, chain, parts, conversation, customer, now);
    const meta: Record<string, Json> = { ...input.meta };
    // The chain is the desk's to keep: a `fallback` key of the host's meta is not a chain.
    if (picked.rest.length > 0) meta.fallback = picked.rest;
    else delete meta.fallback;
    const message = outboundMessage(rt, conversation, parts, author, picked.route, direction, now, meta);
    const updated = withOutbound(conversation, message, now);
    const events: DeskEvent[] = [
      makeEvent(
        rt,
        direction === 'internal' ? 'message.sent' : 'message.queued',
        conversation.brandId,
        { message },
        now,
      ),
    ];
    if (
      direction === 'outbound' &&
      conversation.lastChannel !== undefined &&
      conversation.lastChannel !== message.channel
    ) {
      events.push(
        makeEvent(
          rt,
          'conversation.channel_switched',
          conversation.brandId,
          {
            conversationId: conversation.id,
            customerId: customer.id,
            from: conversation.lastChannel,
            to: message.channel,
            messageId: message.id,
          },
          now,
        ),
      );
    }
    await commitAndEmit(rt, {
      conversations: [{ record: updated, expectedVersion: conversation.version }],
      messages: [{ record: message, expectedVersion: null }],
      outbox:
        direction === 'outbound'
          ? [{ messageId: message.id, channel: message.channel, attempts: 0, notBefore: now }]
          : [],
      events,
    });
    return message;
  });
}
