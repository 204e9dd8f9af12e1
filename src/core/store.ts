import { ConflictError } from '../model/errors.js';
import type { DeskEvent, LoggedEvent } from '../model/events.js';
import type { Conversation, ConversationStatus, Customer, MergeRecord, Message } from '../model/records.js';

/**
 * A value now or a promise of it. Store reads and commits return this: a memory-resident driver
 * answers synchronously, which spares the desk's hot path a promise per read; callers `await` it
 * (or let the desk's step runner handle both).
 */
export type Awaitable<T> = T | Promise<T>;

/** A position in a time-ordered list: epoch ms, then id as the tie-break. */
export interface Position {
  at: number;
  id: string;
}

/** Which messages to list: one conversation's, or one customer's across all conversations. */
export type MessageScope = { conversationId: string } | { customerId: string };

/**
 * A window of a time-ordered list. With `before`, the newest items older than it, newest first;
 * with `after`, the oldest items newer than it, oldest first; with neither, the newest, newest first.
 */
export interface Range {
  limit: number;
  before?: Position | undefined;
  after?: Position | undefined;
}

/** Filter for listing conversations (newest created first, paged by id). */
export interface ConversationQuery {
  customerId?: string | undefined;
  brandId?: string | undefined;
  status?: ConversationStatus[] | undefined;
  limit: number;
  /** Only conversations whose id sorts before this one. */
  beforeId?: string | undefined;
}

/** A record written with its optimistic version check. `expectedVersion: null` means "must not exist yet". */
export interface Put<T> {
  record: T;
  expectedVersion: number | null;
}

/**
 * Throws `ConflictError` when one list of a batch puts the same record twice (the second put's
 * version check cannot see the first): a check every driver runs before its version checks.
 */
export function assertPutOnce(what: string, puts: readonly Put<{ id: string }>[] | undefined): void {
  if (!puts || puts.length < 2) return;
  const ids = new Set<string>();
  for (const { record } of puts) {
    if (ids.has(record.id)) {
      // The batch itself is wrong: building it again on fresh state would repeat it.
      throw new ConflictError(`${what} ${record.id} is put twice in one batch`, { retryable: false });
    }
    ids.add(record.id);
  }
}

/** One pending outbound delivery. */
export interface OutboxEntry {
  messageId: string;
  channel: string;
  attempts: number;
  /** Epoch ms before which the entry is not claimable (backoff). */
  notBefore: number;
  /** Holder and expiry of the current claim, if any. */
  leaseOwner?: string | undefined;
  leaseUntil?: number | undefined;
}

/**
 * One atomic change: every put and every event lands, or none does. A put whose
 * `expectedVersion` does not match, a record put twice in one batch, a message (new or updated)
 * whose `channel`+`externalId` finds another message (one carrying it, or one that carried it
 * before: a former id keeps finding its message, which may take it back), or an identity (by
 * `identityKey`) linked to a different live customer makes the whole batch throw `ConflictError`
 * and write nothing.
 */
export interface WriteBatch {
  customers?: Put<Customer>[];
  conversations?: Put<Conversation>[];
  messages?: Put<Message>[];
  merges?: Put<MergeRecord>[];
  /** Outbox entries to create or replace (by messageId). */
  outbox?: OutboxEntry[];
  /** Outbox entries to remove (delivered or failed for good). */
  outboxDone?: string[];
  events?: DeskEvent[];
}

/** Options of `claimOutbox`. */
export interface ClaimOptions {
  now: number;
  leaseMs: number;
  owner: string;
  limit: number;
  /**
   * Only entries on these channels (the claimer's adapters), so that a desk never holds up a message
   * it cannot send from a desk sharing the store that can; entries on any channel when omitted.
   */
  channels?: readonly string[] | undefined;
}

/**
 * A store: Threadline's domain repository. Every driver (memory, IndexedDB, file, PostgreSQL, or
 * a third party's) implements this and proves it with `describeStoreContract` from
 * `threadline/testing`.
 *
 * Records handed out are read-only snapshots: never mutate them, write a new record with `commit`.
 * The identity index is derived from customers' `identities`: each `identityKey(kind, value)` maps
 * to the one live customer holding it.
 */
export interface Store {
  /** A short driver name for messages and logs (`memory`, `file`, ...). */
  readonly name: string;

  /** A customer by id (merged-away ones too), or undefined. */
  getCustomer(id: string): Awaitable<Customer | undefined>;
  /** The live customer holding this identity key in this brand (see `identityKey`). */
  findCustomerByIdentity(brandId: string, key: string): Awaitable<Customer | undefined>;

  /** A conversation by id, or undefined. */
  getConversation(id: string): Awaitable<Conversation | undefined>;
  /** Conversations matching the query, newest (highest id) first. */
  listConversations(query: ConversationQuery): Awaitable<Conversation[]>;

  /** A message by id, or undefined. */
  getMessage(id: string): Awaitable<Message | undefined>;
  /** A message by its provider id on a channel (the dedupe key), or undefined. */
  getMessageByExternalId(channel: string, externalId: string): Awaitable<Message | undefined>;
  /** Messages of a conversation or a customer, ordered by (`at`, `id`) as `Range` describes. */
  listMessages(scope: MessageScope, range: Range): Awaitable<Message[]>;
  /** How many messages a conversation or a customer has. */
  countMessages(scope: MessageScope): Awaitable<number>;

  /** A merge record by id, or undefined. */
  getMerge(id: string): Awaitable<MergeRecord | undefined>;

  /** Applies a batch atomically (see `WriteBatch`); resolves once it is durable for this driver. */
  commit(batch: WriteBatch): Awaitable<void>;

  /**
   * Claims up to `limit` outbox entries that are due (`notBefore <= now`), not leased (or whose
   * lease expired) and on one of `channels` (when given), leasing them to `owner` until
   * `now + leaseMs`. Atomic across concurrent callers; entries it does not claim are left as they are.
   */
  claimOutbox(options: ClaimOptions): Promise<OutboxEntry[]>;
  /** Every pending outbox entry (for inspection and tests). */
  listOutbox(): Promise<OutboxEntry[]>;

  /** Events appended after `after` (or from the start), oldest first. */
  readEvents(options: { after?: string | undefined; limit: number }): Promise<LoggedEvent[]>;
  /**
   * Optional: calls `listener` with events committed by *other* desks sharing this store
   * (another tab, another process). Returns an unsubscribe function.
   */
  watch?(listener: (events: LoggedEvent[]) => void): () => void;

  /**
   * Releases files, connections and locks. The store is unusable afterwards: a commit or an outbox
   * claim then fails with a `StorageError`.
   */
  close(): Promise<void>;
}
