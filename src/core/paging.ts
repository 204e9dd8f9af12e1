import { NotFoundError, ValidationError } from '../model/errors.js';
import {
  type CursorScope,
  cursorError,
  decodeCursor,
  encodeCursor,
  justAfter,
  looksLikeCursor,
  MAX_CURSOR_LENGTH,
} from './cursor.js';
import type { Position, Range } from './store.js';
import type { Page, PageOptions, Paginator } from './types.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
/** Before every item (stored times are epoch ms, never negative): where `after: ''` starts. */
const START: Position = Object.freeze({ at: Number.MIN_SAFE_INTEGER, id: '' });

/** Reads one window of a time-ordered list (see `Range`). */
export type RangeReader<T extends Position> = (range: Range) => Promise<T[]>;

/** A time-ordered list that {@link paginate} pages: how to read it, and how cursors and ids map into it. */
export interface Listing<T extends Position> {
  /** What the cursors of its pages are issued for. */
  scope: CursorScope;
  read: RangeReader<T>;
  /** True when a cursor issued for `scope` (of the same kind) pages this listing too. */
  accepts(scope: CursorScope): Promise<boolean>;
  /** The position of the item with this id when it is in this listing, else undefined. */
  locate(id: string): Promise<Position | undefined>;
}

interface CheckedOptions {
  limit: number;
  before: unknown;
  after: unknown;
  around: unknown;
}

/** The page size, or a ValidationError naming `limit`. */
function limitOf(options: PageOptions): number {
  const limit = options.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new ValidationError('page options', [
      { path: ['limit'], message: `must be an integer from 1 to ${MAX_LIMIT}` },
    ]);
  }
  return limit;
}

/** Checks what can be checked without reading: the options object, the limit, one starting point. */
function checkOptions(options: PageOptions | null | undefined): CheckedOptions {
  if (options === null || options === undefined)
    return { limit: DEFAULT_LIMIT, before: undefined, after: undefined, around: undefined };
  if (typeof options !== 'object')
    throw new ValidationError('page options', [{ path: [], message: 'must be an object' }]);
  const limit = limitOf(options);
  const { before, after, around } = options;
  const given = (['before', 'after', 'around'] as const).filter((key) => options[key] !== undefined);
  if (given.length > 1)
    throw new ValidationError('page options', [
      { path: [given[1]!], message: 'give at most one of before, after and around' },
    ]);
  return { limit, before, after, around };
}

/** A page with nothing in it, and nothing after it. */
export function emptyPage<T>(): Page<T> {
  return { items: [], hasNext: false, nextCursor: undefined, next: () => Promise.resolve(emptyPage<T>()) };
}

/**
 * A page of `items`, continued by `more` from `end`: the last item's position, or where an empty
 * page was read from. `next()` reads again from there, so it also finds what arrived since.
 */
function pageOf<T extends Position>(
  listing: Listing<T>,
  items: T[],
  hasNext: boolean,
  end: Position | undefined,
  more: (from: Position) => Promise<Page<T>>,
): Page<T> {
  const from = end && { at: end.at, id: end.id };
  return {
    items,
    hasNext,
    nextCursor: from && end !== START ? encodeCursor(listing.scope, from) : undefined,
    next: () => (from ? more(from) : Promise.resolve(emptyPage<T>())),
  };
}

/** The page of up to `limit` items from `from` (excluded) in `direction`. */
async function readPage<T extends Position>(
  listing: Listing<T>,
  limit: number,
  direction: 'before' | 'after',
  from: Position | undefined,
): Promise<Page<T>> {
  const rows = await listing.read({ limit: limit + 1, [direction]: from });
  const hasNext = rows.length > limit;
  const items = hasNext ? rows.slice(0, limit) : rows;
  return pageOf(listing, items, hasNext, items[items.length - 1] ?? from, (next) =>
    readPage(listing, limit, direction, next),
  );
}

/**
 * A page around a position, newest first: the item there (when there is one), older items and up to
 * half the limit newer ones; when one side runs short, the other fills the page. `next()` continues
 * towards older items; `previousCursor` (as `after`) towards newer ones when there are more.
 */
async function aroundPage<T extends Position>(
  listing: Listing<T>,
  limit: number,
  center: Position,
): Promise<Page<T>> {
  const newer = await listing.read({ limit: limit + 1, after: center });
  const older = await listing.read({ limit: limit + 1, before: justAfter(center) });
  const olderShown = Math.min(older.length, limit - Math.min(newer.length, Math.floor(limit / 2)));
  const newerShown = Math.min(newer.length, limit - olderShown);
  const items = [...newer.slice(0, newerShown).reverse(), ...older.slice(0, olderShown)];
  const page = pageOf(listing, items, older.length > olderShown, items[items.length - 1] ?? center, (next) =>
    readPage(listing, limit, 'before', next),
  );
  const first = items[0];
  const hasPrevious = newer.length > newerShown && first !== undefined;
  return { ...page, previousCursor: hasPrevious ? encodeCursor(listing.scope, first) : undefined };
}

/** The position of a cursor given as `field`, when it was issued for this listing. */
async function cursorPosition<T extends Position>(
  listing: Listing<T>,
  cursor: unknown,
  field: string,
): Promise<Position> {
  const { scope, position } = decodeCursor(cursor, field);
  if (scope.kind !== listing.scope.kind || !(await listing.accepts(scope)))
    throw cursorError(field, 'a cursor of another listing');
  return position;
}

/** Where `around` points: a message of this listing, or a cursor of it. */
async function centerOf<T extends Position>(listing: Listing<T>, around: unknown): Promise<Position> {
  if (typeof around !== 'string' || around.length === 0 || around.length > MAX_CURSOR_LENGTH)
    throw cursorError('around', 'must be a message id or a cursor');
  const found = await listing.locate(around);
  if (found) return found;
  if (looksLikeCursor(around)) return cursorPosition(listing, around, 'around');
  throw new NotFoundError(`message ${around} not found in this listing`);
}

async function firstPage<T extends Position>(listing: Listing<T>, options: CheckedOptions): Promise<Page<T>> {
  const { limit, before, after, around } = options;
  if (around !== undefined) return aroundPage(listing, limit, await centerOf(listing, around));
  // The empty `after` cursor is the start of the listing: its oldest item first.
  if (after === '') return readPage(listing, limit, 'after', START);
  if (after !== undefined)
    return readPage(listing, limit, 'after', await cursorPosition(listing, after, 'after'));
  const from = before === undefined ? undefined : await cursorPosition(listing, before, 'before');
  return readPage(listing, limit, 'before', from);
}

/**
 * A paginator over a time-ordered listing: newest first by default, `after` pages oldest first,
 * `around` opens at a message or a cursor (see `PageOptions`). A bad limit or more than one of
 * `before`, `after` and `around` throws a ValidationError at once; a bad cursor rejects the first page.
 */
export function paginate<T extends Position>(
  listing: Listing<T>,
  options: PageOptions | null | undefined,
): Paginator<T> {
  const checked = checkOptions(options);
  const first = () => firstPage(listing, checked);
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
