import { ValidationError } from '../model/errors.js';
import type { Changes, DeskEvent } from '../model/events.js';
import type { Identity } from '../model/identity.js';
import { InboundMessage, type ParsedInboundMessage } from '../model/inbound.js';
import type { Part } from '../model/parts.js';
import {
  type Author,
  type ChannelKind,
  type Conversation,
  type Customer,
  channelKinds,
  type Message,
} from '../model/records.js';
import { continuedConversation, namedConversation, namesConversation } from './continuity.js';
import { driveWithRetry, type Step } from './flow.js';
import {
  heldIdentity,
  identify,
  keyOf,
  normalizeParsedIdentity,
  touchIdentity,
  withoutIdentity,
} from './identity.js';
import { epochMs, iso, liveCustomer, makeEvent, parseInput, type Runtime } from './runtime.js';
import type { Put, WriteBatch } from './store.js';
import type { ReceiveResult } from './types.js';

const knownKinds: ReadonlySet<string> = new Set(channelKinds);
const CUSTOMER_AUTHOR: Author = Object.freeze({ type: 'customer' }) as Author;

function channelKindOf(rt: Runtime, inbound: ParsedInboundMessage): ChannelKind {
  const kind = inbound.channelKind ?? rt.channels.get(inbound.channel)?.kind;
  if (kind) return kind;
  if (knownKinds.has(inbound.channel)) return inbound.channel as ChannelKind;
  throw new ValidationError('inbound message', [
    {
      path: ['channelKind'],
      message: `required: channel "${inbound.channel}" is neither a known kind nor a registered adapter`,
    },
  ]);
}

/**
 * Provider times this close to now, or later than now, are taken as now: many carry whole seconds
 * (an email's Date, a call's Timestamp) or a skewed clock, and would sort a message before one
 * received a moment earlier; a time in the future (a sender's wrong clock, a forged Date header)
 * would sort it after every message yet to come. Older times are late deliveries or history
 * imports, and keep their place.
 */
const PROVIDER_TIME_TOLERANCE_MS = 5_000;

function timeOf(inbound: ParsedInboundMessage, now: number): number {
  if (inbound.createdAt === undefined) return now;
  const at = epochMs(inbound.createdAt);
  if (at === undefined) {
    throw new ValidationError('inbound message', [{ path: ['createdAt'], message: 'not a valid time' }]);
  }
  return now - at <= PROVIDER_TIME_TOLERANCE_MS ? now : at;
}

/**
 * The customer behind the sender's identity after this message, given the customer holding it
 * (`holder`), with what to write for it added to `puts` and `events`: the holder (its identity
 * refreshed) or a new customer. A verified sender never joins a customer that only *claimed* the
 * identity (a typed-in email): the claim is displaced and a merge suggested, so a self-claimed
 * address cannot take over its real owner's history.
 */
function senderOf(
  rt: Runtime,
  inbound: ParsedInboundMessage,
  brandId: string,
  from: Identity,
  holder: Customer | undefined,
  now: number,
  puts: Put<Customer>[],
  events: DeskEvent[],
): Customer {
  const displayName = inbound.displayName || undefined; // a blank name names no one
  if (holder && (heldIdentity(holder, from)!.verified || !from.verified)) {
    const identities = touchIdentity(holder, from, now);
    const named = !holder.displayName && displayName !== undefined;
    if (!identities && !named) return holder;
    const updated: Customer = {
      ...holder,
      identities: identities ?? holder.identities,
      displayName: named ? displayName : holder.displayName,
      updatedAt: iso(now),
      version: holder.version + 1,
    };
    puts.push({ record: updated, expectedVersion: holder.version });
    if (named) {
      const changes = { displayName: { from: holder.displayName, to: displayName } };
      events.push(makeEvent(rt, 'customer.updated', brandId, { customer: updated, changes }, now));
    }
    return updated;
  }
  const created: Customer = {
    id: rt.newId(),
    brandId,
    ...(displayName === undefined ? {} : { displayName }),
    traits: {},
    identities: [from],
    createdAt: iso(now),
    updatedAt: iso(now),
    version: 1,
  };
  if (holder)
    puts.push({ record: withoutIdentity(holder, keyOf(from), now), expectedVersion: holder.version });
  puts.push({ record: created, expectedVersion: null });
  events.push(makeEvent(rt, 'customer.created', brandId, { customer: created }, now));
  if (holder) {
    events.push(
      makeEvent(
        rt,
        'customer.merge_suggested',
        brandId,
        { customerId: created.id, otherCustomerId: holder.id, identity: from, reason: 'unverified' },
        now,
      ),
    );
  }
  return created;
}

function newConversation(
  rt: Runtime,
  customer: Customer,
  inbound: ParsedInboundMessage,
  now: number,
): Conversation {
  const conversation: Conversation = {
    id: rt.newId(),
    brandId: customer.brandId,
    customerId: customer.id,
    status: 'open',
    priority: 'normal',
    tags: [],
    channels: [],
    lastInboundAtMs: {},
    messageCount: 0,
    createdAt: iso(now),
    updatedAt: iso(now),
    version: 0,
  };
  if (inbound.subject) conversation.subject = inbound.subject;
  return conversation;
}

/**
 * The conversation after an inbound message on `channel` at `at`: reopened, touched, counted.
 * Every field is written out: V8 copies a spread-with-overrides of this record ~30x slower than a
 * plain literal, and this runs once per message. Absent optional fields stay `undefined`.
 */
function withInbound(c: Conversation, channel: string, at: number, now: number): Conversation {
  // A late delivery (older than what the conversation holds) keeps its place in the history but
  // moves neither the last channel nor the reply channel.
  const latest = c.lastMessageAtMs === undefined || at >= c.lastMessageAtMs;
  let latestInbound = true;
  for (const key in c.lastInboundAtMs) if (at < c.lastInboundAtMs[key]!) latestInbound = false;
  const reopen = c.status === 'resolved' || c.status === 'snoozed';
  const lastInboundAtMs = { ...c.lastInboundAtMs };
  lastInboundAtMs[channel] = Math.max(at, lastInboundAtMs[channel] ?? 0);
  return {
    id: c.id,
    brandId: c.brandId,
    customerId: c.customerId,
    status: reopen ? 'open' : c.status,
    subject: c.subject,
    priority: c.priority,
    assigneeId: c.assigneeId,
    teamId: c.teamId,
    tags: c.tags,
    channels: c.channels.includes(channel) ? c.channels : c.channels.concat([channel]), // exact size
    lastChannel: latest ? channel : c.lastChannel,
    lastInboundChannel: latestInbound ? channel : c.lastInboundChannel,
    lastInboundAtMs,
    messageCount: c.messageCount + 1,
    createdAt: c.createdAt,
    updatedAt: iso(now),
    lastMessageAt: latest ? iso(at) : c.lastMessageAt,
    lastMessageAtMs: latest ? at : c.lastMessageAtMs,
    firstResponseAt: c.firstResponseAt,
    resolvedAt: reopen ? undefined : c.resolvedAt,
    resolvedAtMs: reopen ? undefined : c.resolvedAtMs,
    snoozedUntil: reopen ? undefined : c.snoozedUntil,
    version: c.version + 1,
  };
}

/** What reopening a resolved or snoozed conversation changes (see {@link withInbound}). */
function reopened(before: Conversation): Changes<Conversation> {
  const changes: Changes<Conversation> = { status: { from: before.status, to: 'open' } };
  for (const key of ['resolvedAt', 'resolvedAtMs', 'snoozedUntil'] as const) {
    if (before[key] !== undefined)
      (changes as Record<string, unknown>)[key] = { from: before[key], to: undefined };
  }
  return changes;
}

function partsOf(inbound: ParsedInboundMessage): Part[] {
  return inbound.parts ?? [{ type: 'text', text: inbound.text! }];
}

/**
 * Whether a message's sender did not prove an identity its customer holds verified (an email that
 * failed SPF and DKIM from a known address, a web form typed with a customer's phone). It joins that
 * customer's conversation all the same, so that a real customer's mail that fails the checks keeps
 * its history, but is marked `meta.unverifiedSender`: anyone could have sent it.
 */
function unprovenSender(from: Identity, holder: Customer | undefined): boolean {
  return !from.verified && holder !== undefined && heldIdentity(holder, from)!.verified;
}

function buildMessage(
  rt: Runtime,
  inbound: ParsedInboundMessage,
  kind: ChannelKind,
  conversation: Conversation,
  at: number,
  unproven: boolean,
): Message {
  const message: Message = {
    id: rt.newId(),
    conversationId: conversation.id,
    customerId: conversation.customerId,
    brandId: conversation.brandId,
    channel: inbound.channel,
    channelKind: kind,
    direction: 'inbound',
    author: inbound.author ?? CUSTOMER_AUTHOR,
    parts: partsOf(inbound),
    // In the literal, even when absent (undefined): a property added later would cost the record
    // a separate property store.
    externalId: inbound.externalId,
    status: 'received',
    createdAt: iso(at),
    at,
    version: 1,
  };
  if (inbound.replyTo !== undefined) message.replyTo = inbound.replyTo;
  if (unproven || inbound.meta !== undefined || inbound.subject !== undefined || inbound.references?.length) {
    const meta = { ...inbound.meta };
    if (inbound.subject !== undefined) meta.subject = inbound.subject;
    if (inbound.references?.length) meta.references = inbound.references;
    if (unproven) meta.unverifiedSender = true;
    if (Object.keys(meta).length > 0) message.meta = meta;
  }
  return message;
}

/** The stored result of a delivery already received (a provider's retry). */
function* duplicateOf(rt: Runtime, message: Message): Step<ReceiveResult> {
  const customer = yield* liveCustomer(rt, message.customerId);
  const conversation = (yield rt.store.getConversation(message.conversationId)) as Conversation;
  return { customer, conversation, message, created: false };
}

/** One attempt at receiving: read, decide, commit (a {@link Step}; a lost race throws ConflictError). */
function* receiveOnce(
  rt: Runtime,
  inbound: ParsedInboundMessage,
  kind: ChannelKind,
  from: Identity,
  at: number,
): Step<ReceiveResult> {
  if (inbound.externalId !== undefined) {
    const stored = (yield rt.store.getMessageByExternalId(inbound.channel, inbound.externalId)) as
      | Message
      | undefined;
    if (stored) return yield* duplicateOf(rt, stored);
  }
  const now = rt.clock();
  const brandId = inbound.brand ?? rt.settings.brand;
  const customers: Put<Customer>[] = [];
  const events: DeskEvent[] = [];
  const holder = (yield rt.store.findCustomerByIdentity(brandId, keyOf(from))) as Customer | undefined;
  let customer = senderOf(rt, inbound, brandId, from, holder, now, customers, events);
  // A new customer (not the holder) has no conversation yet; else the named one, or continuity's choice.
  let existing: Conversation | undefined;
  if (customer.id === holder?.id) {
    if (namesConversation(inbound))
      existing = yield* namedConversation(rt, customer, inbound.channel, inbound);
    existing ??= yield* continuedConversation(rt, customer, inbound.channel, at);
    // A new conversation changes no record of the customer's: its version still fences the commit
    // against a merge or unmerge that moved this customer's conversations or identities meanwhile.
    if (!existing && customers.length === 0) {
      customers.push({
        record: { ...customer, version: customer.version + 1 },
        expectedVersion: customer.version,
      });
      customer = customers[0]!.record;
    }
  }
  const before = existing ?? newConversation(rt, customer, inbound, now);
  const conversation = withInbound(before, inbound.channel, at, now);
  const message = buildMessage(rt, inbound, kind, conversation, at, unprovenSender(from, holder));
  if (!existing) events.push(makeEvent(rt, 'conversation.created', brandId, { conversation }, now));
  else if (existing.status !== conversation.status) {
    events.push(
      makeEvent(rt, 'conversation.updated', brandId, { conversation, changes: reopened(existing) }, now),
    );
  }
  if (existing?.lastChannel !== undefined && existing.lastChannel !== conversation.lastChannel) {
    events.push(
      makeEvent(
        rt,
        'conversation.channel_switched',
        brandId,
        {
          conversationId: conversation.id,
          customerId: customer.id,
          from: existing.lastChannel,
          to: inbound.channel,
          messageId: message.id,
        },
        now,
      ),
    );
  }
  events.push(makeEvent(rt, 'message.received', brandId, { message }, now));
  const batch: WriteBatch = {
    customers,
    conversations: [{ record: conversation, expectedVersion: existing ? existing.version : null }],
    messages: [{ record: message, expectedVersion: null }],
    events,
  };
  yield rt.store.commit(batch);
  rt.emitter.emit(events);
  return { customer, conversation, message, created: true };
}

/** An inbound message validated, with its sender's identities normalized: ready for {@link applyReceive}. */
export interface PreparedReceive {
  inbound: ParsedInboundMessage;
  kind: ChannelKind;
  at: number;
  from: Identity;
  extras: Identity[] | undefined;
}

/**
 * Validates an inbound message and normalizes its identities, writing nothing.
 * @throws ValidationError naming the field.
 */
export function prepareReceive(rt: Runtime, input: unknown): PreparedReceive {
  const inbound = parseInput(InboundMessage, input, 'inbound message');
  const kind = channelKindOf(rt, inbound);
  const now = rt.clock();
  const from = normalizeParsedIdentity(rt, inbound.from, inbound.channel, now, ['from']);
  const extras = inbound.identities?.map((identity, i) =>
    normalizeParsedIdentity(rt, identity, inbound.channel, now, ['identities', i]),
  );
  return { inbound, kind, at: timeOf(inbound, now), from, extras };
}

/** Stores a prepared inbound message: resolves its sender, threads it, commits and emits. */
export function applyReceive(rt: Runtime, prepared: PreparedReceive): Promise<ReceiveResult> {
  // A plain function, not an async one: on a memory-resident store the whole receive runs
  // synchronously, and its one promise is the settled one handed back.
  try {
    const { inbound, kind, from, at, extras } = prepared;
    const attempt = driveWithRetry(() => receiveOnce(rt, inbound, kind, from, at));
    if (extras?.length)
      return Promise.resolve(attempt).then((result) => linkExtras(rt, inbound, result, extras));
    return Promise.resolve(attempt); // a promise already is returned as it is
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * `desk.receive`: validates an inbound message, resolves its sender to a customer, threads it into
 * a conversation by the continuity policy, stores it and emits its events. A duplicate delivery
 * (same channel and externalId) returns the stored message with `created: false`.
 */
export function receive(rt: Runtime, input: unknown): Promise<ReceiveResult> {
  let prepared: PreparedReceive;
  try {
    prepared = prepareReceive(rt, input);
  } catch (error) {
    return Promise.reject(error);
  }
  return applyReceive(rt, prepared);
}

/** Links the further identities a new message proves or claims (a web form's email and phone). */
async function linkExtras(
  rt: Runtime,
  inbound: ParsedInboundMessage,
  result: ReceiveResult,
  extras: Identity[],
): Promise<ReceiveResult> {
  if (!result.created) return result;
  let customer = result.customer;
  for (const identity of extras) {
    if (heldIdentity(customer, identity)) continue;
    customer = (await identify(rt, customer.id, identity, { source: inbound.channel })).customer;
  }
  if (customer.id === result.customer.id) return { ...result, customer };
  // An identity merged the sender into another customer: its conversation and message moved with it.
  const [conversation, message] = await Promise.all([
    rt.store.getConversation(result.conversation.id),
    rt.store.getMessage(result.message.id),
  ]);
  return {
    customer,
    conversation: conversation ?? result.conversation,
    message: message ?? result.message,
    created: true,
  };
}
