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

/** What to reply. Give `parts`, or `text` for one text part. */
export interface ReplyInput {
  parts?: Part[];
  text?: string;
  author?: Author;
  /** Channel id to send on. Default: the channel of the customer's latest inbound message. */
  channel?: string;
  /** Channels to try, in order, when `channel` refuses by policy or fails. Overrides the desk's. */
  fallback?: string[];
  /** `internal` stores an agent note that is never sent. Default `outbound`. */
  direction?: 'outbound' | 'internal';
  meta?: Record<string, Json>;
}

/** Patchable conversation fields. `null` clears an optional field. */
export interface ConversationPatch {
  status?: ConversationStatus;
  assigneeId?: string | null;
  teamId?: string | null;
  tags?: string[];
  priority?: Priority;
  subject?: string | null;
  /** Snooze until this time (ISO); with status `snoozed`. */
  snoozedUntil?: string | null;
}

/** Paging options: `before`, `after` and `around` take an opaque cursor (or, for `around`, a message id). */
export interface PageOptions {
  /** Items per page. Default 50, at most 500. */
  limit?: number;
  /** Items older than this cursor, newest first. */
  before?: string;
  /** Items newer than this cursor, oldest first. */
  after?: string;
  /** A window centred on this cursor or message id (open a timeline at a search hit). */
  around?: string;
}

/** One page of results. */
export interface Page<T> {
  items: T[];
  /** More items further in this page's direction. */
  hasNext: boolean;
  /** Cursor to pass as `before` (or `after` for an `after` page) for the next page. */
  nextCursor: string | undefined;
  /** For an `around` page: cursor to pass as `after` for the newer items beyond this page. */
  previousCursor?: string | undefined;
  /** The next page (an empty one when there is none). */
  next(): Promise<Page<T>>;
}

/** A paged result: iterate it with `for await`, or take it page by page with `page()`. */
export interface Paginator<T> extends AsyncIterable<T> {
  /** The first page. */
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
   * first: a malformed one throws `ValidationError` naming the field, and nothing is written.
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
   * verify, writes nothing.
   */
  identify(
    customerId: string,
    identity: IdentityInput,
    options?: { reason?: 'identify' | 'login'; source?: string },
  ): Promise<IdentifyResult>;
  /**
   * Merges customer `mergeId` into `keepId` atomically: conversations, messages and identities move,
   * blank traits are filled, conflicts are recorded. Returns the record `unmerge` takes.
   * @throws ConflictError if either side was merged already, PolicyError across brands.
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
   * the survivor): identities, conversations, the newest `limit` (default 50) messages across every
   * channel, channels used, last contact per channel and counts.
   */
  context(
    query: { customerId: string } | { conversationId: string },
    options?: { limit?: number },
  ): Promise<DeskContext>;
  /**
   * The customer's whole history across channels and conversations, newest first, paged by cursor.
   * @throws NotFoundError (from the first page) for an unknown customer.
   */
  timeline(customerId: string, options?: PageOptions): Paginator<Message>;

  /** Customer records. */
  readonly customers: {
    /** The customer record, merged-away or not. @throws NotFoundError */
    get(id: string): Promise<Customer>;
    /** Follows merges: the live customer an id resolves to. */
    resolve(id: string): Promise<Customer>;
    /** Sets the display name and traits (a trait set to `undefined` is removed); emits `customer.updated`. */
    update(
      id: string,
      patch: { displayName?: string; traits?: Record<string, Json | undefined> },
    ): Promise<Customer>;
  };
  /** Conversation records. */
  readonly conversations: {
    /** The conversation. @throws NotFoundError */
    get(id: string): Promise<Conversation>;
    /** Conversations, newest first, optionally of one customer or in some statuses. */
    list(query?: {
      customerId?: string;
      status?: ConversationStatus[];
      limit?: number;
      before?: string;
    }): Promise<Page<Conversation>>;
    /**
     * Patches status, assignee, team, tags, priority, subject or snooze and emits `conversation.updated`
     * with what changed. With `expectedVersion` a concurrent change is a ConflictError; without, the
     * patch is applied again on fresh state.
     */
    update(
      id: string,
      patch: ConversationPatch,
      options?: { expectedVersion?: number },
    ): Promise<Conversation>;
    /**
     * One conversation's messages, newest first, paged by cursor.
     * @throws NotFoundError (from the first page) for an unknown conversation.
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
