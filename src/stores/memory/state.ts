import { comparePositions } from '../../core/cursor.js';
import {
  assertPutOnce,
  type ClaimOptions,
  type ConversationQuery,
  type MessageScope,
  type OutboxEntry,
  type Put,
  type Range,
  type WriteBatch,
} from '../../core/store.js';
import { ConflictError } from '../../model/errors.js';
import type { DeskEvent, LoggedEvent } from '../../model/events.js';
import { identityKey } from '../../model/identity.js';
import { sameIdentityKey } from '../../model/identity-key.js';
import type { Conversation, Customer, MergeRecord, Message } from '../../model/records.js';
import { MessagesById } from './by-id.js';
import { PairTable } from './pair-table.js';
import { insertAt, insertSorted, removeSorted, replaceSorted, sliceRange } from './sorted.js';

/** A provider id that still finds a message which no longer carries it (see `putMessage`). */
export interface FormerExternalId {
  channel: string;
  externalId: string;
  messageId: string;
}

/** Everything a memory-resident store holds, as plain data (what a snapshot contains). */
export interface StateSnapshot {
  customers: Customer[];
  conversations: Conversation[];
  messages: Message[];
  formerExternalIds: FormerExternalId[];
  merges: MergeRecord[];
  outbox: OutboxEntry[];
  events: LoggedEvent[];
  nextSeq: number;
}

/** The record lists of a {@link StateSnapshot}, in the order a snapshot holds and loads them. */
export type SnapshotList = Exclude<keyof StateSnapshot, 'nextSeq'>;
/** Every {@link SnapshotList}, in snapshot order. */
export const snapshotLists: readonly SnapshotList[] = [
  'customers',
  'conversations',
  'messages',
  'formerExternalIds',
  'merges',
  'outbox',
  'events',
];

const SEP = '\u0000';
/** How many of the conversations last listed a lookup by id looks through (see `recentConversations`). */
const RECENT_SCAN = 8;

/** The identity keys a customer holds in the index (none once merged away). */
function customerKeys(customer: Customer | undefined): string[] {
  if (!customer || customer.mergedInto !== undefined) return [];
  return customer.identities.map((identity) => identityKey(identity.kind, identity.value));
}

/**
 * True when a customer's new record holds the same index keys as its stored one, in the same
 * order: the common write (a receive touching `lastSeenAt`, a trait update) leaves the identity
 * index as it is, and is recognized without building a key string.
 */
function sameKeys(previous: Customer | undefined, record: Customer): boolean {
  if (previous === undefined || previous.brandId !== record.brandId) return false;
  if ((previous.mergedInto === undefined) !== (record.mergedInto === undefined)) return false;
  const before = previous.identities;
  const after = record.identities;
  if (before.length !== after.length) return false;
  for (let i = 0; i < after.length; i++) if (!sameIdentityKey(before[i]!, after[i]!)) return false;
  return true;
}

/**
 * A customer's place in the state: its record and what is indexed under it, so one lookup by id
 * serves the record, its conversations and its messages. A slot may exist before its record does
 * (messages indexed under a customer id not stored yet); such a slot answers as absent.
 */
interface CustomerSlot {
  record: Customer | undefined;
  /** Its conversations, by ascending id. */
  conversations: ConversationSlot[];
  /** Its messages across conversations, in (at, id) order. */
  messages: Message[];
}

/** A conversation's place in the state: its record, its messages, and the customer slot listing it. */
interface ConversationSlot {
  record: Conversation | undefined;
  /** The customer slot whose `conversations` hold this one (set once the record is stored). */
  owner: CustomerSlot | undefined;
  /** Its messages, in (at, id) order. */
  messages: Message[];
}

/**
 * Inserts a conversation slot into a list kept by ascending id (appending, as new ids sort last);
 * returns the list to keep (see `insertAt`).
 */
function insertById(list: ConversationSlot[], slot: ConversationSlot, id: string): ConversationSlot[] {
  let i = list.length;
  while (i > 0 && list[i - 1]!.record!.id > id) i--;
  return insertAt(list, i, slot);
}

/** How many slots of a list kept by ascending id have an id below `id` (binary search). */
function countBelow(list: readonly ConversationSlot[], id: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.record!.id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function removeSlot(list: ConversationSlot[], slot: ConversationSlot): void {
  const i = list.indexOf(slot);
  if (i >= 0) list.splice(i, 1);
}

/** Sorts a list that bulk loading appended to, when it is out of (at, id) order. */
function sortIfNeeded(list: Message[]): void {
  for (let i = 1; i < list.length; i++) {
    if (comparePositions(list[i - 1]!, list[i]!) > 0) {
      list.sort(comparePositions);
      return;
    }
  }
}

/**
 * The in-memory state and indexes behind the memory store, shared with drivers that keep
 * everything memory-resident and add durability underneath (the file store). `check` validates a
 * batch against the state without changing it; `apply` then applies it and cannot fail.
 *
 * Records live in slots that also hold their indexes, and the identity and provider-id indexes point
 * at slots and messages directly. A receive looks up its sender's identity and its provider id in
 * tables of every identity and message, which outgrow the CPU caches: those are `PairTable`s,
 * which find a key, or the place a new one goes, in about one cache miss where a Map takes several.
 * A new message, conversation or customer has an id past every one held (ids sort by creation
 * time), which is known absent without a lookup (see {@link MessagesById}).
 */
export class MemoryState {
  readonly messages = new MessagesById();
  readonly merges = new Map<string, MergeRecord>();
  readonly outbox = new Map<string, OutboxEntry>();
  private readonly customerSlots = new Map<string, CustomerSlot>();
  private readonly conversationSlots = new Map<string, ConversationSlot>();
  /**
   * The greatest id with a customer slot, and with a conversation slot. Ids sort by creation time,
   * so a new record's id is past it: its slot is then known absent without probing the Map of
   * every slot for a fresh key, which misses the CPU caches.
   */
  private newestCustomerSlot = '';
  private newestConversationSlot = '';
  /** Every stored conversation, by ascending id. */
  private allConversations: ConversationSlot[] = [];
  /** brand -> identity key -> slot of the live customer holding it. */
  private readonly owners = new PairTable<CustomerSlot>();
  /** channel -> external id -> message. */
  private readonly byExternal = new PairTable<Message>();
  /**
   * Every channel and provider id ever left to find a message that dropped it (see `putMessage`):
   * a snapshot lists the ones still so from these few, without a pass over every message.
   */
  private readonly droppedIds: [channel: string, externalId: string][] = [];
  /** Retained events; the cursor of `events[i]` is `firstSeq + i` (no per-event wrapper is kept). */
  private events: DeskEvent[] = [];
  private firstSeq = 1;
  /** The batch last checked, and the conversation slots its `check` looked up, reused by `apply`. */
  private checkedBatch: WriteBatch | undefined;
  private checkedSlots: (ConversationSlot | undefined)[] = [];
  /**
   * The customer slot last found, and the conversation slots last listed for a customer. A receive
   * finds its sender by identity, lists their conversations, then checks and writes that customer
   * and one of those conversations: each further lookup of them by id is answered from here instead
   * of a Map of every customer or conversation, where it would miss the CPU caches. A slot never
   * leaves the state and holds only records of its own id, so a slot found here for an id is the
   * one the Map holds for it.
   */
  private recentCustomer: CustomerSlot | undefined;
  private recentConversations: readonly ConversationSlot[] = [];

  constructor(private readonly eventRetention = Number.POSITIVE_INFINITY) {}

  /** A customer by id. */
  customer(id: string): Customer | undefined {
    return this.findCustomerSlot(id)?.record;
  }

  /** A conversation by id. */
  conversation(id: string): Conversation | undefined {
    return this.findConversationSlot(id)?.record;
  }

  /** The slot of a stored customer, or one created for messages indexed under its id. */
  private findCustomerSlot(id: string): CustomerSlot | undefined {
    const recent = this.recentCustomer;
    if (recent !== undefined && recent.record?.id === id) return recent;
    if (id > this.newestCustomerSlot) return undefined;
    const slot = this.customerSlots.get(id);
    if (slot !== undefined) this.recentCustomer = slot;
    return slot;
  }

  /** The slot of a stored conversation, or one created for messages indexed under its id. */
  private findConversationSlot(id: string): ConversationSlot | undefined {
    const recent = this.recentConversations;
    // The newest few: a customer with a long history continues one of those.
    for (let i = recent.length - 1; i >= 0 && i >= recent.length - RECENT_SCAN; i--) {
      if (recent[i]!.record?.id === id) return recent[i];
    }
    return id > this.newestConversationSlot ? undefined : this.conversationSlots.get(id);
  }

  /** Throws ConflictError if the batch cannot apply; changes nothing. */
  check(batch: WriteBatch): void {
    assertPutOnce('customer', batch.customers);
    assertPutOnce('conversation', batch.conversations);
    assertPutOnce('message', batch.messages);
    assertPutOnce('merge', batch.merges);
    if (batch.customers) {
      for (const put of batch.customers) checkVersion('customer', put, this.customer(put.record.id));
    }
    if (batch.conversations) {
      const puts = batch.conversations;
      const slots = new Array<ConversationSlot | undefined>(puts.length);
      for (let i = 0; i < puts.length; i++) {
        slots[i] = this.findConversationSlot(puts[i]!.record.id);
        checkVersion('conversation', puts[i]!, slots[i]?.record);
      }
      this.checkedBatch = batch;
      this.checkedSlots = slots;
    }
    if (batch.messages) {
      for (const put of batch.messages) checkVersion('message', put, this.messages.get(put.record.id));
    }
    if (batch.merges) {
      for (const put of batch.merges) checkVersion('merge', put, this.merges.get(put.record.id));
    }
    this.checkExternalIds(batch.messages);
    this.checkIdentities(batch.customers);
  }

  /**
   * A channel + provider id finds one message: a put may not take one that finds another message,
   * whether that message carries it or carried it before (a former id still finds its message). A
   * message may keep, or take back, its own.
   */
  private checkExternalIds(puts: Put<Message>[] | undefined): void {
    if (!puts) return;
    const claimed = puts.length > 1 ? new PairTable<string>() : undefined;
    for (const { record, expectedVersion } of puts) {
      if (record.externalId === undefined) continue;
      const holder =
        this.byExternal.get(record.channel, record.externalId)?.id ??
        claimed?.get(record.channel, record.externalId);
      if (holder !== undefined && holder !== record.id) {
        throw new ConflictError(
          expectedVersion === null
            ? `message ${record.externalId} on channel ${record.channel} is already stored`
            : `message ${record.id} cannot take provider id ${record.externalId} on channel ${record.channel}: message ${holder} has it`,
        );
      }
      claimed?.set(record.channel, record.externalId, record.id);
    }
  }

  private checkIdentities(puts: Put<Customer>[] | undefined): void {
    if (!puts?.length) return;
    // Puts that keep their keys claim nothing new and release nothing (a receive's touch).
    let changed: Put<Customer>[] | undefined;
    for (const put of puts) {
      if (sameKeys(this.customer(put.record.id), put.record)) continue;
      changed ??= [];
      changed.push(put);
    }
    if (!changed) return;
    const released = new Set<string>();
    for (const { record } of changed) {
      const previous = this.customer(record.id);
      for (const key of customerKeys(previous)) released.add(previous!.brandId + SEP + key);
    }
    const claimed = new Map<string, string>();
    for (const { record } of changed) {
      for (const key of customerKeys(record)) {
        const scoped = record.brandId + SEP + key;
        const owner = this.owners.get(record.brandId, key)?.record?.id;
        const taken = owner !== undefined && owner !== record.id && !released.has(scoped);
        const twice = claimed.has(scoped) && claimed.get(scoped) !== record.id;
        if (taken || twice) throw new ConflictError(`identity ${key} already belongs to another customer`);
        claimed.set(scoped, record.id);
      }
    }
  }

  /** Applies a checked batch. Returns the logged events. */
  apply(batch: WriteBatch): LoggedEvent[] {
    const first = this.nextSeq;
    this.applyQuietly(batch);
    return (batch.events ?? []).map((event, i) => ({ cursor: String(first + i), event }));
  }

  /** {@link apply} without building the logged entries (the memory store has no use for them). */
  applyQuietly(batch: WriteBatch): void {
    const checked = this.checkedBatch === batch ? this.checkedSlots : undefined;
    this.checkedBatch = undefined;
    if (batch.customers) for (const { record } of batch.customers) this.putCustomer(record);
    // The last conversation written: the one a receive's message belongs to, without a lookup.
    let recent: ConversationSlot | undefined;
    if (batch.conversations) {
      for (let i = 0; i < batch.conversations.length; i++) {
        recent = this.putConversation(batch.conversations[i]!.record, checked?.[i]);
      }
    }
    if (batch.messages) {
      for (const put of batch.messages) this.putMessage(put.record, put.expectedVersion === null, recent);
    }
    if (batch.merges) for (const { record } of batch.merges) this.merges.set(record.id, record);
    if (batch.outbox) for (const entry of batch.outbox) this.outbox.set(entry.messageId, entry);
    if (batch.outboxDone) for (const id of batch.outboxDone) this.outbox.delete(id);
    if (batch.events?.length) this.appendEvents(batch.events);
  }

  private appendEvents(events: DeskEvent[]): void {
    for (const event of events) this.events.push(event);
    const excess = this.events.length - this.eventRetention;
    if (excess > this.eventRetention / 4) {
      this.events = this.events.slice(excess);
      this.firstSeq += excess;
    }
  }

  /** The sequence number the next event will get. */
  get nextSeq(): number {
    return this.firstSeq + this.events.length;
  }

  private customerSlot(id: string): CustomerSlot {
    let slot = this.findCustomerSlot(id);
    if (!slot) {
      slot = { record: undefined, conversations: [], messages: [] };
      this.customerSlots.set(id, slot);
      if (id > this.newestCustomerSlot) this.newestCustomerSlot = id;
    }
    return slot;
  }

  private conversationSlot(id: string): ConversationSlot {
    let slot = this.findConversationSlot(id);
    if (!slot) {
      slot = { record: undefined, owner: undefined, messages: [] };
      this.conversationSlots.set(id, slot);
      if (id > this.newestConversationSlot) this.newestConversationSlot = id;
    }
    return slot;
  }

  private putCustomer(record: Customer): void {
    const slot = this.customerSlot(record.id);
    const previous = slot.record;
    if (sameKeys(previous, record)) {
      slot.record = record;
      return;
    }
    for (const key of customerKeys(previous)) {
      if (this.owners.get(previous!.brandId, key) === slot) this.owners.delete(previous!.brandId, key);
    }
    for (const key of customerKeys(record)) this.owners.set(record.brandId, key, slot);
    slot.record = record;
  }

  private putConversation(record: Conversation, known?: ConversationSlot): ConversationSlot {
    const slot = known ?? this.conversationSlot(record.id);
    if (slot.record === undefined) this.allConversations = insertById(this.allConversations, slot, record.id);
    if (slot.owner === undefined || slot.record?.customerId !== record.customerId) {
      if (slot.owner) removeSlot(slot.owner.conversations, slot);
      slot.owner = this.customerSlot(record.customerId);
      slot.owner.conversations = insertById(slot.owner.conversations, slot, record.id);
    }
    slot.record = record;
    return slot;
  }

  private putMessage(record: Message, isNew: boolean, recent: ConversationSlot | undefined): void {
    const previous = isNew ? undefined : this.messages.get(record.id);
    this.messages.set(record.id, record);
    if (record.externalId !== undefined) this.byExternal.set(record.channel, record.externalId, record);
    // A provider id the message no longer carries still finds it, as it did before the change.
    if (
      previous?.externalId !== undefined &&
      (previous.externalId !== record.externalId || previous.channel !== record.channel)
    ) {
      this.byExternal.set(previous.channel, previous.externalId, record);
      this.droppedIds.push([previous.channel, previous.externalId]);
    }
    const conversation =
      recent?.record?.id === record.conversationId ? recent : this.conversationSlot(record.conversationId);
    const owner = conversation.owner;
    const customer = owner?.record?.id === record.customerId ? owner : this.customerSlot(record.customerId);
    if (previous === undefined) {
      conversation.messages = insertSorted(conversation.messages, record);
      customer.messages = insertSorted(customer.messages, record);
      return;
    }
    // A message whose time changed moves to its new place in the lists, as one moving to another list does.
    const moved = previous.at !== record.at;
    if (previous.conversationId === record.conversationId && !moved)
      replaceSorted(conversation.messages, record);
    else {
      removeSorted(this.conversationSlot(previous.conversationId).messages, previous);
      conversation.messages = insertSorted(conversation.messages, record);
    }
    if (previous.customerId === record.customerId && !moved) replaceSorted(customer.messages, record);
    else {
      removeSorted(this.customerSlot(previous.customerId).messages, previous);
      customer.messages = insertSorted(customer.messages, record);
    }
  }

  /** The live customer holding an identity key in a brand. */
  customerByIdentity(brandId: string, key: string): Customer | undefined {
    const slot = this.owners.get(brandId, key);
    if (slot !== undefined) this.recentCustomer = slot;
    return slot?.record;
  }

  /** A message by channel and provider id (one it no longer carries too). */
  messageByExternalId(channel: string, externalId: string): Message | undefined {
    const message = this.byExternal.get(channel, externalId);
    if (message === undefined || (message.externalId === externalId && message.channel === channel)) {
      return message;
    }
    // A former id points at the record that dropped it; the message may have changed since.
    return this.messages.get(message.id);
  }

  /** The provider ids that find a message which no longer carries them. */
  private formerExternalIds(): FormerExternalId[] {
    const former = new Map<string, FormerExternalId>();
    for (const [channel, externalId] of this.droppedIds) {
      const message = this.byExternal.get(channel, externalId);
      if (message && (message.externalId !== externalId || message.channel !== channel)) {
        former.set(channel + SEP + externalId, { channel, externalId, messageId: message.id });
      }
    }
    return [...former.values()];
  }

  private messagesIn(scope: MessageScope): Message[] | undefined {
    return 'conversationId' in scope
      ? this.findConversationSlot(scope.conversationId)?.messages
      : this.findCustomerSlot(scope.customerId)?.messages;
  }

  /** A window of a conversation's or customer's messages (see `Range`). */
  listMessages(scope: MessageScope, range: Range): Message[] {
    const list = this.messagesIn(scope);
    return list ? sliceRange(list, range) : [];
  }

  /** How many messages a conversation or customer has. */
  countMessages(scope: MessageScope): number {
    return this.messagesIn(scope)?.length ?? 0;
  }

  /** Conversations matching the query, newest first. */
  listConversations(query: ConversationQuery): Conversation[] {
    let slots = this.allConversations;
    if (query.customerId !== undefined) {
      slots = this.findCustomerSlot(query.customerId)?.conversations ?? [];
      this.recentConversations = slots;
    }
    // Start below `beforeId` at once: paging every conversation by id costs each page its own size.
    const start = query.beforeId === undefined ? slots.length : countBelow(slots, query.beforeId);
    // Sized up front: an array pushed to gets room for 16 more, and a customer has a few conversations.
    const size = Math.min(query.limit, start);
    const out = new Array<Conversation>(size > 0 ? Math.ceil(size) : 0);
    let found = 0;
    for (let i = start - 1; i >= 0 && found < out.length; i--) {
      const conversation = slots[i]!.record!;
      if (query.brandId !== undefined && conversation.brandId !== query.brandId) continue;
      if (query.status && !query.status.includes(conversation.status)) continue;
      out[found++] = conversation;
    }
    out.length = found;
    return out;
  }

  /** Picks and leases due outbox entries (of `channels`, when given); returns the leased entries (already applied). */
  claimOutbox(options: ClaimOptions): OutboxEntry[] {
    const claimed: OutboxEntry[] = [];
    for (const entry of this.outbox.values()) {
      if (claimed.length >= options.limit) break;
      if (entry.notBefore > options.now) continue;
      if (entry.leaseUntil !== undefined && entry.leaseUntil > options.now) continue;
      if (options.channels && !options.channels.includes(entry.channel)) continue;
      const leased = { ...entry, leaseOwner: options.owner, leaseUntil: options.now + options.leaseMs };
      this.outbox.set(entry.messageId, leased);
      claimed.push(leased);
    }
    return claimed;
  }

  /** Logged events after a cursor, oldest first. */
  readEvents(after: string | undefined, limit: number): LoggedEvent[] {
    const seq = after === undefined ? 0 : Number(after);
    if (!Number.isFinite(seq)) return [];
    const start = Math.max(0, seq - this.firstSeq + 1);
    return this.events
      .slice(start, start + limit)
      .map((event, i) => ({ cursor: String(this.firstSeq + start + i), event }));
  }

  /** Everything, as plain data (for snapshots). */
  snapshot(): StateSnapshot {
    const customers: Customer[] = [];
    for (const slot of this.customerSlots.values()) if (slot.record) customers.push(slot.record);
    return {
      customers,
      conversations: this.allConversations.map((slot) => slot.record!),
      messages: [...this.messages.values()],
      formerExternalIds: this.formerExternalIds(),
      merges: [...this.merges.values()],
      outbox: [...this.outbox.values()],
      events: this.events.map((event, i) => ({ cursor: String(this.firstSeq + i), event })),
      nextSeq: this.nextSeq,
    };
  }

  /**
   * Bulk-loads messages into empty indexes: appends, then {@link finishLoad} sorts each list once
   * if it is out of order, instead of a sorted insert per message (a cold open of a large store).
   * A message's customer and conversation ids are replaced by the equal strings their records
   * hold, and a plain customer author by one shared object, so a large state keeps one copy of each
   * and the parsed duplicates die young.
   */
  private loadMessages(messages: readonly Message[]): void {
    let conversation: ConversationSlot | undefined;
    let customer: CustomerSlot | undefined;
    for (const record of messages) {
      this.messages.set(record.id, record);
      if (record.externalId !== undefined) this.byExternal.set(record.channel, record.externalId, record);
      // Snapshots list a conversation's messages together: reuse the slots while they match.
      if (conversation?.record?.id !== record.conversationId) {
        conversation = this.conversationSlot(record.conversationId);
      }
      if (customer?.record?.id !== record.customerId) customer = this.customerSlot(record.customerId);
      if (conversation.record) record.conversationId = conversation.record.id;
      if (customer.record) record.customerId = customer.record.id;
      if (isPlainCustomerAuthor(record.author)) record.author = CUSTOMER_AUTHOR;
      conversation.messages.push(record);
      customer.messages.push(record);
    }
  }

  /**
   * Loads one kind of a snapshot's records into a state being loaded: call it in snapshot order
   * (customers, conversations, messages, formerExternalIds, merges, outbox, events) as records are
   * read, so a large snapshot never needs all its parsed records at once; then {@link finishLoad}.
   */
  loadRecords<K extends SnapshotList>(kind: K, records: StateSnapshot[K]): void {
    switch (kind) {
      case 'customers':
        for (const record of records as Customer[]) this.putCustomer(record);
        break;
      case 'conversations':
        for (const record of records as Conversation[]) this.putConversation(record);
        break;
      case 'messages':
        this.loadMessages(records as Message[]);
        break;
      case 'formerExternalIds':
        for (const { channel, externalId, messageId } of records as FormerExternalId[]) {
          const message = this.messages.get(messageId);
          if (!message) continue;
          this.byExternal.set(channel, externalId, message);
          this.droppedIds.push([channel, externalId]);
        }
        break;
      case 'merges':
        for (const record of records as MergeRecord[]) this.merges.set(record.id, record);
        break;
      case 'outbox':
        for (const entry of records as OutboxEntry[]) this.outbox.set(entry.messageId, entry);
        break;
      case 'events':
        for (const entry of records as LoggedEvent[]) this.events.push(entry.event);
    }
  }

  /** Completes a load: orders the message lists and numbers the event log up to `nextSeq`. */
  finishLoad(nextSeq: number): void {
    for (const slot of this.conversationSlots.values()) sortIfNeeded(slot.messages);
    for (const slot of this.customerSlots.values()) sortIfNeeded(slot.messages);
    this.firstSeq = nextSeq - this.events.length;
  }

  /** Loads a snapshot into an empty state. */
  load(snapshot: StateSnapshot): void {
    for (const kind of snapshotLists) this.loadRecords(kind, snapshot[kind]);
    this.finishLoad(snapshot.nextSeq);
  }
}

const CUSTOMER_AUTHOR: Message['author'] = Object.freeze({ type: 'customer' });

function isPlainCustomerAuthor(author: Message['author']): boolean {
  if (author.type !== 'customer' || author === CUSTOMER_AUTHOR) return false;
  for (const key in author) if (key !== 'type') return false;
  return true;
}

function checkVersion<T extends { id: string; version: number }>(
  what: string,
  { record, expectedVersion }: Put<T>,
  existing: T | undefined,
): void {
  if (expectedVersion === null ? existing === undefined : existing?.version === expectedVersion) return;
  throw new ConflictError(
    expectedVersion === null
      ? `${what} ${record.id} already exists`
      : `${what} ${record.id} changed concurrently (expected version ${expectedVersion}, found ${existing?.version ?? 'none'})`,
  );
}
