const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Every 10-bit value as its two base32 digits, so the counter encodes with three lookups. */
const pairs = Array.from({ length: 1024 }, (_, i) => alphabet[i >> 5]! + alphabet[i & 31]!);

function encodeTime(ms: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = alphabet[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** Ten random base32 digits (50 bits). */
function randomDigits(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < 10; i++) out += alphabet[bytes[i]! & 31];
  return out;
}

/** A random 26-bit start for the 30-bit counter: room for a billion more ids in one millisecond. */
const counterStart = (bytes: Uint8Array) =>
  ((bytes[10]! << 21) | (bytes[11]! << 13) | (bytes[12]! << 5)) >>> 3;

/**
 * Makes a generator of monotonic ULIDs (26 characters, Crockford base32): the first 10 encode the
 * millisecond, so ids sort in creation order, and the 16 random ones are drawn once per
 * millisecond and then incremented (their last six digits are a counter that starts at a random
 * value below 2^26), so order holds for ids made in the same millisecond, or after
 * the clock steps back.
 */
export function createIdGenerator(clock: () => number = Date.now): () => string {
  const bytes = new Uint8Array(13);
  let lastMs = -1;
  let head = '';
  let counter = 0;
  return () => {
    const now = clock();
    if (now > lastMs) {
      lastMs = now;
      crypto.getRandomValues(bytes);
      head = encodeTime(now) + randomDigits(bytes);
      counter = counterStart(bytes);
    } else {
      counter++;
    }
    return head + pairs[counter >>> 20]! + pairs[(counter >>> 10) & 1023]! + pairs[counter & 1023]!;
  };
}
