/**
 * A bounded map of recently seen webhook tokens to the digest of the body each came with (oldest
 * forgotten first), to refuse a replayed request inside the replay window. A token seen again
 * with the same body is the provider retrying a delivery that was not acknowledged (the store
 * then recognizes the message); with another body it is a captured signature reused on forged
 * content, which the signature alone cannot catch when it does not cover the body (Mailgun's).
 * Per process: run one cache per desk, or accept that a replay to a second process inside the
 * window still passes.
 */
export class TokenCache {
  readonly #seen = new Map<string, string>();
  readonly #size: number;

  /** @param size how many tokens to remember; 0 remembers none (every token is new). */
  constructor(size: number) {
    this.#size = Math.max(0, Math.floor(size));
  }

  /** Records a token with its body's digest; false when the token was seen with another body. */
  add(token: string, digest: string): boolean {
    if (this.#size === 0) return true;
    const seen = this.#seen.get(token);
    if (seen !== undefined) return seen === digest;
    this.#seen.set(token, digest);
    if (this.#seen.size > this.#size) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    return true;
  }
}
