import type { Part } from '../model/parts.js';

/** A message's delivery state, as the desk records it. */
export type ChatMessageStatus = 'received' | 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

/**
 * A message as the browser sees it: the desk's `Message` minus server-only fields. A message the
 * visitor sent carries its `clientId` as `externalId`; one still in the outbox has `pending: true`
 * and its `clientId` as `id`.
 */
export interface ChatMessage {
  id: string;
  /** Channel id (`webchat`, `sms`, ...). */
  channel: string;
  /** Channel kind (`webchat`, `sms`, `email`, ...): the widget badges messages of other kinds. */
  channelKind: string;
  /** `inbound`: from the customer; `outbound`: from an agent or bot. */
  direction: 'inbound' | 'outbound' | 'internal';
  author: { type: 'customer' | 'agent' | 'bot' | 'system'; id?: string; name?: string };
  parts: Part[];
  status: ChatMessageStatus;
  createdAt: string;
  /** Epoch ms of `createdAt`. */
  at: number;
  conversationId?: string;
  customerId?: string;
  externalId?: string;
  /** True while the message waits in the outbox (not yet accepted by the server). */
  pending?: boolean;
}

/**
 * State of the live connection. A stream parked in a hidden page (see `ChatClientOptions.hiddenMs`)
 * is not a drop: the state stays what it was (`open`, usually) while the page is hidden, and the
 * stream reopens without a change when the page is shown (`offline` if it cannot reopen). A page
 * loaded hidden stays `connecting` until it is first shown.
 */
export type ConnectionState = 'connecting' | 'open' | 'offline';

/** A status change of a message. */
export interface StatusEvent {
  messageId: string;
  status: ChatMessageStatus;
}

/** Someone (an agent or bot) started or stopped typing. */
export interface TypingEvent {
  typing: boolean;
  author: { type: string; name?: string };
}

/** What `on(event, listener)` delivers. */
export interface ChatEvents {
  /**
   * A new message (live, sent, or queued with `pending: true`). Each server id is emitted once.
   * After a reconnect the messages missed meanwhile (replayed and read from history) come oldest
   * first, before newer live ones.
   */
  message: ChatMessage;
  status: StatusEvent;
  typing: TypingEvent;
  connection: ConnectionState;
  /** Something went wrong that no promise reports: a queued send refused, a malformed server event. */
  error: Error;
}

/** One page of history, newest first. */
export interface HistoryPage {
  items: ChatMessage[];
  /** Pass as `before` for the next (older) page; `null` at the start of the history. */
  nextCursor: string | null;
}

/**
 * Where the client keeps its outbox and history cache. The default is IndexedDB (idb-keyval);
 * `memoryStorage()` keeps nothing across reloads.
 */
export interface ChatStorage {
  /** The value under `key`, or undefined. */
  get<T>(key: string): Promise<T | undefined>;
  /** Atomically replaces the value under `key` with `updater(old)`. */
  update<T>(key: string, updater: (old: T | undefined) => T): Promise<void>;
}
