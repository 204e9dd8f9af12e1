import { StorageError } from '../model/errors.js';
import type { Part } from '../model/parts.js';
import type { BackoffOptions } from './backoff.js';
import { createCatchUp } from './catch-up.js';
import { createEmitter } from './emitter.js';
import { fail, parseLiveEvent } from './guards.js';
import { createHistoryCache } from './history-cache.js';
import { openLive } from './live.js';
import { createOutbox, type OutboxEntry } from './outbox.js';
import type { SseEvent } from './sse.js';
import { forgetVisitorId, indexedDbStorage, storedVisitorId, subjectOf } from './storage.js';
import { createTransport, isOnline } from './transport.js';
import type { ChatEvents, ChatMessage, ChatStorage, ConnectionState, HistoryPage } from './types.js';

/** Options of {@link createChatClient}. */
export interface ChatClientOptions {
  /** Base URL of the web-chat endpoints, absolute or relative to the page (`/chat`). */
  endpoint: string;
  /** An identity token signed by the host's server (`signIdentityToken` in `threadline/http`). */
  identityToken?: string;
  /** Outbox and history cache. Default: IndexedDB (`indexedDbStorage()`). */
  storage?: ChatStorage;
  /** A fetch implementation. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /**
   * The visitor id. Default: one kept in localStorage, made once: the anonymous visitor's without
   * `identityToken`, the signed-in user's with it (a login makes the anonymous visitor the user's;
   * a token for another user starts a new one). It is a credential: an anonymous visitor's id
   * reads its chat, so one you pass must be as unguessable as a random UUID.
   */
  visitorId?: string;
  /** Reconnect and outbox retry pacing. Default 500 ms doubling to 30 s, with jitter. */
  backoff?: BackoffOptions;
  /** A live stream silent this long (ms) is reopened. Default 45 000 (the server pings every 15 s). */
  idleMs?: number;
  /**
   * A page hidden this long (ms: another tab in front, the window minimized) parks its live stream:
   * the stream is closed while the page stays hidden, reopened at once when it is shown, and what
   * came meanwhile is emitted then, each message once (see {@link ConnectionState} for the state
   * meanwhile). A page loaded hidden connects when it is first shown. Over HTTP/1.1 a browser
   * allows 6 connections per host and each open stream holds one: without this, 6 tabs of your site
   * would leave none for its pages, images and API calls. Sending is never parked. Default 15 000;
   * `Infinity` keeps the streams of hidden pages open (a page that alerts the visitor of replies
   * in the background, served over HTTP/2). Where there is no `document` (Node), streams stay open.
   */
  hiddenMs?: number;
}

/** The customer's side of web chat. Made by {@link createChatClient}. */
export interface ChatClient {
  readonly visitorId: string;
  /**
   * The live connection's state now. A stream parked in a hidden page (see
   * `ChatClientOptions.hiddenMs`) keeps the state it had, and reopens without a `connection` event
   * when the page is shown (unless it cannot: then `offline`): parked is not offline.
   */
  readonly connection: ConnectionState;
  /**
   * Sends text (one text part) or parts. The message goes to the IndexedDB outbox first and
   * leaves it when the server accepts it; resolves with the server's message, or with the queued
   * one (`pending: true`) when the server cannot be reached (or answers 2xx without the stored
   * message): it is sent, once, when it can.
   * @throws ValidationError, before queueing, for empty input, a text over 65 536 characters (also
   *   in a text part), more than 100 parts, or parts over 512 KiB as JSON (the server's default
   *   body limit); DeliveryError when the server refuses it (4xx); StorageError when the outbox
   *   cannot be written.
   */
  send(input: string | Part[]): Promise<ChatMessage>;
  /**
   * One page of the customer's timeline (all channels), newest first; the first page is cached.
   * @throws DeliveryError when the server cannot be reached or refuses; ValidationError for a malformed page.
   */
  history(options?: { limit?: number; before?: string }): Promise<HistoryPage>;
  /** The cached newest messages (up to 100), for instant display before `history()` answers. */
  cached(): Promise<ChatMessage[]>;
  /** Messages still in the outbox, oldest first (`pending: true`). */
  pending(): Promise<ChatMessage[]>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof ChatEvents>(event: K, listener: (value: ChatEvents[K]) => void): () => void;
  /** Tells agents the visitor is typing. Best effort: resolves false when it could not be delivered. */
  typing(isTyping: boolean): Promise<boolean>;
  /** Marks an agent message (and earlier ones) read. Resolves false when it could not be delivered. */
  markRead(messageId: string): Promise<boolean>;
  /** Tries to send the outbox now. */
  flush(): Promise<void>;
  /** Stops live updates and retries. */
  close(): void;
  /**
   * Logs the visitor out of chat on this browser: closes the client, erases its outbox (unsent
   * messages are dropped) and history cache, and forgets its visitor id, so the next client starts
   * a new anonymous visitor. Call it when the user logs out of your site, before the next person
   * may use the browser. The `<threadline-chat>` element calls it when its `token` is removed.
   */
  forget(): Promise<void>;
  /**
   * Takes a renewed identity token for the same signed-in user (the same `sub`, read without
   * checking the token: the server does), before the current one expires or after the server
   * refused it. The next requests send it, and the live stream is reopened with it at once (the
   * server ends a stream when its token expires; a stream it refused is opened again); the outbox,
   * the history cache and the messages already emitted stay as they are, and an open connection
   * stays `open` (no `connection` event). Returns false, changing nothing, when the token is for
   * another user or unreadable, or the client was made without a token: make a new client then.
   * The `<threadline-chat>` element calls it when its `token` changes.
   * @example
   * if (!chat.renewIdentityToken(token)) {
   *   chat.close();
   *   chat = createChatClient({ endpoint: '/chat', identityToken: token });
   * }
   */
  renewIdentityToken(token: string): boolean;
}

/** The server's limits: characters of a text (UTF-16 units, as `length` counts), parts of a message. */
const MAX_TEXT = 65_536;
const MAX_PARTS = 100;
/**
 * The server's default body limit (`maxBodyBytes`, 512 KiB): the longest text always fits, even
 * JSON-escaped; bigger parts are refused here, before queueing, rather than by a 413 later.
 */
const MAX_BODY = 524_288;
const TEXT_RANGE = `1 to ${MAX_TEXT} characters`;
/**
 * How long a page stays hidden before its stream is parked (`hiddenMs`). Long enough that a look at
 * another tab (an order number, a one-time code, a price to compare) keeps the stream, so coming
 * back costs no reconnect and no history read, and a visitor switching tabs to and fro does not
 * churn streams on the server; short enough that a tab left behind soon frees its connection, so
 * a request queued behind 6 streams (a new tab, a sent message) waits seconds, not minutes.
 */
const HIDDEN_MS = 15_000;

/** Checks parts as the server will, where the client can; `clientId` completes the body to weigh. */
function checkParts(parts: Part[], clientId: string): void {
  if (!Array.isArray(parts) || !parts.length || parts.length > MAX_PARTS)
    fail('chat message', ['parts'], `expected 1 to ${MAX_PARTS} parts`);
  parts.forEach((part, i) => {
    // Other faults (an empty text, an unknown type) are the server's to name: a 400 refusal.
    if (part?.type === 'text' && part.text?.length > MAX_TEXT)
      fail('chat message', ['parts', i, 'text'], TEXT_RANGE);
  });
  // The body exactly as the transport posts it.
  if (new Blob([JSON.stringify({ clientId, parts })]).size > MAX_BODY)
    fail('chat message', ['parts'], `over ${MAX_BODY} bytes as JSON`);
}

function toEntry(input: string | Part[]): OutboxEntry {
  const now = Date.now();
  const entry = { clientId: crypto.randomUUID(), createdAt: new Date(now).toISOString(), at: now };
  if (typeof input === 'string') {
    if (!input.trim() || input.length > MAX_TEXT) fail('chat message', ['text'], TEXT_RANGE);
    return { ...entry, text: input };
  }
  checkParts(input, entry.clientId);
  return { ...entry, parts: input };
}

/** How a queued entry looks until the server accepts it. */
const pendingMessage = (entry: OutboxEntry): ChatMessage => ({
  id: entry.clientId,
  externalId: entry.clientId,
  channel: 'webchat',
  channelKind: 'webchat',
  direction: 'inbound',
  author: { type: 'customer' },
  parts: entry.parts ?? [{ type: 'text', text: entry.text ?? '' }],
  status: 'queued',
  createdAt: entry.createdAt,
  at: entry.at,
  pending: true,
});

/**
 * Creates the browser client of web chat: HTTP with ky, live updates over SSE (reconnecting with
 * backoff and resuming from the last event id), an IndexedDB outbox and history cache. It connects
 * at once (a page loaded hidden: when it is first shown, see `hiddenMs`); call `close()` when done.
 * @throws ValidationError when `endpoint` is missing.
 * @example
 * const chat = createChatClient({ endpoint: '/chat' });
 * chat.on('message', (m) => render(m));
 * await chat.send('Hello!');
 */
export function createChatClient(options: ChatClientOptions): ChatClient {
  if (typeof options?.endpoint !== 'string' || !options.endpoint)
    fail('chat client options', ['endpoint'], 'expected a URL');
  const events = createEmitter<ChatEvents>();
  const stored = options.visitorId ? { id: options.visitorId } : storedVisitorId(options.identityToken);
  const visitorId = stored.id;
  const storage = options.storage ?? indexedDbStorage();
  /** Erases a visitor's outbox and history cache (another user signed in, or a logout). */
  const erase = (id: string) =>
    Promise.all(
      ['outbox', 'history'].map((kind) =>
        storage.update(`${kind}:${options.endpoint}|${id}`, () => undefined),
      ),
    );
  const report = (error: Error) => events.emit('error', error);
  if (stored.forget) void erase(stored.forget).catch(report);
  const scope = `${options.endpoint}|${visitorId}`;
  const cache = createHistoryCache(storage, `history:${scope}`, report);
  const transport = createTransport({ ...options, visitorId });
  const seen = new Set<string>();
  let newestAt: number | undefined;
  let connection: ConnectionState = 'connecting';
  let opened = false;

  /** Records a server message as known; false when it already was. */
  const know = (message: ChatMessage): boolean => {
    if (seen.has(message.id)) return false;
    seen.add(message.id);
    newestAt = Math.max(newestAt ?? 0, message.at);
    if (seen.size > 2000) seen.delete(seen.values().next().value as string);
    return true;
  };

  /**
   * Server messages and statuses pass through here. A reopened stream may have missed what the
   * server cannot replay: it dropped before any event carried an id, or its id is older than the
   * event log's retention (a long sleep on a busy desk) or from a log that restarted. So after a
   * reconnect the client reads history back to what it knew, and emits it with the stream's replay
   * in time order; each message once per id, keeping the cache current.
   */
  const incoming = createCatchUp({
    fetchPage: transport.fetchPage,
    newestAt: () => newestAt,
    deliver(messages) {
      const fresh = messages.filter(know);
      if (fresh.length) cache.add(fresh);
      for (const message of fresh) events.emit('message', message);
    },
    status(event) {
      cache.setStatus(event);
      events.emit('status', event);
    },
    report,
  });

  const outbox = createOutbox({
    storage,
    key: `outbox:${scope}`,
    backoff: options.backoff,
    post: transport.postMessage,
    onSent: incoming.message,
    onRefused(clientId, error, watched) {
      events.emit('status', { messageId: clientId, status: 'failed' });
      if (!watched) report(error);
    },
    onError: report,
  });

  const onEvent = ({ event, data }: SseEvent) => {
    try {
      const live = parseLiveEvent(event, data);
      if (live?.type === 'message') incoming.message(live.value);
      else if (live?.type === 'typing') events.emit('typing', live.value);
      else if (live?.type === 'status') incoming.status(live.value);
    } catch (error) {
      report(error as Error);
    }
  };

  const win: Window | undefined = globalThis.window; // undefined outside browsers
  const live = openLive({
    http: transport.http,
    backoff: options.backoff,
    idleMs: options.idleMs ?? 45_000,
    hiddenMs: options.hiddenMs ?? HIDDEN_MS,
    isOnline,
    onEvent,
    onState(state) {
      if (state === 'open') {
        if (opened) void incoming.run();
        opened = true;
        void outbox.flush();
      }
      if (state === connection) return;
      connection = state;
      events.emit('connection', state);
    },
    onRefused: report,
  });

  const onOnline = () => {
    live.wake();
    void outbox.flush();
  };
  win?.addEventListener('online', onOnline);
  win?.addEventListener('offline', live.drop);
  void outbox.flush();
  const close = () => {
    live.close();
    outbox.close();
    win?.removeEventListener('online', onOnline);
    win?.removeEventListener('offline', live.drop);
  };

  return {
    visitorId,
    get connection() {
      return connection;
    },
    async send(input) {
      const entry = toEntry(input);
      outbox.watch(entry.clientId);
      try {
        await outbox.add(entry);
      } catch (cause) {
        outbox.take(entry.clientId);
        throw new StorageError('the message could not be queued in the outbox', { cause });
      }
      const queued = pendingMessage(entry);
      events.emit('message', queued);
      await outbox.flush();
      const result = outbox.take(entry.clientId);
      if (result instanceof Error) throw result;
      return result ?? queued;
    },
    async history({ limit = 50, before } = {}) {
      const page = await transport.fetchPage(limit, before);
      page.items.forEach(know);
      if (!before) cache.add(page.items);
      return page;
    },
    cached: cache.list,
    pending: async () => (await outbox.list()).map(pendingMessage),
    on: events.on,
    typing: (isTyping) => transport.signal('typing', { typing: isTyping }),
    markRead: (messageId) => transport.signal('read', { messageId }),
    flush: outbox.flush,
    close,
    async forget() {
      close();
      forgetVisitorId(visitorId);
      await erase(visitorId);
    },
    renewIdentityToken(token) {
      const sub = subjectOf(token);
      const same = sub !== undefined && sub === subjectOf(options.identityToken);
      if (same) {
        transport.setToken(token);
        live.reconnect();
      }
      return same;
    },
  };
}
