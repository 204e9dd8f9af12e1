import type { Message } from '../../model/records.js';

/**
 * Messages by id. Ids sort by creation time, and messages mostly arrive in that order: a desk's own
 * ids ascend as it makes them, and a snapshot lists messages in the order they were stored. Those
 * are appended to an array kept sorted by id, found by binary search, and cost one push each: no
 * hashing of a fresh key and no probe of a table of every message, which misses the CPU caches
 * once it holds a few thousand (a receive's store of a new message is one comparison with the
 * newest id and a push; a cold open of a million messages builds no Map of a million keys). A
 * message whose id sorts before the newest held (another writer's, one loaded out of order) goes
 * into a Map instead.
 *
 * Every id in the Map sorts before the newest id in the array (it went there for that reason, and
 * the array only grows at its end), so an id past the newest is held by neither.
 */
export class MessagesById {
  /** Messages by strictly ascending id. */
  private sorted: Message[] = [];
  /** Messages whose id sorted before the newest in `sorted` when they came. */
  private readonly others = new Map<string, Message>();

  /** How many messages are held. */
  get size(): number {
    return this.sorted.length + this.others.size;
  }

  /** The message with this id. */
  get(id: string): Message | undefined {
    const list = this.sorted;
    const newest = list[list.length - 1];
    if (newest === undefined || newest.id < id) return undefined;
    const i = this.sortedIndex(id);
    return i >= 0 ? list[i] : this.others.get(id);
  }

  /** Stores a message under its id, replacing the one held. */
  set(id: string, message: Message): void {
    const list = this.sorted;
    const newest = list[list.length - 1];
    if (newest === undefined || newest.id < id) {
      list.push(message);
      return;
    }
    const i = this.sortedIndex(id);
    if (i >= 0) list[i] = message;
    else this.others.set(id, message);
  }

  /** Every message: those in id order, then the rest in the order they came. */
  *values(): IterableIterator<Message> {
    yield* this.sorted;
    yield* this.others.values();
  }

  /** The index in `sorted` of the message with this id (not past the newest), or -1. */
  private sortedIndex(id: string): number {
    const list = this.sorted;
    let lo = 0;
    let hi = list.length - 1;
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
