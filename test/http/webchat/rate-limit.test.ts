import { describe, expect, it } from 'vitest';
import { HttpRefusal } from '../../../src/core/webhook.js';
import { TokenBuckets } from '../../../src/http/webchat/rate-limit.js';

const limited = (buckets: TokenBuckets, key: string) => {
  try {
    buckets.take(key, 'requests');
    return false;
  } catch (error) {
    if (error instanceof HttpRefusal && error.status === 429) return true;
    throw error;
  }
};

describe('TokenBuckets', () => {
  it('past 10 000 keys it drops the least recently used ones: no reset for anyone still active', () => {
    const buckets = new TokenBuckets(1, 0.001, () => 0);
    expect(limited(buckets, 'abuser')).toBe(false);
    expect(limited(buckets, 'abuser')).toBe(true);
    for (let i = 0; i < 25_000; i++) {
      expect(limited(buckets, `cycled-${i}`)).toBe(false);
      if (i % 500 === 0) expect(limited(buckets, 'abuser')).toBe(true);
      expect(buckets.size).toBeLessThanOrEqual(10_000);
    }
    expect(limited(buckets, 'abuser')).toBe(true);
    expect(limited(buckets, 'cycled-0')).toBe(false); // long unused: dropped, and so full again
  });
});
