import { DeliveryError } from '../model/errors.js';

/** Whether a failed answer is worth retrying later (timeouts, rate limits, server errors). */
export const isRetryableStatus = (status: number): boolean =>
  status === 408 || status === 429 || status >= 500;

/** The `Retry-After` header (seconds or an HTTP date) in ms, when present. */
export function retryAfterMs(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

/**
 * A DeliveryError for a non-2xx answer, carrying the server's `{ error: { code, message, field } }`
 * message and code when the body has them.
 */
export async function refusal(response: Response, what: string): Promise<DeliveryError> {
  let detail: { code?: string; message?: string; field?: string } = {};
  try {
    detail = ((await response.json()) as { error?: typeof detail }).error ?? {};
  } catch {
    // Not JSON (a proxy's error page): the status alone describes it.
  }
  const field = detail.field ? ` (${detail.field})` : '';
  return new DeliveryError(`${what} failed with status ${response.status}: ${detail.message ?? ''}${field}`, {
    retryable: isRetryableStatus(response.status),
    status: response.status,
    retryAfterMs: retryAfterMs(response),
    providerCode: detail.code,
  });
}

/** Wraps a fetch failure (offline, DNS, timeout) as a retryable DeliveryError. */
export const networkFailure = (what: string, cause: unknown): DeliveryError =>
  new DeliveryError(`${what} failed: the network is unreachable`, { retryable: true, cause });
