// Types only: this module must stay importable where `node:http` does not exist (edge runtimes).
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  decodeChunks,
  isResponse,
  tooLarge,
  unreadable,
  type WebhookAnswer,
  type WebhookInput,
} from '../core/webhook.js';
import { rememberAddress } from './address.js';
import { type FetchHandler, type WebhookRoute, webhookRouteOf } from './handler.js';

/**
 * An incoming request as Express hands it over: `originalUrl`, a body a body parser may have read,
 * and `ip` (the client's address as the app's `trust proxy` setting reads it).
 */
export type NodeRequest = IncomingMessage & { originalUrl?: string; body?: unknown; ip?: string };

/** A `node:http` request listener that is also an Express middleware (`next` receives unexpected errors). */
export type NodeListener = (req: NodeRequest, res: ServerResponse, next?: (error?: unknown) => void) => void;

const bodylessMethods = new Set(['GET', 'HEAD']);

const CONSUMED =
  'the request body was already read by another middleware: mount the listener before body parsers, or use express.raw()';

function urlOf(req: NodeRequest): string {
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const host = req.headers.host ?? 'localhost';
  return `${encrypted ? 'https' : 'http'}://${host}${req.originalUrl ?? req.url ?? '/'}`;
}

function headersOf(req: NodeRequest): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // A header the Fetch API refuses (malformed name or value) is dropped, not fatal.
    }
  }
  return headers;
}

/** A request body as a web stream, and a way to discard what the handler left unread. */
interface NodeBody {
  /** The body, read from the IncomingMessage as it arrives. */
  stream: ReadableStream<Uint8Array>;
  /** Drains and drops what the handler left unread, so the connection can be reused. */
  discard(): void;
}

/** The request body as a web stream, pausing the socket while the consumer is behind. */
function bodyStream(req: NodeRequest): NodeBody {
  let open = true;
  const onData = (chunk: Uint8Array) => {
    if (!open) return;
    controller?.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if ((controller?.desiredSize ?? 1) <= 0) req.pause();
  };
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  // Stop feeding the stream and let node drop the rest (no buffering of a body nobody reads).
  const discard = () => {
    open = false;
    req.off('data', onData);
    req.resume();
  };
  const finish = (error?: unknown) => {
    if (!open) return;
    open = false;
    if (error === undefined) controller?.close();
    else controller?.error(error);
  };
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      if (req.readableEnded) {
        // Read by something else (a body parser): no data is coming, so fail rather than wait.
        open = false;
        c.error(new Error(CONSUMED));
        return;
      }
      req.on('data', onData);
      req.once('end', () => finish());
      req.once('error', (error) => finish(error));
      req.once('close', () => {
        if (!req.complete) finish(new Error('the client aborted the request'));
      });
    },
    pull() {
      req.resume();
    },
    cancel() {
      discard();
    },
  });
  return { stream, discard };
}

/** A body a body parser already read (`express.raw()`, `express.text()`), when there is one. */
function parsedBody(req: NodeRequest): Uint8Array | string | undefined {
  const body = req.body;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  return undefined;
}

/** A Fetch `Request` built from a node request. */
export interface NodeRequestBody {
  /** The request, its body streamed from the node request. */
  request: Request;
  /** Drains and drops what the handler left unread, so the connection can be reused. */
  discard(): void;
}

/**
 * Builds a Fetch `Request` from a node request, with `discard` to drop a body the handler left
 * unread. Undefined when the Fetch API refuses the request (a `CONNECT` or `TRACE` method).
 */
export function toRequest(req: NodeRequest, signal?: AbortSignal): NodeRequestBody | undefined {
  const method = (req.method ?? 'GET').toUpperCase();
  const init: RequestInit & { duplex?: 'half' } = { method, headers: headersOf(req), signal };
  let discard = () => {
    req.resume();
  };
  if (!bodylessMethods.has(method)) {
    const parsed = parsedBody(req);
    if (parsed === undefined) {
      const body = bodyStream(req);
      init.body = body.stream;
      discard = body.discard;
    } else {
      init.body = parsed as BodyInit;
    }
    init.duplex = 'half';
  }
  try {
    return { request: new Request(urlOf(req), init), discard };
  } catch {
    discard();
    return undefined;
  }
}

function writeHead(res: ServerResponse, response: Response): void {
  res.statusCode = response.status;
  const cookies = response.headers.getSetCookie?.() ?? [];
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/** Writes a Fetch `Response` to a node response, streaming the body and honouring backpressure. */
export async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  if (res.destroyed) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  writeHead(res, response);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  // A client gone cancels the body at once: a live stream that writes nothing for a while (an
  // event stream between keepalives) ends now, whether or not its handler heeds the request's
  // signal (which Node 20's Request can lose after a garbage collection).
  const gone = () => void reader.cancel().catch(() => undefined);
  res.once('close', gone);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      if (!res.write(value)) await drained(res);
    }
  } finally {
    res.off('close', gone);
    await reader.cancel().catch(() => undefined);
    if (!res.destroyed) res.end();
  }
}

const refused = JSON.stringify({ error: { code: 'BAD_REQUEST', message: 'The request could not be read.' } });

/**
 * Adapts a Fetch-API handler (such as `createWebhookHandler(desk)`) to a `node:http` request
 * listener, usable as `http.createServer(listener)` or as an Express route or middleware.
 *
 * A handler made by `createWebhookHandler` is served from node's request directly: the body is
 * read from the `IncomingMessage` (or taken from a `Buffer` or string `req.body` that
 * `express.raw()` / `express.text()` already read) and the answer written to the `ServerResponse`,
 * with the same statuses, headers and bodies as the Fetch handler gives, at half the cost per
 * webhook; a `publicUrl` function and `onError` receive a `Request` built on demand without the body.
 *
 * Any other handler gets a `Request` built from the `IncomingMessage` (streaming the body with
 * `duplex: 'half'`; taking a body a parser already read; `req.originalUrl` so Express mounts keep
 * their full path), and its status, headers (several `Set-Cookie` kept) and streamed body are
 * written back. A client that goes aborts the request's signal and cancels the response body at
 * once (a live stream ends then, not at its next write); it never crashes the process.
 * An error thrown by `handler` goes to Express's `next`, or becomes a 500.
 *
 * @example
 * ```ts
 * http.createServer(toNodeListener(createWebhookHandler(desk))).listen(3000);
 * app.post('/webhooks/:channel', toNodeListener(createWebhookHandler(desk)));
 * ```
 */
export function toNodeListener(handler: FetchHandler): NodeListener {
  const route = webhookRouteOf(handler);
  return (req, res, next) => {
    res.on('error', () => undefined);
    let served: Promise<void>;
    if (route) served = serveRoute(route, req, res);
    else {
      const abort = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      served = serve(handler, req, res, abort.signal);
    }
    served.catch((error: unknown) => {
      if (next) return next(error);
      if (res.headersSent) return res.destroy();
      res.statusCode = 500;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'Internal error.' } }));
    });
  };
}

/**
 * Header values by lower-case name, repeated headers joined with ", " as the Fetch API's
 * `Headers` joins them (node's own `req.headers` keeps only the first of some).
 */
function headerRecord(raw: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === '__proto__') continue;
    const value = raw[i + 1]!;
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

const encoder = new TextEncoder();

/** Whether a body is over `limit` bytes as UTF-8; a string is encoded only when it could be (3 bytes a unit at most). */
function overLimit(body: string | Uint8Array, limit: number): boolean {
  if (typeof body !== 'string') return body.byteLength > limit;
  return body.length * 3 > limit && encoder.encode(body).byteLength > limit;
}

/**
 * Reads a node request's body as UTF-8 text: the one a body parser already read, else the
 * stream, refusing (413) past `limit` bytes whatever Content-Length claims.
 */
function readNodeBody(req: NodeRequest, limit: number): Promise<string> {
  const parsed = parsedBody(req);
  if (parsed !== undefined) {
    if (overLimit(parsed, limit)) return Promise.reject(tooLarge(limit));
    return Promise.resolve(typeof parsed === 'string' ? parsed : decodeChunks([parsed], parsed.byteLength));
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge(limit));
  if (req.readableEnded) return Promise.reject(new Error(CONSUMED));
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
    };
    const onData = (chunk: Uint8Array) => {
      total += chunk.byteLength;
      if (total > limit) {
        stop();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(decodeChunks(chunks, total));
    };
    const onClose = () => {
      if (req.complete) return;
      stop();
      reject(unreadable());
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
  });
}

/** A node request as the webhook pipeline's input, or undefined when its URL does not parse. */
function nodeInput(req: NodeRequest): WebhookInput | undefined {
  const method = (req.method ?? 'GET').toUpperCase();
  let url: string;
  try {
    url = new URL(urlOf(req)).href;
  } catch {
    return undefined;
  }
  const headers = headerRecord(req.rawHeaders);
  let request: Request | undefined;
  return {
    method,
    url,
    headers,
    body: (limit) => (bodylessMethods.has(method) ? Promise.resolve('') : readNodeBody(req, limit)),
    // Built only for a `publicUrl` function or an `onError` hook, without the body the pipeline read.
    request: () => {
      request ??= new Request(url, { method, headers: headersOf(req) });
      return request;
    },
  };
}

function writeAnswer(res: ServerResponse, answer: WebhookAnswer): void {
  if (res.destroyed) return;
  res.statusCode = answer.status;
  for (const name in answer.headers) res.setHeader(name, answer.headers[name]!);
  // As a Fetch `Response` labels a string body given no type.
  if (answer.body && !res.hasHeader('content-type'))
    res.setHeader('content-type', 'text/plain;charset=UTF-8');
  res.end(answer.body);
}

/** Serves a `createWebhookHandler` route straight from node's request: no Fetch objects on the way. */
async function serveRoute(route: WebhookRoute, req: NodeRequest, res: ServerResponse): Promise<void> {
  // Errors after the body is read (a reset connection) are the response's business, not a crash.
  req.on('error', () => undefined);
  const input = nodeInput(req);
  if (!input) {
    req.resume();
    res.statusCode = 400;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(refused);
    return;
  }
  try {
    const answer = await route(input);
    if (isResponse(answer)) await writeResponse(res, answer);
    else writeAnswer(res, answer);
  } finally {
    // Drain what nobody read (a 404 or 413 answered early), so the connection can be reused.
    if (!req.complete) req.resume();
  }
}

async function serve(
  handler: FetchHandler,
  req: NodeRequest,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const built = toRequest(req, signal);
  if (!built) {
    res.statusCode = 400;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(refused);
    return;
  }
  // For per-address limits: the socket's address, or Express's `req.ip` (the host's proxy trust).
  rememberAddress(built.request, req.ip ?? req.socket?.remoteAddress);
  try {
    await writeResponse(res, await handler(built.request));
  } finally {
    if (!req.complete) built.discard();
  }
}
