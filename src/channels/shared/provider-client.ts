import ky, { HTTPError, type KyInstance, type Options, TimeoutError } from 'ky';
import { DeliveryError } from '../../model/errors.js';

/** How outbound requests to a provider retry and time out. */
export interface DeliveryOptions {
  /** Per-attempt timeout in ms. Default 10 000. */
  timeoutMs?: number;
  /** Attempts after the first, on network errors, timeouts, 429 and 5xx. Default 3. */
  retries?: number;
  /** Longest backoff between attempts in ms (before jitter). Default 5 000. */
  backoffLimitMs?: number;
  /** Longest Retry-After we wait inside one send; longer ones go back to the outbox. Default 30 000. */
  maxRetryAfterMs?: number;
  /** A `fetch` to use instead of the global one (tests, proxies, edge runtimes). */
  fetch?: typeof fetch;
}

/** Options for {@link createProviderClient}. */
export interface ProviderClientOptions extends DeliveryOptions {
  /** The provider's API base URL. Overridable so tests and proxies can point elsewhere. */
  baseUrl: string;
  /** Channel id, for error messages. */
  channel: string;
  headers?: Record<string, string>;
}

const retryStatusCodes = [408, 425, 429, 500, 502, 503, 504];
/** Statuses whose Retry-After ky honours between in-send attempts. */
const afterStatusCodes = [413, 429, 503];
/** Most bytes of an error answer read for its message and code: the rest of a huge page is never needed. */
const MAX_ERROR_BODY = 64 * 1024;
/** ky's threshold above which a numeric Retry-After is an epoch time, not a delay. */
const EPOCH_THRESHOLD = Date.parse('2024-01-01');

/**
 * A ky instance for one provider: timeouts, retries with exponential backoff and full jitter on
 * network errors, 429 (honouring Retry-After) and 5xx, never on other 4xx. POST is retried too:
 * every adapter sends an idempotency key or relies on a provider-side dedupe id.
 */
export function createProviderClient(options: ProviderClientOptions): KyInstance {
  const maxRetryAfter = options.maxRetryAfterMs ?? 30_000;
  const kyOptions: Options = {
    prefixUrl: options.baseUrl,
    timeout: options.timeoutMs ?? 10_000,
    headers: options.headers,
    throwHttpErrors: true,
    retry: {
      limit: options.retries ?? 3,
      methods: ['get', 'post', 'put', 'delete'],
      statusCodes: retryStatusCodes,
      afterStatusCodes,
      maxRetryAfter,
      backoffLimit: options.backoffLimitMs ?? 5_000,
      jitter: true,
      retryOnTimeout: true,
      shouldRetry: ({ error }) => retryAfterVerdict(error, maxRetryAfter),
    },
  };
  if (options.fetch) kyOptions.fetch = options.fetch;
  return ky.create(kyOptions);
}

/**
 * ky waits `maxRetryAfter` (rather than giving up) when a Retry-After is longer than it or cannot
 * be read at all. A longer wait goes back to the outbox instead (`DeliveryError.retryAfterMs`), and
 * an unreadable header is ignored: the usual backoff applies. Clients that extend the provider
 * client with a `shouldRetry` of their own call it for the cases they leave to it.
 */
export function retryAfterVerdict(error: Error, maxRetryAfter: number): boolean | undefined {
  if (!(error instanceof HTTPError)) return undefined;
  const { status, headers } = error.response;
  if (!retryStatusCodes.includes(status) || !afterStatusCodes.includes(status)) return undefined;
  if (!headers.get('retry-after')) return undefined;
  const wait = retryAfterMs(error.response);
  if (wait === undefined) return true;
  return wait > maxRetryAfter ? false : undefined;
}

/** A Retry-After in ms from now: delay-seconds, an HTTP-date, or (as ky reads it) an epoch in seconds. */
function retryAfterMs(response: Response): number | undefined {
  const header = response.headers.get('retry-after')?.trim();
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) {
    const ms = seconds * 1000;
    return Math.max(0, ms >= EPOCH_THRESHOLD ? ms - Date.now() : ms);
  }
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * Reads at most {@link MAX_ERROR_BODY} bytes of an error answer, giving up after `ms`: ky's timeout
 * ends with the headers, and a body that never ends must not hang the send.
 */
async function readErrorBody(response: Response, ms: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    while (size < MAX_ERROR_BODY) {
      const next = await Promise.race([reader.read(), late]);
      if (!next || next.done) break;
      size += next.value.byteLength;
      text += decoder.decode(next.value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => undefined);
  }
  return text + decoder.decode();
}

/**
 * Runs one provider request and turns every failure into a {@link DeliveryError}: retryable for
 * network errors, timeouts, 429 and 5xx (after ky's own retries ran out), final for other 4xx.
 * `describe` extracts the provider's error code and message from its error body.
 */
export async function deliver<T>(
  channel: string,
  request: () => Promise<T>,
  describe: (body: unknown) => { code?: string; message?: string } = () => ({}),
): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof HTTPError) {
      const { response } = error;
      let body: unknown;
      try {
        // ky keeps the per-attempt timeout among the options, though its type does not list it.
        const { timeout } = error.options as { timeout?: unknown };
        const text = await readErrorBody(response, typeof timeout === 'number' ? timeout : 10_000);
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      } catch {
        body = undefined;
      }
      const described = describe(body);
      const status = response.status;
      const retryable = retryStatusCodes.includes(status);
      const detail =
        described.message ?? (typeof body === 'string' && body ? body.slice(0, 200) : response.statusText);
      const details: ConstructorParameters<typeof DeliveryError>[1] = { retryable, status, cause: error };
      const wait = retryAfterMs(response);
      if (wait !== undefined) details.retryAfterMs = wait;
      if (described.code !== undefined) details.providerCode = described.code;
      throw new DeliveryError(`${channel}: provider answered ${status}: ${detail}`, details);
    }
    if (error instanceof TimeoutError) {
      throw new DeliveryError(`${channel}: request timed out`, { retryable: true, cause: error });
    }
    if (error instanceof DeliveryError) throw error;
    if (error instanceof SyntaxError) {
      // A 2xx whose body is not JSON (a proxy's or captive portal's page): the provider did not
      // answer, and sending the same request again would get the same page.
      throw new DeliveryError(`${channel}: the provider's answer is not JSON: ${error.message}`, {
        retryable: false,
        cause: error,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new DeliveryError(`${channel}: network error: ${message}`, { retryable: true, cause: error });
  }
}
