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

/**
 * A ky instance for one provider: timeouts, retries with exponential backoff and full jitter on
 * network errors, 429 (honouring Retry-After) and 5xx, never on other 4xx. POST is retried too:
 * every adapter sends an idempotency key or relies on a provider-side dedupe id.
 */
export function createProviderClient(options: ProviderClientOptions): KyInstance {
  const kyOptions: Options = {
    prefixUrl: options.baseUrl,
    timeout: options.timeoutMs ?? 10_000,
    headers: options.headers,
    throwHttpErrors: true,
    retry: {
      limit: options.retries ?? 3,
      methods: ['get', 'post', 'put', 'delete'],
      statusCodes: retryStatusCodes,
      afterStatusCodes: [413, 429, 503],
      maxRetryAfter: options.maxRetryAfterMs ?? 30_000,
      backoffLimit: options.backoffLimitMs ?? 5_000,
      jitter: true,
      retryOnTimeout: true,
    },
  };
  if (options.fetch) kyOptions.fetch = options.fetch;
  return ky.create(kyOptions);
}

function retryAfterMs(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
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
        const text = await response.text();
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
    const message = error instanceof Error ? error.message : String(error);
    throw new DeliveryError(`${channel}: network error: ${message}`, { retryable: true, cause: error });
  }
}
