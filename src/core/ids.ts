const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

const digits = Array.from(alphabet, (digit) => digit.charCodeAt(0));

/** Writes `count` base32 digits of `value` into `out` from `at` on, most significant first. */
function writeDigits(out: number[], at: number, count: number, value: number): void {
  let rest = value;
  for (let i = at + count - 1; i >= at; i--) {
    out[i] = digits[rest % 32]!;
    rest = Math.floor(rest / 32);
  }
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
  // The id's character codes: a string made from them at once is flat, where one concatenated
  // from parts is a tree of pieces that costs about twice the memory and slows every Map lookup.
  const codes = new Array<number>(26).fill(0);
  let lastMs = -1;
  let counter = 0;
  return () => {
    const now = clock();
    if (now > lastMs) {
      lastMs = now;
      crypto.getRandomValues(bytes);
      writeDigits(codes, 0, 10, now);
      for (let i = 0; i < 10; i++) codes[10 + i] = digits[bytes[i]! & 31]!;
      counter = counterStart(bytes);
    } else {
      counter++;
    }
    writeDigits(codes, 20, 6, counter);
    return String.fromCharCode.apply(null, codes);
  };
}
