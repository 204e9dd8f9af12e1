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
};

/** An answer to a webhook before it becomes a `Response` (or is written to a node:http response). */
export interface WebhookAnswer {
  status: number;
  headers: Record<string, string>;
  /** The body; absent for an empty answer (204, or 200 with nothing to say). */
  body?: string;
}

/** {@link jsonError} as a {@link WebhookAnswer}. */
export function jsonAnswer(
  status: number,
  code: string,
  message: string,
  options: { field?: string; headers?: Record<string, string> } = {},
): WebhookAnswer {
  const error = options.field === undefined ? { code, message } : { code, message, field: options.field };
  return {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...options.headers,
    },
    body: JSON.stringify({ error }),
  };
}

/** The Fetch `Response` of an answer. An empty one has a null body: a string body, even '', makes the runtime build a stream. */
export function answerToResponse(answer: WebhookAnswer): Response {
  const empty = answer.status === 204 || answer.status === 304 || !answer.body;
  return new Response(empty ? null : answer.body, { status: answer.status, headers: answer.headers });
}

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
  return answerToResponse(jsonAnswer(status, code, message, options));
}

/**
 * The statuses a provider's delivery gets. A delivery that lost a race with a concurrent change
 * even after the desk's retries (a store shared by several processes, under contention) is 503,
 * not 409: most providers drop a delivery refused with a 4xx for good, and their retry usually wins.
 */
const webhookStatusByCode: Record<ThreadlineError['code'], number> = { ...statusByCode, CONFLICT: 503 };

/** {@link errorToResponse} as a {@link WebhookAnswer}, with `statuses` by error code. */
function errorAnswer(
  error: unknown,
  logger: Pick<Logger, 'error'>,
  statuses: Record<ThreadlineError['code'], number> = statusByCode,
): WebhookAnswer {
  if (error instanceof HttpRefusal)
    return jsonAnswer(error.status, error.code, error.message, { headers: error.headers });
  if (isThreadlineError(error)) {
    const status = statuses[error.code] ?? 500;
    if (status >= 500) {
      logger.error(`threadline webhook: ${error.name}: ${error.message}`, error);
      return jsonAnswer(status, error.code, 'The service is temporarily unavailable; retry later.', {
        headers: { 'retry-after': '5' },
      });
    }
    const field =
      error instanceof ValidationError || error.name === 'ValidationError' ? fieldOf(error) : undefined;
    return jsonAnswer(status, error.code, error.message, field === undefined ? {} : { field });
  }
  logger.error('threadline webhook: unexpected error', error);
  return jsonAnswer(500, 'INTERNAL', 'Internal error while handling the webhook.');
}

/**
 * Maps an error to the response a webhook caller gets: `HttpRefusal` keeps its status;
 * `ValidationError` 400 (naming `field`), `SignatureError` 401, `NotFoundError` 404,
 * `ConflictError` 409, `PolicyError` 422, `StorageError` 503 (with `Retry-After`); anything else 500
 * with a generic message, logged through `logger` (the stack never reaches the caller).
 */
export function errorToResponse(error: unknown, logger: Pick<Logger, 'error'> = console): Response {
  return answerToResponse(errorAnswer(error, logger));
}

function fieldOf(error: ThreadlineError): string | undefined {
  const field = (error as ValidationError).field;
  return typeof field === 'string' ? field : undefined;
}

/**
 * A webhook as the pipeline sees it, whatever carried it: a Fetch `Request`
 * ({@link requestInput}), or a node:http request read directly by `toNodeListener`.
 */
export interface WebhookInput {
  /** Upper-case method. */
  method: string;
  /** The URL as received (absolute). */
  url: string;
  /** Header values by lower-case name; repeated headers joined with ", " as the Fetch API joins them. */
  headers: Record<string, string>;
  /** Reads the body as UTF-8 text; rejects with a 413 `HttpRefusal` past `limit` bytes, 400 when it cannot be read. */
  body(limit: number): Promise<string>;
  /** The request as a Fetch `Request`, for a `publicUrl` function and the `onError` hook. */
  request(): Request;
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
    throw unreadable();
  }
  return decodeChunks(chunks, total);
}

/** The 413 refusal of a body past `limit` bytes. */
export function tooLarge(limit: number): HttpRefusal {
  return new HttpRefusal(413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${limit} bytes.`);
}

/** The 400 refusal of a body that could not be read to its end (a client gone mid-body). */
export function unreadable(): HttpRefusal {
  return new HttpRefusal(400, 'BAD_REQUEST', 'The request body could not be read.');
}

// ignoreBOM keeps a leading BOM in the text: signatures are computed over the exact bytes.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Decodes body chunks as UTF-8, keeping a leading BOM (signatures cover the exact bytes). */
export function decodeChunks(chunks: readonly Uint8Array[], total: number): string {
  if (chunks.length === 1) return decoder.decode(chunks[0]);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decoder.decode(bytes);
}

/** A Fetch `Request` as a {@link WebhookInput}. */
export function requestInput(request: Request): WebhookInput {
  return {
    method: request.method.toUpperCase(),
    url: request.url,
    headers: headersOf(request),
    body: (limit) => readBody(request, limit),
    request: () => request,
  };
}

/** The URL the provider signed: the URL as received, or rebuilt from `publicUrl`. */
function publicUrlOf(input: WebhookInput, publicUrl: WebhookOptions['publicUrl']): string {
  if (publicUrl === undefined) return input.url;
  if (typeof publicUrl === 'function') return publicUrl(input.request());
  const url = new URL(input.url);
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

function replyAnswer(reply: WebhookReply): WebhookAnswer {
  const headers: Record<string, string> = reply.contentType ? { 'content-type': reply.contentType } : {};
  return reply.body ? { status: reply.status, headers, body: reply.body } : { status: reply.status, headers };
}

const OK: WebhookAnswer = Object.freeze({ status: 200, headers: Object.freeze({}) }) as WebhookAnswer;

function loggerOf(desk: Desk, options: WebhookOptions): Pick<Logger, 'error'> {
  if (options.logger) return options.logger;
  const own = (desk as Desk & { logger?: Pick<Logger, 'error'> }).logger;
  return own && typeof own.error === 'function' ? own : console;
}

async function runPipeline(
  desk: Desk,
  channelId: string,
  input: WebhookInput,
  options: WebhookOptions,
): Promise<WebhookAnswer> {
  const adapter = desk.channels.get(channelId) as ChannelAdapter | undefined;
  if (!adapter) throw new HttpRefusal(404, 'NOT_FOUND', `No channel with id ${JSON.stringify(channelId)}.`);
  const body = await input.body(adapter.maxBodyBytes ?? options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  const raw: RawRequest = {
    method: input.method,
    url: publicUrlOf(input, options.publicUrl),
    headers: input.headers,
    body,
  };
  const challenge = await adapter.handshake?.(raw);
  if (challenge) return replyAnswer(challenge);
  assertMethod(adapter, input.method);
  assertContentType(adapter, raw);
  await adapter.verify(raw);
  const events = await adapter.parse(raw);
  await desk.ingest(adapter.id, events);
  return adapter.acknowledge ? replyAnswer(adapter.acknowledge(raw, events)) : OK;
}

/**
 * {@link handleWebhook} over any {@link WebhookInput}: the answer, or the `Response` an `onError`
 * hook chose. Never throws.
 */
export async function answerWebhook(
  desk: Desk,
  channelId: string,
  input: WebhookInput,
  options: WebhookOptions,
): Promise<WebhookAnswer | Response> {
  try {
    return await runPipeline(desk, channelId, input, options);
  } catch (error) {
    const logger = loggerOf(desk, options);
    const custom = await customResponse(error, input, options, logger);
    return custom ?? errorAnswer(error, logger, webhookStatusByCode);
  }
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
  const answer = await answerWebhook(desk, channelId, requestInput(request), options);
  return isResponse(answer) ? answer : answerToResponse(answer);
}

/** Whether an answer is a `Response` (an `onError` hook's) rather than a {@link WebhookAnswer}. */
export function isResponse(answer: WebhookAnswer | Response): answer is Response {
  return typeof (answer as Response).arrayBuffer === 'function';
}

async function customResponse(
  error: unknown,
  input: WebhookInput,
  options: WebhookOptions,
  logger: Pick<Logger, 'error'>,
): Promise<Response | undefined> {
  if (!options.onError) return undefined;
  try {
    return (await options.onError(error, input.request())) ?? undefined;
  } catch (hookError) {
    logger.error('threadline webhook: onError threw', hookError);
    return undefined;
  }
}
