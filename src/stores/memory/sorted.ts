import { comparePositions } from '../../core/cursor.js';
import type { Position, Range } from '../../core/store.js';

/** Index of the first element not before `position` (binary search). */
function lowerBound<T extends Position>(list: readonly T[], position: Position): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePositions(list[mid]!, position) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Lists shorter than this grow by an exact copy rather than in place: V8 gives an array that is
 * pushed to room for 16 more items, 128 bytes that a conversation of a few messages never fills,
 * and most of a store's lists (a conversation's messages, a customer's conversations) are that short.
 */
const SMALL_LIST = 16;

/** Inserts `item` at `index`; returns the list to keep (a new, exact-size one while the list is short). */
export function insertAt<T>(list: T[], index: number, item: T): T[] {
  if (list.length < SMALL_LIST) {
    return index === list.length
      ? list.concat([item])
      : list.slice(0, index).concat([item], list.slice(index));
  }
  if (index === list.length) list.push(item);
  else list.splice(index, 0, item);
  return list;
}

/**
 * Inserts keeping (at, id) order, in O(1) when the item is the newest, as it almost always is;
 * returns the list to keep (see {@link insertAt}).
 */
export function insertSorted<T extends Position>(list: T[], item: T): T[] {
  const last = list[list.length - 1];
  const newest = last === undefined || comparePositions(last, item) < 0;
  return insertAt(list, newest ? list.length : lowerBound(list, item), item);
}

/** Replaces the item at the same position (same at and id); returns false when absent. */
export function replaceSorted<T extends Position>(list: T[], item: T): boolean {
  const index = lowerBound(list, item);
  const found = list[index];
  if (found === undefined || found.id !== item.id) return false;
  list[index] = item;
  return true;
}

/** Removes the item at the position; returns false when absent. */
export function removeSorted<T extends Position>(list: T[], item: Position): boolean {
  const index = lowerBound(list, item);
  if (list[index]?.id !== item.id) return false;
  list.splice(index, 1);
  return true;
}

/** The window of a sorted list that a `Range` describes (see `Range`). */
export function sliceRange<T extends Position>(list: readonly T[], range: Range): T[] {
  if (range.after) {
    let start = lowerBound(list, range.after);
    if (list[start] && comparePositions(list[start]!, range.after) === 0) start++;
    const end = Math.min(list.length, start + range.limit);
    const upper = range.before ? lowerBound(list, range.before) : list.length;
    return list.slice(start, Math.min(end, upper));
  }
  const end = range.before ? lowerBound(list, range.before) : list.length;
  const start = Math.max(0, end - range.limit);
  const out: T[] = [];
  for (let i = end - 1; i >= start; i--) out.push(list[i]!);
  return out;
}
