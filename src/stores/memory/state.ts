import { comparePositions } from '../../core/cursor.js';
import type {
  ClaimOptions,
  ConversationQuery,
  MessageScope,
  OutboxEntry,
  Put,
  Range,
  WriteBatch,
} from '../../core/store.js';
import { ConflictError } from '../../model/errors.js';
import type { DeskEvent, LoggedEvent } from '../../model/events.js';
import { identityKey } from '../../model/identity.js';
import type { Conversation, Customer, MergeRecord, Message } from '../../model/records.js';
import { insertSorted, removeSorted, replaceSorted, sliceRange } from './sorted.js';

/** Everything a memory-resident store holds, as plain data (what a snapshot contains). */
export interface StateSnapshot {
  customers: Customer[];
  conversations: Conversation[];
  messages: Message[];
  merges: MergeRecord[];
  outbox: OutboxEntry[];
  events: LoggedEvent[];
  nextSeq: number;
}

const SEP = '\u0000';

/** The identity keys a customer holds in the index (none once merged away). */
function customerKeys(customer: Customer | undefined): string[] {
  if (!customer || customer.mergedInto !== undefined) return [];
  return customer.identities.map((identity) => identityKey(identity.kind, identity.value));
}

/** A map keyed by two strings, without building a combined key string on every lookup. */
class PairMap<V> {
  private readonly outer = new Map<string, Map<string, V>>();

  get(a: string, b: string): V | undefined {
    return this.outer.get(a)?.get(b);
  }

  set(a: string, b: string, value: V): void {
    let inner = this.outer.get(a);
    if (!inner) {
      inner = new Map();
      this.outer.set(a, inner);
    }
    inner.set(b, value);
  }

  delete(a: string, b: string): void {
    this.outer.get(a)?.delete(b);
  }
}

function insertId(list: string[], id: string): void {
  const last = list[list.length - 1];
  if (last === undefined || last < id) list.push(id);
  else {
    let i = list.length;
    while (i > 0 && list[i - 1]! > id) i--;
    if (list[i - 1] !== id) list.splice(i, 0, id);
  }
}

/** The list under `key`, created empty on first use. */
function listFor<T>(map: Map<string, T[]>, key: string): T[] {
  let list = map.get(key);
  if (!list) {
    list = [];
    map.set(key, list);
  }
  return list;
}

function removeId(list: string[] | undefined, id: string): void {
  if (!list) return;
  const i = list.indexOf(id);
  if (i >= 0) list.splice(i, 1);
}

/**
 * The in-memory state and indexes behind the memory store, shared with drivers that keep
 * everything memory-resident and add durability underneath (the file store). `check` validates a
 * batch against the state without changing it; `apply` then applies it and cannot fail.
 */
export class MemoryState {
  readonly customers = new Map<string, Customer>();
  readonly conversations = new Map<string, Conversation>();
  readonly messages = new Map<string, Message>();
  readonly merges = new Map<string, MergeRecord>();
  readonly outbox = new Map<string, OutboxEntry>();
  /** brand -> identity key -> id of the live customer holding it. */
  private readonly owners = new PairMap<string>();
  /** channel -> external id -> message id. */
  private readonly byExternal = new PairMap<string>();
  private readonly conversationIds: string[] = [];
  private readonly conversationsByCustomer = new Map<string, string[]>();
  private readonly messagesByConversation = new Map<string, Message[]>();
  private readonly messagesByCustomer = new Map<string, Message[]>();
  /** Retained events; the cursor of `events[i]` is `firstSeq + i` (no per-event wrapper is kept). */
  private events: DeskEvent[] = [];
  private firstSeq = 1;

  constructor(private readonly eventRetention = Number.POSITIVE_INFINITY) {}

  /** Throws ConflictError if the batch cannot apply; changes nothing. */
  check(batch: WriteBatch): void {
    checkVersions('customer', batch.customers, this.customers);
    checkVersions('conversation', batch.conversations, this.conversations);
    checkVersions('message', batch.messages, this.messages);
    checkVersions('merge', batch.merges, this.merges);
    this.checkExternalIds(batch.messages);
    this.checkIdentities(batch.customers);
  }

  private checkExternalIds(puts: Put<Message>[] | undefined): void {
    if (!puts) return;
    const seen = puts.length > 1 ? new Set<string>() : undefined;
    for (const { record, expectedVersion } of puts) {
      if (expectedVersion !== null || record.externalId === undefined) continue;
      const key = record.channel + SEP + record.externalId;
      if (this.byExternal.get(record.channel, record.externalId) !== undefined || seen?.has(key)) {
        throw new ConflictError(
          `message ${record.externalId} on channel ${record.channel} is already stored`,
        );
      }
      seen?.add(key);
    }
  }

  private checkIdentities(puts: Put<Customer>[] | undefined): void {
    if (!puts?.length) return;
    const released = new Set<string>();
    for (const { record } of puts) {
      const previous = this.customers.get(record.id);
      for (const key of customerKeys(previous)) released.add(previous!.brandId + SEP + key);
    }
    const claimed = new Map<string, string>();
    for (const { record } of puts) {
      for (const key of customerKeys(record)) {
        const scoped = record.brandId + SEP + key;
        const owner = this.owners.get(record.brandId, key);
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
    if (batch.customers) for (const { record } of batch.customers) this.putCustomer(record);
    if (batch.conversations) for (const { record } of batch.conversations) this.putConversation(record);
    if (batch.messages)
      for (const put of batch.messages) this.putMessage(put.record, put.expectedVersion === null);
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

  private putCustomer(record: Customer): void {
    const previous = this.customers.get(record.id);
    for (const key of customerKeys(previous)) {
      if (this.owners.get(previous!.brandId, key) === record.id) this.owners.delete(previous!.brandId, key);
    }
    for (const key of customerKeys(record)) this.owners.set(record.brandId, key, record.id);
    this.customers.set(record.id, record);
  }

  private putConversation(record: Conversation): void {
    const previous = this.conversations.get(record.id);
    if (!previous) insertId(this.conversationIds, record.id);
    if (previous?.customerId !== record.customerId) {
      if (previous) removeId(this.conversationsByCustomer.get(previous.customerId), record.id);
      insertId(listFor(this.conversationsByCustomer, record.customerId), record.id);
    }
    this.conversations.set(record.id, record);
  }

  private putMessage(record: Message, isNew: boolean): void {
    const previous = isNew ? undefined : this.messages.get(record.id);
    this.messages.set(record.id, record);
    if (record.externalId !== undefined) this.byExternal.set(record.channel, record.externalId, record.id);
    this.reindex(
      this.messagesByConversation,
      previous?.conversationId,
      record.conversationId,
      previous,
      record,
    );
    this.reindex(this.messagesByCustomer, previous?.customerId, record.customerId, previous, record);
  }

  private reindex(
    index: Map<string, Message[]>,
    from: string | undefined,
    to: string,
    previous: Message | undefined,
    record: Message,
  ): void {
    if (previous && from === to) {
      replaceSorted(index.get(to)!, record);
      return;
    }
    if (previous && from !== undefined) removeSorted(index.get(from) ?? [], previous);
    insertSorted(listFor(index, to), record);
  }

  /** The live customer holding an identity key in a brand. */
  customerByIdentity(brandId: string, key: string): Customer | undefined {
    const id = this.owners.get(brandId, key);
    return id === undefined ? undefined : this.customers.get(id);
  }

  /** A message by channel and provider id. */
  messageByExternalId(channel: string, externalId: string): Message | undefined {
    const id = this.byExternal.get(channel, externalId);
    return id === undefined ? undefined : this.messages.get(id);
  }

  /** A window of a conversation's or customer's messages (see `Range`). */
  listMessages(scope: MessageScope, range: Range): Message[] {
    const list =
      'conversationId' in scope
        ? this.messagesByConversation.get(scope.conversationId)
        : this.messagesByCustomer.get(scope.customerId);
    return list ? sliceRange(list, range) : [];
  }

  /** How many messages a conversation or customer has. */
  countMessages(scope: MessageScope): number {
    const list =
      'conversationId' in scope
        ? this.messagesByConversation.get(scope.conversationId)
        : this.messagesByCustomer.get(scope.customerId);
    return list?.length ?? 0;
  }

  /** Conversations matching the query, newest first. */
  listConversations(query: ConversationQuery): Conversation[] {
    const ids =
      query.customerId === undefined
        ? this.conversationIds
        : (this.conversationsByCustomer.get(query.customerId) ?? []);
    const out: Conversation[] = [];
    for (let i = ids.length - 1; i >= 0 && out.length < query.limit; i--) {
      const id = ids[i]!;
      if (query.beforeId !== undefined && id >= query.beforeId) continue;
      const conversation = this.conversations.get(id)!;
      if (query.brandId !== undefined && conversation.brandId !== query.brandId) continue;
      if (query.status && !query.status.includes(conversation.status)) continue;
      out.push(conversation);
    }
    return out;
  }

  /** Picks and leases due outbox entries; returns the leased entries (already applied). */
  claimOutbox(options: ClaimOptions): OutboxEntry[] {
    const claimed: OutboxEntry[] = [];
    for (const entry of this.outbox.values()) {
      if (claimed.length >= options.limit) break;
      if (entry.notBefore > options.now) continue;
      if (entry.leaseUntil !== undefined && entry.leaseUntil > options.now) continue;
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
    return {
      customers: [...this.customers.values()],
      conversations: [...this.conversations.values()],
      messages: [...this.messages.values()],
      merges: [...this.merges.values()],
      outbox: [...this.outbox.values()],
      events: this.events.map((event, i) => ({ cursor: String(this.firstSeq + i), event })),
      nextSeq: this.nextSeq,
    };
  }

  /**
   * Bulk-loads messages into empty indexes: appends, then sorts each list once if it is out of
   * order, instead of a lookup and a sorted insert per message (a cold open of a large store).
   */
  private loadMessages(messages: readonly Message[]): void {
    for (const record of messages) {
      this.messages.set(record.id, record);
      if (record.externalId !== undefined) this.byExternal.set(record.channel, record.externalId, record.id);
      listFor(this.messagesByConversation, record.conversationId).push(record);
      listFor(this.messagesByCustomer, record.customerId).push(record);
    }
    for (const index of [this.messagesByConversation, this.messagesByCustomer]) {
      for (const list of index.values()) {
        for (let i = 1; i < list.length; i++) {
          if (comparePositions(list[i - 1]!, list[i]!) > 0) {
            list.sort(comparePositions);
            break;
          }
        }
      }
    }
  }

  /** Loads a snapshot into an empty state. */
  load(snapshot: StateSnapshot): void {
    for (const record of snapshot.customers) this.putCustomer(record);
    for (const record of snapshot.conversations) this.putConversation(record);
    this.loadMessages(snapshot.messages);
    for (const record of snapshot.merges) this.merges.set(record.id, record);
    for (const entry of snapshot.outbox) this.outbox.set(entry.messageId, entry);
    this.events = snapshot.events.map((entry) => entry.event);
    this.firstSeq = snapshot.nextSeq - this.events.length;
  }
}

function checkVersions<T extends { id: string; version: number }>(
  what: string,
  puts: Put<T>[] | undefined,
  current: Map<string, T>,
): void {
  if (puts === undefined) return;
  for (let i = 0; i < puts.length; i++) {
    const { record, expectedVersion } = puts[i]!;
    const existing = current.get(record.id);
    if (expectedVersion === null ? existing !== undefined : existing?.version !== expectedVersion) {
      throw new ConflictError(
        expectedVersion === null
          ? `${what} ${record.id} already exists`
          : `${what} ${record.id} changed concurrently (expected version ${expectedVersion}, found ${existing?.version ?? 'none'})`,
      );
    }
  }
}
