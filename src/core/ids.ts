const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encodeTime(ms: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = alphabet[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function randomDigits(): number[] {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte & 31);
}

/**
 * Makes a generator of monotonic ULIDs (26 characters, Crockford base32): the first 10 encode the
 * millisecond, so ids sort in creation order; within one millisecond the random part is
 * incremented, so order holds even for ids made in the same millisecond.
 */
export function createIdGenerator(clock: () => number = Date.now): () => string {
  let lastMs = -1;
  let lastTime = '';
  let digits: number[] = [];
  return () => {
    const now = clock();
    if (now > lastMs) {
      lastMs = now;
      lastTime = encodeTime(now);
      digits = randomDigits();
      // Leave headroom so increments within one millisecond never overflow.
      digits[0] = digits[0]! & 15;
    } else {
      let i = digits.length - 1;
      while (i >= 0 && digits[i] === 31) digits[i--] = 0;
      if (i >= 0) digits[i] = digits[i]! + 1;
    }
    let random = '';
    for (const digit of digits) random += alphabet[digit];
    return lastTime + random;
  };
}
