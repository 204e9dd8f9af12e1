/** Reconnect and retry pacing. */
export interface BackoffOptions {
  /** First delay ceiling in ms. Default 500. */
  baseMs?: number;
  /** Largest delay ceiling in ms. Default 30 000. */
  maxMs?: number;
}

/**
 * Exponential backoff with "equal jitter": the ceiling doubles per attempt up to `maxMs`, and the
 * delay is drawn from its upper half, so clients that dropped together do not return together.
 */
export function backoffDelay(attempt: number, { baseMs = 500, maxMs = 30_000 }: BackoffOptions = {}): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}
