import type { CountryCode } from 'libphonenumber-js';
import type { DeskEvent, DeskEventOf, DeskEventType } from '../model/events.js';
import type { Identity, IdentityInput } from '../model/identity.js';
import type { InboundEvent, InboundMessage, StatusUpdate } from '../model/inbound.js';
import type { Part } from '../model/parts.js';
import type {
  Author,
  Conversation,
  ConversationStatus,
  Customer,
  Json,
  MergeRecord,
  Message,
  Priority,
} from '../model/records.js';
import type { ChannelAdapter } from './channel.js';
import type { Store } from './store.js';

/** A logger; `console` fits. */
export interface Logger {
  /** Detail for debugging. */
  debug?(message: string, ...args: unknown[]): void;
  /** Routine information. */
  info?(message: string, ...args: unknown[]): void;
  /** Something went wrong and was handled (a dropped torn record, a skipped delivery). */
  warn(message: string, ...args: unknown[]): void;
  /** Something failed that could not be thrown to a caller (a listener, a background round). */
  error(message: string, ...args: unknown[]): void;
}

/** Options of {@link createDesk}. Every option has a default. */
export interface DeskOptions {
  /** Where everything is kept. Default: a new `memoryStore()`. */
  store?: Store;
  /** Channel adapters, routed by their `id`. Default none (receive and reply still work). */
  channels?: ChannelAdapter[];
  continuity?: {
    /**
     * `omnichannel` (default): an inbound message joins the customer's active conversation
     * whatever its channel. `multichannel`: only a conversation on the same channel (silos).
     */
    mode?: 'omnichannel' | 'multichannel';
    /** A resolved conversation is reopened by a new message within this many ms. Default 7 days. */
    reopenWithinMs?: number;
  };
  identity?: {
    /**
     * When a new identity collides with another customer's: `verified` (default) merges only when
     * both are verified, `always` merges, `never` only suggests (`customer.merge_suggested`).
     */
    autoMerge?: 'verified' | 'never' | 'always';
    /** Country for national phone numbers without a `+` prefix. Default none. */
    defaultCountry?: CountryCode;
  };
  /** Brand id given to records when the inbound message names none. Default `default`. */
  brand?: string;
  /** Epoch-ms clock. Default `Date.now`. Inject one for deterministic tests. */
  clock?: () => number;
  /** Id generator; ids must sort in creation order. Default: monotonic ULIDs. */
  idGenerator?: () => string;
  logger?: Logger;
  outbox?: {
    /** Start delivering queued messages at once and after each reply. Default true when channels are given. */
    autoStart?: boolean;
    /** Lease of a claimed delivery in ms; a crashed sender's claim expires after it. Default 60 000. */
    leaseMs?: number;
    /** Attempts before a retryable failure becomes `failed`. Default 5. */
    maxAttempts?: number;
    /** First backoff between outbox attempts in ms (doubles, with jitter). Default 1 000. */
    retryBaseMs?: number;
  };
  /**
   * Fallback chain per channel: keyed by a channel id or kind, listing channel ids (the ids the
   * adapters were registered with), e.g. `{ whatsapp: ['twilio-sms', 'postmark'] }`.
   */
  fallback?: Record<string, string[]>;
}

/** What `receive` returns. `created: false` means a duplicate delivery: nothing was stored. */
export interface ReceiveResult {
  customer: Customer;
  conversation: Conversation;
  message: Message;
  created: boolean;
}

/** What to reply. Give `parts`, or `text` for one text part, not both (a ValidationError). */
export interface ReplyInput {
  parts?: Part[];
  text?: string;
  /** An agent (default), a bot or the system; a `customer` author is a ValidationError. */
  author?: Author;
  /** Channel id to send on. Default: the channel of the customer's latest inbound message. */
  channel?: string;
  /** Channels to try, in order, when `channel` refuses by policy or fails. Overrides the desk's. */
  fallback?: string[];
  /** `internal` stores an agent note that is never sent. Default `outbound`. */
  direction?: 'outbound' | 'internal';
  /** JSON values only (no BigInt, function, Date, NaN): anything else is a ValidationError naming the key. */
  meta?: Record<string, Json>;
}

/** Patchable conversation fields. `null` clears an optional field. */
export interface ConversationPatch {
  status?: ConversationStatus;
  assigneeId?: string | null;
  teamId?: string | null;
  /** Replaces the tags: each trimmed (1 to 128 characters), duplicates dropped, at most 100. */
  tags?: string[];
  priority?: Priority;
  subject?: string | null;
  /**
   * Snooze until this time (ISO with a zone, kept in UTC). Only for a conversation the patch leaves
   * `snoozed` (give `status: 'snoozed'` with it, or the conversation is snoozed already), and later
   * than now unless it is the time already stored: otherwise a ValidationError naming `snoozedUntil`.
   * A conversation snoozed without a time stays snoozed until the customer writes again. Moving to
   * another status clears it.
   */
  snoozedUntil?: string | null;
}

/**
 * Paging options of `desk.timeline` and `desk.conversations.messages`. Give at most one of `before`,
 * `after` and `around`; with none, the first page holds the newest items.
 *
 * Items are ordered by time (`at`), then by id for items of the same millisecond. Pages are read
 * from a position, not an offset, so messages that arrive while a history is paged never make a
 * page repeat or skip an item: every item stored when paging started comes exactly once, in order,
 * and an item stored since (a new message, or a late delivery whose provider time places it among
 * older ones) comes, in its place, exactly when it lands beyond the last item read so far in the
 * direction of paging. One that lands behind it is not shown: read again to see it.
 *
 * Cursors are opaque, URL-safe strings of at most 1 024 characters that name the listing they were
 * issued for. A cursor that is not a string, was edited, truncated or made up, or was issued for
 * another listing (another customer's timeline, another conversation, a conversation list, another
 * desk's store) rejects the first page with a `ValidationError` naming the option, and pages
 * nothing. A customer's timeline also takes the cursors of a customer id that stands for the same
 * customer now (merged into it, or it into them). Cursors are tamper-evident, not secret: they hold
 * the ids and the time of their position.
 */
export interface PageOptions {
  /**
   * Items per page: an integer from 1 to 500, default 50. Anything else throws a `ValidationError`
   * naming `limit` when the paginator is made.
   */
  limit?: number;
  /** A cursor (a newest-first page's `nextCursor`): the items older than it, newest first. */
  before?: string;
  /**
   * A cursor (an oldest-first page's `nextCursor`, or an `around` page's `previousCursor`): the items
   * newer than it, oldest first. The empty string starts before the oldest item: `{ after: '' }`
   * reads the whole history oldest first.
   */
  after?: string;
  /**
   * A message id of this listing, or a cursor of it: the page around it (open a timeline at a search
   * hit), newest first. It holds the message, older ones and up to half the limit (rounded down) newer
   * ones; when one side runs short the other fills the page, so that it holds `limit` items when the
   * listing has them. A message id that is not in this listing (unknown, another customer's, another
   * conversation's) rejects with a `NotFoundError`; an empty string or one over 1 024 characters with
   * a `ValidationError`.
   */
  around?: string;
}

/** One page of results. */
export interface Page<T> {
  items: T[];
  /** Whether there were more items beyond this page, in its direction, when it was read. */
  hasNext: boolean;
  /**
   * Where this page ends: pass it as `before` (after a newest-first or `around` page) or `after` (after
   * an oldest-first page) for the page that follows. Set on every page with items, the last one too
   * (read from it later to get what arrived beyond it since), and on an empty page read from a cursor
   * (that cursor); undefined on an empty first page.
   */
  nextCursor: string | undefined;
  /** For an `around` page with newer items beyond it: the cursor to pass as `after` for them. */
  previousCursor?: string | undefined;
  /**
   * The page that follows, read now from `nextCursor`: after the last page, an empty page, or what
   * arrived beyond it since. Without a `nextCursor`, an empty page.
   */
  next(): Promise<Page<T>>;
}

/**
 * A paged result: iterate it with `for await` (the first page, then `next()` while `hasNext`; an
 * `around` paginator goes on to the older items), or take it page by page with `page()`. A bad cursor
 * or an unknown customer, conversation or `around` message rejects `page()` and the iteration.
 */
export interface Paginator<T> extends AsyncIterable<T> {
  /** The first page (read anew on every call). */
  page(): Promise<Page<T>>;
}

/** The continuity payload: everything an agent or bot needs about a customer, across channels. */
export interface DeskContext {
  customer: Customer;
  conversations: Conversation[];
  /** The conversation asked about, when the query named one. */
  conversation?: Conversation;
  /** Newest messages across all channels, newest first. */
  messages: Message[];
  /** Channel ids used, most recent first. */
  channels: string[];
  /** Latest message time (ISO) per channel id. */
  lastContact: Record<string, string>;
  counts: { conversations: number; open: number; messages: number };
}

/** The result of `identify`. */
export interface IdentifyResult {
  customer: Customer;
  /** Set when the identity belonged to another customer and the two were merged. */
  merge?: MergeRecord;
  /** Set when the identity belongs to another customer and a merge was only suggested. */
  suggestedMergeWith?: string;
}

/** A typed event handler. */
export type DeskListener<T extends DeskEventType> = (event: DeskEventOf<T>) => void;

/** The desk: Threadline's one object. Created by {@link createDesk}. */
export interface Desk {
  readonly store: Store;
  /** The brand records get when an inbound message names none (`options.brand`). */
  readonly brand: string;
  /** Where the desk logs what it cannot throw (a failing listener, an outbox round). */
  readonly logger: Logger;
  /** Registered channel adapters by id. */
  readonly channels: ReadonlyMap<string, ChannelAdapter>;

  /**
   * Takes one inbound message from any channel: validates it, resolves the sender to a customer
   * (creating one when new), threads it into a conversation by the continuity policy, stores it and
   * emits its events. A duplicate (same channel and `externalId`) returns the stored message with
   * `created: false` and stores nothing.
   * @throws ValidationError naming the field for bad input; nothing is written.
   */
  receive(inbound: InboundMessage): Promise<ReceiveResult>;
  /**
   * Applies a parsed webhook's events (messages, statuses, echoes) in order, for the channel
   * `channelId` (an event that names no channel is that channel's). Every event is validated
   * first: a malformed one throws `ValidationError` naming the field, and nothing is written; so does
   * anything that is not an array of events of a known `type` (`message`, `status`, `echo`, `skipped`).
   * A `skipped` event (an item of a batch the adapter could not read) is logged as one warning
   * through the desk's logger, naming the channel, the reason and the field, and stores nothing.
   */
  ingest(channelId: string, events: InboundEvent[]): Promise<IngestResult[]>;
  /** Moves an outbound message's status forward (never back); returns it, or undefined when unknown. */
  updateStatus(update: StatusUpdate): Promise<Message | undefined>;
  /** Verifies, parses and ingests a raw provider webhook, answering as the provider expects. */
  handleWebhook(channelId: string, request: Request): Promise<Response>;

  /**
   * Stores an outbound message as `queued` in the outbox and returns it; delivery follows in the
   * background (or on `outbox.flush()`). The channel is `input.channel`, else the customer's latest
   * inbound channel, else the first of the fallback chain whose rules allow it.
   * @throws PolicyError when no channel accepts the reply (each reason listed), NotFoundError for an
   *   unknown conversation, ValidationError for bad input.
   */
  reply(conversationId: string, input: ReplyInput): Promise<Message>;
  /**
   * Attaches an identity to a customer. When another customer holds it, the `autoMerge` policy decides:
   * a merge (the holder is kept, unless it only claimed the identity and this one is verified: then
   * the verified side is kept), a verified identity displacing a self-claimed one, or only a
   * `customer.merge_suggested` event. Identifying an identity already held, with nothing new to
   * verify, writes nothing. A merged-away `customerId` identifies the survivor.
   * @throws ValidationError for a bad identity, or options other than `reason` (`identify` or
   *   `login`) and `source` (a channel id, 1 to 128 characters; default `api`); NotFoundError for an
   *   unknown customer.
   */
  identify(
    customerId: string,
    identity: IdentityInput,
    options?: { reason?: 'identify' | 'login'; source?: string },
  ): Promise<IdentifyResult>;
  /**
   * Merges customer `mergeId` into `keepId` atomically: conversations, messages and identities move,
   * blank traits are filled, conflicts are recorded. Returns the record `unmerge` takes.
   * Trait keys are the customers' own keys: one named like an Object member (`constructor`) is a
   * trait like any other.
   * @throws ValidationError for ids that are not non-empty strings, the same id twice, or a `reason`
   *   other than `api` (default), `identify` or `login`; NotFoundError for an unknown customer;
   *   ConflictError if either side was merged already; PolicyError across brands.
   */
  merge(keepId: string, mergeId: string, options?: { reason?: MergeRecord['reason'] }): Promise<MergeRecord>;
  /**
   * Undoes a merge exactly and returns the restored customer.
   * @throws NotFoundError for an unknown merge, ConflictError if already undone, PolicyError when the
   *   kept customer was merged away since (undo that first).
   */
  unmerge(mergeId: string): Promise<Customer>;

  /**
   * The continuity payload of a customer, or of a conversation's customer (merged-away ids resolve to
   * the survivor): identities, every conversation, the newest `limit` messages across every channel
   * (an integer from 0 to 500, default 50), channels used, last contact per channel and counts.
   * @throws NotFoundError for an unknown customer or conversation; ValidationError naming `limit`, or
   *   for a query that does not give exactly one of `customerId` and `conversationId`.
   */
  context(
    query: { customerId: string } | { conversationId: string },
    options?: { limit?: number },
  ): Promise<DeskContext>;
  /**
   * The customer's whole history across channels and conversations, newest first, paged by cursor
   * (see `PageOptions`: the order, the cursors, messages that arrive meanwhile). A merged-away id pages
   * the survivor's timeline. The id is resolved on every page read: a timeline paged across a merge
   * goes on with the survivor's messages older than the last one read (the merged customer's among
   * them), and one paged across an unmerge with the customer's own messages only.
   * @throws ValidationError at once for a bad `limit` or more than one of `before`, `after` and
   *   `around`. The first page (or the iteration) rejects with a ValidationError naming the option for
   *   a bad cursor, and a NotFoundError for an unknown customer or an `around` message not in this
   *   timeline.
   */
  timeline(customerId: string, options?: PageOptions): Paginator<Message>;

  /** Customer records. */
  readonly customers: {
    /** The customer record, merged-away or not. @throws NotFoundError */
    get(id: string): Promise<Customer>;
    /** Follows merges: the live customer an id resolves to. */
    resolve(id: string): Promise<Customer>;
    /**
     * Sets the display name and traits (a trait set to `undefined` is removed); emits `customer.updated`.
     * A merged-away id updates the survivor.
     * @throws ValidationError for a bad patch (a trait named `__proto__` among them); NotFoundError for
     *   an unknown id; a store's own failure (StorageError) as it is.
     */
    update(
      id: string,
      patch: { displayName?: string; traits?: Record<string, Json | undefined> },
    ): Promise<Customer>;
  };
  /** Conversation records. */
  readonly conversations: {
    /** The conversation. @throws NotFoundError */
    get(id: string): Promise<Conversation>;
    /**
     * Conversations, newest (last created) first, optionally of one customer (a merged-away id lists
     * the survivor's, an unknown id lists none) or in some statuses. `limit` is an integer from 1 to 500
     * (default 50); `before` takes a page's `nextCursor`, with the guarantees of `PageOptions`: a
     * cursor of another listing (another customer's, every conversation's, a timeline's) or anything
     * else is a ValidationError naming `before`.
     */
    list(query?: {
      customerId?: string;
      status?: ConversationStatus[];
      limit?: number;
      before?: string;
    }): Promise<Page<Conversation>>;
    /**
     * Patches status, assignee, team, tags, priority, subject or snooze and emits `conversation.updated`
     * with what changed (a no-op patch writes and emits nothing). With `expectedVersion` (a whole
     * number; anything else is a ValidationError naming it) a concurrent change is a ConflictError;
     * without, the patch is applied again on fresh state. Any status may follow any other: an agent
     * may reopen a closed conversation; ending one stamps `resolvedAt`, reopening clears it. See
     * {@link ConversationPatch} for tags and snooze.
     * @throws ValidationError naming the field (nothing is written), NotFoundError for an unknown id
     *   (a message id among them), ConflictError for a stale `expectedVersion`.
     */
    update(
      id: string,
      patch: ConversationPatch,
      options?: { expectedVersion?: number },
    ): Promise<Conversation>;
    /**
     * One conversation's messages, newest first, paged by cursor (see `PageOptions`).
     * @throws ValidationError at once for a bad `limit` or more than one of `before`, `after` and
     *   `around`. The first page (or the iteration) rejects with a ValidationError naming the option for
     *   a bad cursor (one of another conversation too), and a NotFoundError for an unknown conversation
     *   or an `around` message of another conversation.
     */
    messages(id: string, options?: PageOptions): Paginator<Message>;
  };
  /** Outbound delivery; started automatically when the desk has channels. */
  readonly outbox: {
    /** Delivers every due queued message now; resolves when this round is done. */
    flush(): Promise<void>;
    /** Starts background delivery (resumes what a crashed process left claimed). */
    start(): void;
    /** Stops background delivery after the round in progress. */
    stop(): Promise<void>;
  };

  /** Calls `listener` with every event of `type`. Returns a function that removes it. */
  on<T extends DeskEventType>(type: T, listener: DeskListener<T>): () => void;
  /** Like `on`, for the next event of `type` only. */
  once<T extends DeskEventType>(type: T, listener: DeskListener<T>): () => void;
  /** Every event, of every type. */
  onAny(listener: (event: DeskEvent) => void): () => void;

  /** Stops the outbox, stops following the store and closes the store. */
  close(): Promise<void>;
}

/**
 * The outcome of one ingested webhook event, in the order of the events: the receive result of a
 * message, the message a status update or an echo matched (undefined when none), or a skipped
 * item as the adapter reported it (nothing stored).
 */
export type IngestResult =
  | { type: 'message'; result: ReceiveResult }
  | { type: 'status'; message: Message | undefined }
  | { type: 'echo'; message: Message | undefined }
  | { type: 'skipped'; reason: string; field?: string };

export type { Identity };
