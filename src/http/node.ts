// Types only: this module must stay importable where `node:http` does not exist (edge runtimes).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FetchHandler } from './handler.js';

/** An incoming request as Express hands it over: `originalUrl` and a body a body parser may have read. */
export type NodeRequest = IncomingMessage & { originalUrl?: string; body?: unknown };

/** A `node:http` request listener that is also an Express middleware (`next` receives unexpected errors). */
export type NodeListener = (req: NodeRequest, res: ServerResponse, next?: (error?: unknown) => void) => void;

const bodylessMethods = new Set(['GET', 'HEAD']);

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
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      if (!res.write(value)) await drained(res);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
    if (!res.destroyed) res.end();
  }
}

const refused = JSON.stringify({ error: { code: 'BAD_REQUEST', message: 'The request could not be read.' } });

/**
 * Adapts a Fetch-API handler (such as `createWebhookHandler(desk)`) to a `node:http` request
 * listener, usable as `http.createServer(listener)` or as an Express route or middleware.
 *
 * It builds a `Request` from the `IncomingMessage` (streaming the body with `duplex: 'half'`;
 * taking a body `express.raw()` or `express.text()` already read; `req.originalUrl` so Express
 * mounts keep their full path), then writes the status, headers (several `Set-Cookie` kept) and
 * streamed body back. A client that aborts aborts the request's signal and never crashes the
 * process. An error thrown by `handler` goes to Express's `next`, or becomes a 500.
 *
 * @example
 * ```ts
 * http.createServer(toNodeListener(createWebhookHandler(desk))).listen(3000);
 * app.post('/webhooks/:channel', toNodeListener(createWebhookHandler(desk)));
 * ```
 */
export function toNodeListener(handler: FetchHandler): NodeListener {
  return (req, res, next) => {
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    res.on('error', () => undefined);
    serve(handler, req, res, abort.signal).catch((error: unknown) => {
      if (next) return next(error);
      if (res.headersSent) return res.destroy();
      res.statusCode = 500;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'Internal error.' } }));
    });
  };
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
  try {
    await writeResponse(res, await handler(built.request));
  } finally {
    if (!req.complete) built.discard();
  }
}
