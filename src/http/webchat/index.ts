import type { Desk, Logger } from '../../core/types.js';
import { errorToResponse, jsonError } from '../../core/webhook.js';
import type { Author } from '../../model/records.js';
import { connectionAddress, proxyHint } from '../address.js';
import { corsHeaders, preflight } from './cors.js';
import { EmailFallback } from './email-fallback.js';
import { type Visitor, VisitorIdentities } from './identity.js';
import { resolveOptions, type WebChatOptions, type WebChatSettings } from './options.js';
import { TokenBuckets } from './rate-limit.js';
import { allowedMethods, bearerTokenOf, type Endpoint, endpointOf, invalid, visitorIdOf } from './request.js';
import {
  listMessages,
  postMessage,
  postRead,
  postTyping,
  type RouteContext,
  type VisitorTyping,
} from './routes.js';
import { VisitorStream } from './stream.js';
import { EventTail } from './tail.js';

export type { WebChatCors, WebChatEmailFallback, WebChatOptions } from './options.js';
export type { VisitorTyping } from './routes.js';

/**
 * The web-chat handler: call it with a `Request`; it answers the endpoints under its base path and
 * returns `undefined` for any other path (with `basePath: '/'`, any path but its four endpoints),
 * so it chains with other handlers.
 */
export interface WebChatHandler {
  (request: Request): Promise<Response | undefined>;
  /** Ends every open event stream, stops listening to the desk and drops pending email copies. */
  close(): void;
  /**
   * Listens to visitors' typing signals (`POST {base}/typing`). Returns the unsubscriber. A listener
   * that throws (or rejects) is logged with `desk.logger.error`; the visitor still gets 204.
   */
  onTyping(listener: (signal: VisitorTyping) => void): () => void;
  /** Shows (or hides) an agent's typing indicator to the visitors of the conversation's customer. */
  agentTyping(conversationId: string, typing: boolean, author?: Author): Promise<void>;
}

/** Other requests a visitor may make, per message its bucket allows. */
const REQUESTS_PER_MESSAGE = 5;

interface HandlerState extends RouteContext {
  messageBuckets: TokenBuckets;
  requestBuckets: TokenBuckets;
  /** The same limits per client address, `visitorsPerAddress` times larger. */
  addressMessageBuckets: TokenBuckets;
  addressRequestBuckets: TokenBuckets;
  tail: EventTail;
  streams: Set<VisitorStream>;
  typingListeners: Set<(signal: VisitorTyping) => void>;
  logger: Pick<Logger, 'error'>;
  /** Warns once when the default `clientAddress` sees requests through a proxy (undefined when the host set one). */
  proxyHint: ((request: Request, address: string | undefined) => void) | undefined;
}

/**
 * Calls a host's listener. What it throws, or an async listener rejects with, is logged: a bug in
 * the host's code must not change the answer to the visitor, nor keep other listeners from running.
 */
function notify<T>(listener: (value: T) => void, value: T, logger: Pick<Logger, 'error'>, what: string) {
  const failed = (error: unknown) => logger.error(`threadline web chat: an ${what} listener failed`, error);
  try {
    const result: unknown = listener(value);
    if (result instanceof Promise) result.catch(failed);
  } catch (error) {
    failed(error);
  }
}

/**
 * Behind a proxy, the connection's address is the proxy's: every visitor then shares one address's
 * limits, and past `visitorsPerAddress` visitors (100 event streams by default) chats start to be
 * refused. Headers are not read in its place (any client can write them), so say so, once.
 */
function warnBehindProxy(logger: Pick<Logger, 'warn'>, settings: WebChatSettings) {
  const streams = settings.visitorsPerAddress * settings.maxStreamsPerVisitor;
  return proxyHint((address, header) =>
    logger.warn(
      `threadline web chat: requests arrive through a proxy (from ${address}, with ${header}): every visitor behind it shares that address's limits (${settings.visitorsPerAddress} visitors' worth of messages, ${streams} event streams), and further visitors are refused with 429. Set the clientAddress option to read the client's address from the header your proxy sets (or Express's trust proxy); see docs/web-chat-server.md, Rate limits`,
    ),
  );
}

function createState(desk: Desk, settings: WebChatSettings): HandlerState {
  const { capacity, refillPerSec } = settings.rateLimit;
  const share = settings.visitorsPerAddress;
  const requests = REQUESTS_PER_MESSAGE;
  const typingListeners = new Set<(signal: VisitorTyping) => void>();
  const logger = desk.logger ?? console;
  return {
    desk,
    settings,
    identities: new VisitorIdentities(desk, settings),
    fallback: settings.fallbackEnabled ? new EmailFallback(desk, settings) : undefined,
    emitTyping: (signal) => {
      for (const listener of typingListeners) notify(listener, signal, logger, 'onTyping');
    },
    typingListeners,
    messageBuckets: new TokenBuckets(capacity, refillPerSec, settings.clock),
    requestBuckets: new TokenBuckets(capacity * requests, refillPerSec * requests, settings.clock),
    addressMessageBuckets: new TokenBuckets(capacity * share, refillPerSec * share, settings.clock),
    addressRequestBuckets: new TokenBuckets(
      capacity * requests * share,
      refillPerSec * requests * share,
      settings.clock,
    ),
    tail: new EventTail(desk),
    streams: new Set(),
    logger,
    // Only the default address can be a proxy's unawares: a host's own `clientAddress` chose.
    proxyHint: settings.clientAddress === connectionAddress ? warnBehindProxy(logger, settings) : undefined,
  };
}

/**
 * Creates the server side of web chat for `threadline/client` and the `<threadline-chat>` widget:
 * `POST|GET {base}/messages`, `GET {base}/events` (Server-Sent Events), `POST {base}/typing` and
 * `POST {base}/read`, with CORS, per-visitor rate limits and identity tokens (see
 * docs/web-chat-server.md for the wire protocol). Register the `webchat()` adapter on the desk so
 * agents' replies are delivered (and can be marked read).
 *
 * Options (all optional): `basePath` (`/chat`), `channel` (`webchat`), `identitySecret`, `cors`
 * (`'*'` only without `credentials`), `rateLimit` (`{ capacity: 20, refillPerSec: 2 }`),
 * `maxBodyBytes` (512 KiB: room for the longest text, 65 536 characters, even JSON-escaped),
 * `emailFallback`, `keepAliveMs` (15 000), `maxStreamsPerVisitor` (5), `brand` (`default`),
 * `clientAddress` (the connection's address from `toNodeListener`; headers only if you read them),
 * `visitorsPerAddress` (20: one address's limits are that many visitors'), `clock`.
 *
 * Security: a visitor id that an identity token signed in is refused (401) without that user's
 * token, and its tokenless event streams end; a stream opened with a token ends when it expires.
 * Every answer carries `X-Content-Type-Options: nosniff` and `Cache-Control: no-store`.
 *
 * The handler answers its four endpoints (and 404 for other paths under a `basePath` of its own);
 * for any other request it returns `undefined`, so it chains with other handlers, also with
 * `basePath: '/'`. `onTyping` listeners that throw are logged (`desk.logger.error`), never answered.
 *
 * @throws ValidationError naming the option when an option is malformed.
 * @example
 * ```ts
 * const chat = createWebChatHandler(desk, { identitySecret: process.env.CHAT_SECRET });
 * const webhooks = createWebhookHandler(desk);
 * http.createServer(toNodeListener(async (request) => (await chat(request)) ?? webhooks(request)));
 * ```
 */
export function createWebChatHandler(desk: Desk, options: WebChatOptions = {}): WebChatHandler {
  const state = createState(desk, resolveOptions({ brand: desk.brand, ...options }));
  warnWithoutAdapter(desk, state.settings.channel);
  const handler = async (request: Request): Promise<Response | undefined> => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return undefined;
    }
    const endpoint = endpointOf(url, state.settings.basePath);
    if (endpoint === undefined) return undefined;
    const response = await respond(state, request, url, endpoint).catch((error: unknown) =>
      errorToResponse(error, state.logger),
    );
    for (const [name, value] of Object.entries(
      corsHeaders(state.settings.cors, request.headers.get('origin')),
    )) {
      response.headers.set(name, value);
    }
    secureHeaders(response.headers);
    return response;
  };
  return Object.assign(handler, {
    close: () => closeAll(state),
    onTyping: (listener: (signal: VisitorTyping) => void) => {
      state.typingListeners.add(listener);
      return () => {
        state.typingListeners.delete(listener);
      };
    },
    agentTyping: (conversationId: string, typing: boolean, author: Author = { type: 'agent' }) =>
      agentTyping(state, conversationId, typing, author),
  });
}

/**
 * Visitors' messages are stored without the channel's adapter (`webchat` is a known kind), but
 * agents' replies to them need it: say so when the handler is made, not at the first reply.
 */
function warnWithoutAdapter(desk: Desk, channel: string): void {
  if (desk.channels.has(channel)) return;
  const logger: Pick<Logger, 'warn'> = desk.logger ?? console;
  logger.warn(
    `threadline web chat: the desk has no channel with id ${JSON.stringify(channel)}: visitors' messages are stored, but replies to them are refused; add webchat() from threadline/channels/webchat to the desk's channels`,
  );
}

/**
 * Headers on every web-chat answer, refusals included. The bodies carry what visitors and agents
 * wrote: `nosniff` keeps a browser from reading a JSON answer as HTML or script, and `no-store`
 * keeps a history or an error from being cached by the browser or a shared proxy.
 */
function secureHeaders(headers: Headers): void {
  headers.set('x-content-type-options', 'nosniff');
  if (!headers.has('cache-control')) headers.set('cache-control', 'no-store');
}

/**
 * Takes a request token (and for a sent message, a message token) from the visitor's buckets and
 * from its address's. Threat: visitor ids are made up by clients, so a client that names a new one
 * per request is limited only by its address.
 */
function takeTokens(state: HandlerState, visitorId: string, address: string | undefined, sends: boolean) {
  if (address !== undefined) state.addressRequestBuckets.take(address, 'requests from this address');
  state.requestBuckets.take(visitorId, 'requests');
  if (!sends) return;
  if (address !== undefined) state.addressMessageBuckets.take(address, 'messages from this address');
  state.messageBuckets.take(visitorId, 'messages');
}

function closeAll(state: HandlerState): void {
  for (const stream of state.streams) stream.close();
  state.streams.clear();
  state.tail.stop();
  state.fallback?.close();
}

async function agentTyping(state: HandlerState, conversationId: string, typing: boolean, author: Author) {
  const conversation = await state.desk.conversations.get(conversationId);
  const customer = await state.desk.customers.resolve(conversation.customerId);
  for (const stream of state.streams) {
    if (stream.follows(customer.id) || stream.follows(conversation.customerId)) stream.typing(typing, author);
  }
}

async function respond(state: HandlerState, request: Request, url: URL, endpoint: Endpoint | null) {
  if (endpoint === null) {
    return jsonError(
      404,
      'NOT_FOUND',
      `No web-chat endpoint at ${JSON.stringify(url.pathname.slice(0, 200))}.`,
    );
  }
  const methods = allowedMethods[endpoint];
  const method = request.method.toUpperCase();
  if (method === 'OPTIONS') return preflight(state.settings.cors, request, methods);
  if (!methods.includes(method)) {
    return jsonError(
      405,
      'METHOD_NOT_ALLOWED',
      `Method ${method} is not allowed; use ${methods.join(' or ')}.`,
      {
        headers: { allow: [...methods, 'OPTIONS'].join(', ') },
      },
    );
  }
  const visitorId = visitorIdOf(request, url, endpoint);
  const address = state.settings.clientAddress(request);
  state.proxyHint?.(request, address);
  takeTokens(state, visitorId, address, endpoint === 'messages' && method === 'POST');
  const visitor = await state.identities.verify(visitorId, bearerTokenOf(request, url, endpoint));
  await state.identities.authorize(visitor);
  await state.identities.apply(visitor);
  return route(state, request, url, endpoint, visitor, address);
}

function route(
  state: HandlerState,
  request: Request,
  url: URL,
  endpoint: Endpoint,
  visitor: Visitor,
  address: string | undefined,
) {
  if (endpoint === 'messages') {
    return request.method.toUpperCase() === 'POST'
      ? postMessage(state, visitor, request)
      : listMessages(state, visitor, url);
  }
  if (endpoint === 'typing') return postTyping(state, visitor, request);
  if (endpoint === 'read') return postRead(state, visitor, request);
  return openStream(state, request, url, visitor, address);
}

/** A 429 for an event stream over a limit, or undefined (per visitor, and per address: resource exhaustion). */
function streamLimit(state: HandlerState, visitorId: string, address: string | undefined) {
  const { maxStreamsPerVisitor, visitorsPerAddress } = state.settings;
  let ofVisitor = 0;
  let ofAddress = 0;
  for (const stream of state.streams) {
    if (stream.visitorId === visitorId) ofVisitor++;
    if (address !== undefined && stream.visitor.address === address) ofAddress++;
  }
  const what =
    ofVisitor >= maxStreamsPerVisitor
      ? 'this visitor'
      : ofAddress >= maxStreamsPerVisitor * visitorsPerAddress
        ? 'this address'
        : undefined;
  if (what === undefined) return undefined;
  return jsonError(429, 'RATE_LIMITED', `Too many open event streams for ${what}.`, {
    headers: { 'retry-after': '5' },
  });
}

async function openStream(
  state: HandlerState,
  request: Request,
  url: URL,
  visitor: Visitor,
  address: string | undefined,
): Promise<Response> {
  const lastEventId =
    request.headers.get('last-event-id') ?? url.searchParams.get('lastEventId') ?? undefined;
  if (lastEventId !== undefined && (lastEventId.length === 0 || lastEventId.length > 256)) {
    throw invalid('lastEventId', 'not an event id this server sent');
  }
  const refused = streamLimit(state, visitor.id, address);
  if (refused) return refused;
  const context = {
    desk: state.desk,
    brand: state.settings.brand,
    tail: state.tail,
    keepAliveMs: state.settings.keepAliveMs,
    customerOf: (id: string) => state.identities.customerOf(id),
    clock: state.settings.clock,
  };
  const expiresAt = visitor.claims === undefined ? undefined : visitor.claims.exp * 1000;
  const stream = new VisitorStream(context, { id: visitor.id, address, expiresAt }, () =>
    state.streams.delete(stream),
  );
  state.streams.add(stream);
  if (request.signal.aborted) stream.close();
  request.signal.addEventListener('abort', () => stream.close(), { once: true });
  await stream.open(lastEventId).catch((error: unknown) => {
    stream.close();
    throw error;
  });
  return new Response(stream.body, {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      // no-transform: compressing middleware (Express's compression()) and proxies leave the
      // stream as it is; gzipped, each event would wait in the compressor's buffer.
      'cache-control': 'no-store, no-transform',
      'x-accel-buffering': 'no',
    },
  });
}
