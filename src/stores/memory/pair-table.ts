/** The fewest slots a table holds; a power of two, as every capacity is. */
const MIN_CAPACITY = 16;
/** The table grows when more than this share of its slots would be taken. */
const MAX_LOAD = 0.75;
/** FNV-1a's 32-bit prime. */
const PRIME = 0x01000193;
/** Mixed in between the two strings of a key: no UTF-16 code unit equals it. */
const SEPARATOR = 0x10000;

/**
 * A hash table keyed by a pair of strings (a channel and a provider id, a brand and an identity
 * key), for the indexes of the memory state that hold an entry per message or identity.
 *
 * A `Map` keyed by a fresh string costs several cache misses per lookup once it outgrows the CPU
 * caches: its bucket, then each entry of the bucket's chain and each entry's key string, which it
 * reads to compare. A receive looks up a key it has never seen (a new provider id) and then adds
 * it. Here the slots are open-addressed with linear probing, and each slot's 32-bit hash sits in a
 * typed array: a probe reads a run of adjacent hashes, usually one cache line, and compares the
 * strings only where the full hash matches. The slot a missing key would take is where the probe
 * stopped, so adding it right after costs nothing more.
 *
 * The hash is FNV-1a with a random per-table start and a final mix (MurmurHash3's), so keys chosen
 * to collide in one process do not collide in another. Deletion shifts later entries of a run
 * back, so no tombstones pile up.
 */
export class PairTable<V> {
  private hashes = new Int32Array(MIN_CAPACITY);
  private firsts: (string | undefined)[] = new Array(MIN_CAPACITY).fill(undefined);
  private seconds: (string | undefined)[] = new Array(MIN_CAPACITY).fill(undefined);
  private values: (V | undefined)[] = new Array(MIN_CAPACITY).fill(undefined);
  private count = 0;
  private readonly seed = (Math.random() * 0x100000000) | 0;

  /** `hash` replaces the table's own (tests give one that collides); it must not return 0. */
  constructor(private readonly hash?: (first: string, second: string) => number) {}

  /** How many keys are held. */
  get size(): number {
    return this.count;
  }

  /** The value held under the pair, if any. */
  get(first: string, second: string): V | undefined {
    const slot = this.slotOf(first, second, this.hashOf(first, second));
    return slot >= 0 ? this.values[slot] : undefined;
  }

  /** Holds `value` under the pair, replacing any held. */
  set(first: string, second: string, value: V): void {
    const hash = this.hashOf(first, second);
    let slot = this.slotOf(first, second, hash);
    if (slot >= 0) {
      this.values[slot] = value;
      return;
    }
    if (this.count + 1 > this.hashes.length * MAX_LOAD) {
      this.grow();
      slot = this.slotOf(first, second, hash);
    }
    this.place(~slot, hash, first, second, value);
    this.count++;
  }

  /** Drops the pair, if held. */
  delete(first: string, second: string): void {
    let hole = this.slotOf(first, second, this.hashOf(first, second));
    if (hole < 0) return;
    const { hashes } = this;
    const mask = hashes.length - 1;
    // Every later entry of the run whose probe passed the hole moves into it, leaving a new hole.
    for (let next = (hole + 1) & mask; hashes[next] !== 0; next = (next + 1) & mask) {
      const home = hashes[next]! & mask;
      if (((next - home) & mask) < ((next - hole) & mask)) continue;
      this.place(hole, hashes[next]!, this.firsts[next], this.seconds[next], this.values[next]);
      hole = next;
    }
    this.place(hole, 0, undefined, undefined, undefined);
    this.count--;
  }

  /** The slot holding the pair, or `~slot` of the empty slot where it would go. */
  private slotOf(first: string, second: string, hash: number): number {
    const { hashes } = this;
    const mask = hashes.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = hashes[slot];
      if (at === 0) return ~slot;
      if (at === hash && this.seconds[slot] === second && this.firsts[slot] === first) return slot;
    }
  }

  private place(
    slot: number,
    hash: number,
    first: string | undefined,
    second: string | undefined,
    value: V | undefined,
  ): void {
    this.hashes[slot] = hash;
    this.firsts[slot] = first;
    this.seconds[slot] = second;
    this.values[slot] = value;
  }

  /** Doubles the slots and places every entry again (the hashes are kept: no string is read). */
  private grow(): void {
    const { hashes, firsts, seconds, values } = this;
    const capacity = hashes.length * 2;
    const mask = capacity - 1;
    this.hashes = new Int32Array(capacity);
    this.firsts = new Array(capacity).fill(undefined);
    this.seconds = new Array(capacity).fill(undefined);
    this.values = new Array(capacity).fill(undefined);
    for (let from = 0; from < hashes.length; from++) {
      const hash = hashes[from]!;
      if (hash === 0) continue;
      let slot = hash & mask;
      while (this.hashes[slot] !== 0) slot = (slot + 1) & mask;
      this.place(slot, hash, firsts[from], seconds[from], values[from]);
    }
  }

  /** The pair's hash: never 0, which marks an empty slot. */
  private hashOf(first: string, second: string): number {
    if (this.hash !== undefined) return this.hash(first, second);
    let hash = this.seed;
    for (let i = 0; i < first.length; i++) hash = Math.imul(hash ^ first.charCodeAt(i), PRIME);
    hash = Math.imul(hash ^ SEPARATOR, PRIME);
    for (let i = 0; i < second.length; i++) hash = Math.imul(hash ^ second.charCodeAt(i), PRIME);
    hash ^= hash >>> 16;
    hash = Math.imul(hash, 0x85ebca6b);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    hash ^= hash >>> 16;
    return hash === 0 ? 1 : hash;
  }
}
