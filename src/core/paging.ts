import { ValidationError } from '../model/errors.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { Position, Range } from './store.js';
import type { Page, PageOptions, Paginator } from './types.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/** Reads one window of a time-ordered list (see `Range`). */
export type RangeReader<T extends Position> = (range: Range) => Promise<T[]>;

function limitOf(options: PageOptions): number {
  const limit = options.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new ValidationError('page options', [
      { path: ['limit'], message: `must be an integer from 1 to ${MAX_LIMIT}` },
    ]);
  }
  return limit;
}

function makePage<T extends Position>(
  read: RangeReader<T>,
  limit: number,
  direction: 'before' | 'after',
  from: Position | undefined,
): Promise<Page<T>> {
  return read({ limit: limit + 1, [direction]: from }).then((rows) => {
    const hasNext = rows.length > limit;
    const items = hasNext ? rows.slice(0, limit) : rows;
    const last = items[items.length - 1];
    const nextCursor = hasNext && last ? encodeCursor(last) : undefined;
    return {
      items,
      hasNext,
      nextCursor,
      next: () =>
        hasNext && last ? makePage(read, limit, direction, last) : Promise.resolve(emptyPage<T>()),
    };
  });
}

/** A page with nothing in it, and nothing after it. */
export function emptyPage<T>(): Page<T> {
  return { items: [], hasNext: false, nextCursor: undefined, next: () => Promise.resolve(emptyPage<T>()) };
}

/**
 * A page centred on a position: up to half the limit newer items, the item itself when it exists,
 * and older items after it, newest first. `next()` continues towards older items;
 * `previousCursor` (as `after`) continues towards newer ones.
 */
async function aroundPage<T extends Position>(
  read: RangeReader<T>,
  limit: number,
  center: Position,
): Promise<Page<T>> {
  const newerWanted = Math.floor(limit / 2);
  const newer = await read({ limit: newerWanted + 1, after: center });
  const hasPrevious = newer.length > newerWanted;
  const shownNewer = newer.slice(0, newerWanted).reverse();
  const older = await makePage(read, limit - shownNewer.length, 'before', {
    at: center.at,
    id: `${center.id}\uffff`,
  });
  const items = [...shownNewer, ...older.items];
  const first = items[0];
  return { ...older, items, previousCursor: hasPrevious && first ? encodeCursor(first) : undefined };
}

/**
 * A paginator over a time-ordered list: newest first by default, `after` pages oldest first,
 * `around` opens at a position. Cursors are opaque strings built on (time, id).
 */
export function paginate<T extends Position>(
  read: RangeReader<T>,
  options: PageOptions,
  locate: (around: string) => Promise<Position>,
): Paginator<T> {
  const limit = limitOf(options);
  const set = [options.before, options.after, options.around].filter((value) => value !== undefined);
  if (set.length > 1)
    throw new ValidationError('page options', [
      { path: ['before'], message: 'give at most one of before, after and around' },
    ]);
  const first = async (): Promise<Page<T>> => {
    if (options.around !== undefined) return aroundPage(read, limit, await locate(options.around));
    if (options.after !== undefined)
      return makePage(read, limit, 'after', decodeCursor(options.after, 'after'));
    return makePage(
      read,
      limit,
      'before',
      options.before === undefined ? undefined : decodeCursor(options.before, 'before'),
    );
  };
  return {
    page: first,
    async *[Symbol.asyncIterator]() {
      let page = await first();
      for (;;) {
        yield* page.items;
        if (!page.hasNext) return;
        page = await page.next();
      }
    },
  };
}
