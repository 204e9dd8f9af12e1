import { isThreadlineError, type ThreadlineError, ValidationError } from '../model/errors.js';
import type { ChannelAdapter, RawRequest, WebhookReply } from './channel.js';
import type { Desk, Logger } from './types.js';

/** Options of {@link handleWebhook} (and of `createWebhookHandler` in `threadline/http`). */
export interface WebhookOptions {
  /** Largest body accepted, in bytes; a larger one is answered 413 before it is read to the end. Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * The public URL the provider called, for signatures computed over the URL (Twilio) when the
   * app runs behind a proxy or tunnel that rewrites it. A string is a base that replaces the
   * request's origin (a path in it is kept as a prefix: `https://example.com/api`); a function
   * receives the request and returns the full URL. Default: `request.url` as received.
   */
  publicUrl?: string | ((request: Request) => string);
  /**
   * Called with every error thrown while handling a webhook, before it becomes a response.
   * Return a `Response` to answer with it instead of the default JSON error.
   */
  onError?: (error: unknown, request: Request) => Response | undefined | Promise<Response | undefined>;
  /** Where unexpected (500) errors are logged. Default: the desk's logger when it exposes one, else `console`. */
  logger?: Pick<Logger, 'error'>;
}

/** Content types an adapter accepts unless it declares its own `contentTypes`. */
export const DEFAULT_CONTENT_TYPES: readonly string[] = [
  'application/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
];

/** Default `maxBodyBytes`: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * An HTTP-level refusal with its status and JSON error code, thrown inside the webhook pipeline
 * and turned into a response by {@link errorToResponse}.
 */
export class HttpRefusal extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpRefusal';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

const statusByCode: Record<ThreadlineError['code'], number> = {
  VALIDATION: 400,
  SIGNATURE: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  POLICY: 422,
  STORAGE: 503,
  DELIVERY: 500,
  CLOSED: 503,
};

/**
 * A JSON error response: `{ "error": { "code", "message", "field"? } }` with
 * `Cache-Control: no-store`.
 */
export function jsonError(
  status: number,
  code: string,
  message: string,
  options: { field?: string; headers?: Record<string, string> } = {},
): Response {
  const error = options.field === undefined ? { code, message } : { code, message, field: options.field };
  return new Response(JSON.stringify({ error }), {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...options.headers,
    },
  });
}

/**
 * Maps an error to the response a webhook caller gets: `HttpRefusal` keeps its status;
 * `ValidationError` 400 (naming `field`), `SignatureError` 401, `NotFoundError` 404,
 * `ConflictError` 409, `PolicyError` 422, `StorageError` and `CLOSED` 503; anything else 500
 * with a generic message, logged through `logger` (the stack never reaches the caller).
 */
export function errorToResponse(error: unknown, logger: Pick<Logger, 'error'> = console): Response {
  if (error instanceof HttpRefusal)
    return jsonError(error.status, error.code, error.message, { headers: error.headers });
  if (isThreadlineError(error)) {
    const status = statusByCode[error.code] ?? 500;
    if (status >= 500) {
      logger.error(`threadline webhook: ${error.name}: ${error.message}`, error);
      return jsonError(status, error.code, 'The service is temporarily unavailable; retry later.', {
        headers: { 'retry-after': '5' },
      });
    }
    const field =
      error instanceof ValidationError || error.name === 'ValidationError' ? fieldOf(error) : undefined;
    return jsonError(status, error.code, error.message, field === undefined ? {} : { field });
  }
  logger.error('threadline webhook: unexpected error', error);
  return jsonError(500, 'INTERNAL', 'Internal error while handling the webhook.');
}

function fieldOf(error: ThreadlineError): string | undefined {
  const field = (error as ValidationError).field;
  return typeof field === 'string' ? field : undefined;
}

/** Reads the body as UTF-8 text, refusing (413) past `limit` bytes whatever Content-Length claims. */
async function readBody(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  if (!request.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof HttpRefusal) throw error;
    throw new HttpRefusal(400, 'BAD_REQUEST', 'The request body could not be read.');
  }
  return decodeChunks(chunks, total);
}

function tooLarge(limit: number): HttpRefusal {
  return new HttpRefusal(413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${limit} bytes.`);
}

// ignoreBOM keeps a leading BOM in the text: signatures are computed over the exact bytes.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function decodeChunks(chunks: Uint8Array[], total: number): string {
  if (chunks.length === 1) return decoder.decode(chunks[0]);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decoder.decode(bytes);
}

/** The URL the provider signed: `request.url`, or rebuilt from `publicUrl`. */
export function publicUrlOf(request: Request, publicUrl: WebhookOptions['publicUrl']): string {
  if (publicUrl === undefined) return request.url;
  if (typeof publicUrl === 'function') return publicUrl(request);
  const url = new URL(request.url);
  return `${publicUrl.replace(/\/+$/, '')}${url.pathname}${url.search}`;
}

function headersOf(request: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  return headers;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function assertMethod(adapter: ChannelAdapter, method: string): void {
  if (method === 'POST') return;
  const allow = adapter.handshake ? 'GET, POST' : 'POST';
  throw new HttpRefusal(405, 'METHOD_NOT_ALLOWED', `Method ${method} is not allowed; use POST.`, { allow });
}

function assertContentType(adapter: ChannelAdapter, raw: RawRequest): void {
  const accepted = adapter.contentTypes ?? DEFAULT_CONTENT_TYPES;
  const given = mediaType(raw.headers['content-type']);
  if (accepted.includes(given)) return;
  const shown = given === '' ? 'none' : given;
  throw new HttpRefusal(
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    `Content type ${shown} is not accepted; send ${accepted.join(', ')}.`,
  );
}

function replyToResponse(reply: WebhookReply): Response {
  const headers: Record<string, string> = reply.contentType ? { 'content-type': reply.contentType } : {};
  // An empty answer is sent with a null body: a string body, even '', makes the runtime build a stream.
  const empty = reply.status === 204 || reply.status === 304 || !reply.body;
  return new Response(empty ? null : reply.body, { status: reply.status, headers });
}

function loggerOf(desk: Desk, options: WebhookOptions): Pick<Logger, 'error'> {
  if (options.logger) return options.logger;
  const own = (desk as Desk & { logger?: Pick<Logger, 'error'> }).logger;
  return own && typeof own.error === 'function' ? own : console;
}

async function runPipeline(
  desk: Desk,
  channelId: string,
  request: Request,
  options: WebhookOptions,
): Promise<Response> {
  const adapter = desk.channels.get(channelId) as ChannelAdapter | undefined;
  if (!adapter) throw new HttpRefusal(404, 'NOT_FOUND', `No channel with id ${JSON.stringify(channelId)}.`);
  const body = await readBody(
    request,
    adapter.maxBodyBytes ?? options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  );
  const method = request.method.toUpperCase();
  const raw: RawRequest = {
    method,
    url: publicUrlOf(request, options.publicUrl),
    headers: headersOf(request),
    body,
  };
  const challenge = await adapter.handshake?.(raw);
  if (challenge) return replyToResponse(challenge);
  assertMethod(adapter, method);
  assertContentType(adapter, raw);
  await adapter.verify(raw);
  const events = await adapter.parse(raw);
  await desk.ingest(adapter.id, events);
  return adapter.acknowledge
    ? replyToResponse(adapter.acknowledge(raw, events))
    : new Response(null, { status: 200 });
}

/**
 * Handles one provider webhook for the channel `channelId`: reads the body (at most
 * `maxBodyBytes`), answers a handshake (`adapter.handshake`), requires POST (405 with `Allow`)
 * and an accepted content type (415), verifies the signature (401), parses (400 naming the
 * field), ingests the events into the desk and answers as the adapter wants (default 200 empty).
 * A provider's retry of a delivery already stored is answered 200 and stores nothing new.
 *
 * Uses the Fetch API only, so it runs in Node, Deno, Bun and edge runtimes. It never throws: every
 * failure becomes a JSON error response (see {@link errorToResponse}).
 *
 * @example
 * ```ts
 * const response = await handleWebhook(desk, 'twilio-sms', request, { publicUrl: 'https://example.com' });
 * ```
 */
export async function handleWebhook(
  desk: Desk,
  channelId: string,
  request: Request,
  options: WebhookOptions = {},
): Promise<Response> {
  try {
    return await runPipeline(desk, channelId, request, options);
  } catch (error) {
    const logger = loggerOf(desk, options);
    const custom = await customResponse(error, request, options, logger);
    return custom ?? errorToResponse(error, logger);
  }
}

async function customResponse(
  error: unknown,
  request: Request,
  options: WebhookOptions,
  logger: Pick<Logger, 'error'>,
): Promise<Response | undefined> {
  if (!options.onError) return undefined;
  try {
    return (await options.onError(error, request)) ?? undefined;
  } catch (hookError) {
    logger.error('threadline webhook: onError threw', hookError);
    return undefined;
  }
}
