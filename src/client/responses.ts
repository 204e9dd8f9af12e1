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

/** The `error` of a refusal's JSON body. */
interface RefusalDetail {
  code?: string;
  message?: string;
  field?: string;
}

/**
 * A DeliveryError for a non-2xx answer, carrying the server's `{ error: { code, message, field } }`
 * message and code when the body has them.
 */
export async function refusal(response: Response, what: string): Promise<DeliveryError> {
  // Not JSON (a proxy's error page): the status alone describes it.
  const body = (await response.json().catch(() => undefined)) as { error?: RefusalDetail } | null | undefined;
  const detail = body?.error ?? {};
  const field = detail.field ? ` (${detail.field})` : '';
  return new DeliveryError(`${what} failed with status ${response.status}: ${detail.message ?? ''}${field}`, {
    retryable: isRetryableStatus(response.status),
    status: response.status,
    retryAfterMs: retryAfterMs(response),
    providerCode: detail.code,
  });
}
