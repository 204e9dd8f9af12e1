/**
 * A bounded set of recently seen webhook tokens (oldest forgotten first), to refuse a replayed
 * request inside the replay window. Per process: run one cache per desk, or accept that a replay
 * to a second process inside the window still passes.
 */
export class TokenCache {
  readonly #seen = new Set<string>();
  readonly #size: number;

  /** @param size how many tokens to remember; 0 remembers none (every token is new). */
  constructor(size: number) {
    this.#size = Math.max(0, Math.floor(size));
  }

  /** Records a token; false when it was already seen. */
  add(token: string): boolean {
    if (this.#size === 0) return true;
    if (this.#seen.has(token)) return false;
    this.#seen.add(token);
    if (this.#seen.size > this.#size) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    return true;
  }
}
