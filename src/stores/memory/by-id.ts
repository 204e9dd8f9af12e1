import type { Message } from '../../model/records.js';

/**
 * Messages by id. A cold open of a large store loads a million messages, and a Map of a million
 * fresh string keys costs most of a second to build (hashing every key, rehashing as it grows).
 * Ids sort by creation time and a snapshot lists messages in the order they were stored, so the
 * loaded ones arrive in ascending id order: they are kept in that order in an array, found by
 * binary search, and cost one push each. Messages stored after the load, and any loaded out of
 * order, go into a Map.
 */
export class MessagesById {
  /** Loaded messages, by strictly ascending id. */
  private loaded: Message[] = [];
  private readonly added = new Map<string, Message>();

  /** How many messages are held. */
  get size(): number {
    return this.loaded.length + this.added.size;
  }

  /** The message with this id. */
  get(id: string): Message | undefined {
    const i = this.loadedIndex(id);
    return i >= 0 ? this.loaded[i] : this.added.get(id);
  }

  /** Stores a message under its id, replacing the one held. */
  set(id: string, message: Message): void {
    const i = this.loadedIndex(id);
    if (i >= 0) this.loaded[i] = message;
    else this.added.set(id, message);
  }

  /**
   * Adds a message read from a snapshot (ids not held yet): appended to the sorted array while ids
   * ascend, as a snapshot lists them.
   */
  load(message: Message): void {
    const last = this.loaded[this.loaded.length - 1];
    if (last === undefined || last.id < message.id) this.loaded.push(message);
    else this.added.set(message.id, message);
  }

  /** Every message: the loaded ones by id, then the rest in the order they were added. */
  *values(): IterableIterator<Message> {
    yield* this.loaded;
    yield* this.added.values();
  }

  /** The index of the loaded message with this id, or -1. */
  private loadedIndex(id: string): number {
    const list = this.loaded;
    let hi = list.length - 1;
    // A new message's id sorts after every loaded one: the common case is one comparison.
    if (hi < 0 || list[hi]!.id < id) return -1;
    let lo = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = list[mid]!.id;
      if (at < id) lo = mid + 1;
      else if (at > id) hi = mid - 1;
      else return mid;
    }
    return -1;
  }
}
