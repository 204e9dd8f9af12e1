import { HttpRefusal } from '../../core/webhook.js';

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept before idle (full) ones are dropped. */
const PRUNE_AT = 10_000;

/**
 * Per-key token buckets: each key holds up to `capacity` tokens, refilled at `refillPerSec`; a
 * request takes one. Memory stays bounded: full buckets (idle keys) are dropped when many exist.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  constructor(
    private readonly capacity: number,
    private readonly refillPerSec: number,
    private readonly clock: () => number,
  ) {}

  /** Takes a token for `key`, or throws a 429 refusal with `Retry-After` (whole seconds). */
  take(key: string, what: string): void {
    const now = this.clock();
    const bucket = this.refilled(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const waitSec = Math.max(1, Math.ceil((1 - bucket.tokens) / this.refillPerSec));
    throw new HttpRefusal(429, 'RATE_LIMITED', `Too many ${what}; retry in ${waitSec} s.`, {
      'retry-after': String(waitSec),
    });
  }

  private refilled(key: string, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= PRUNE_AT) this.prune(now);
      bucket = { tokens: this.capacity, at: now };
      this.buckets.set(key, bucket);
      return bucket;
    }
    const elapsed = Math.max(0, now - bucket.at) / 1000;
    bucket.tokens = Math.min(this.capacity, bucket.tokens + elapsed * this.refillPerSec);
    bucket.at = now;
    return bucket;
  }

  private prune(now: number): void {
    const fullAfterSec = this.capacity / this.refillPerSec;
    for (const [key, bucket] of this.buckets) {
      if ((now - bucket.at) / 1000 >= fullAfterSec) this.buckets.delete(key);
    }
    // Under a flood of distinct keys nothing is idle yet: start over rather than grow without bound.
    if (this.buckets.size >= PRUNE_AT) this.buckets.clear();
  }
}
