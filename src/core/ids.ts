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

function randomPart(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  // The first digit stays below 16, leaving headroom so increments within one millisecond never overflow.
  let out = alphabet[bytes[0]! & 15]!;
  for (let i = 1; i < 16; i++) out += alphabet[bytes[i]! & 31];
  return out;
}

/** Adds one to a base32 string, carrying leftwards. */
function increment(value: string): string {
  let i = value.length - 1;
  while (i >= 0 && value[i] === 'Z') i--;
  if (i < 0) return value;
  const next = alphabet[alphabet.indexOf(value[i]!) + 1]!;
  return value.slice(0, i) + next + '0'.repeat(value.length - i - 1);
}

/**
 * Makes a generator of monotonic ULIDs (26 characters, Crockford base32): the first 10 encode the
 * millisecond, so ids sort in creation order; within one millisecond the random part is
 * incremented, so order holds even for ids made in the same millisecond.
 */
export function createIdGenerator(clock: () => number = Date.now): () => string {
  let lastMs = -1;
  let lastTime = '';
  let random = '';
  return () => {
    const now = clock();
    if (now > lastMs) {
      lastMs = now;
      lastTime = encodeTime(now);
      random = randomPart();
    } else {
      random = increment(random);
    }
    return lastTime + random;
  };
}
