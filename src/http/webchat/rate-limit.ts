import { HttpRefusal } from '../../core/webhook.js';

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept; past this the least recently used one is dropped for each new key. */
const MAX_BUCKETS = 10_000;

/**
 * Per-key token buckets: each key holds up to `capacity` tokens, refilled at `refillPerSec`; a
 * request takes one. Memory stays bounded: past {@link MAX_BUCKETS} keys the least recently used
 * bucket is dropped (it is likely idle, so full anyway). A flood of new keys thus never resets the
 * bucket of a key still in use, as clearing every bucket would.
 */
export class TokenBuckets {
  /** In least-recently-used-first order: a Map iterates in insertion order, and a use re-inserts. */
  private readonly buckets = new Map<string, Bucket>();
  constructor(
    private readonly capacity: number,
    private readonly refillPerSec: number,
    private readonly clock: () => number,
  ) {}

  /** How many buckets are kept now. */
  get size(): number {
    return this.buckets.size;
  }

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

  /** The key's bucket, refilled up to `now` and moved to the most recently used end. */
  private refilled(key: string, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key);
      const elapsed = Math.max(0, now - bucket.at) / 1000;
      bucket.tokens = Math.min(this.capacity, bucket.tokens + elapsed * this.refillPerSec);
      bucket.at = now;
    } else {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
      bucket = { tokens: this.capacity, at: now };
    }
    this.buckets.set(key, bucket);
    return bucket;
  }
}
