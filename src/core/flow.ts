import { ConflictError } from '../model/errors.js';
import type { Awaitable } from './store.js';

/**
 * A desk operation written as a generator that `yield`s each store read and gets its value back.
 * {@link drive} runs it synchronously for as long as the store answers synchronously (the memory
 * store always does; the file store does for durable records) and switches to promises at the
 * first read that is pending. The hot path (`receive`) thereby costs no promise, microtask or
 * async frame per read on a memory-resident store, while the same code serves asynchronous drivers.
 */
export type Step<T> = Generator<unknown, T, unknown>;

/** True for a promise (or any thenable) a store handed back. */
export function isPromise<T>(value: Awaitable<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Runs a step: returns its result directly when every read answered synchronously, else a promise
 * of it. A rejected read is thrown into the generator at its `yield`, as `await` would.
 */
export function drive<T>(step: Step<T>): Awaitable<T> {
  let next = step.next();
  while (!next.done) {
    if (isPromise(next.value)) return finish(step, next.value);
    next = step.next(next.value);
  }
  return next.value;
}

async function finish<T>(step: Step<T>, pending: Promise<unknown>): Promise<T> {
  for (;;) {
    let next: IteratorResult<unknown, T>;
    try {
      next = step.next(await pending);
    } catch (error) {
      // Either the read rejected (hand it to the generator) or the generator itself threw; a
      // finished generator rethrows what it is given, so both end up here or at the caller.
      next = step.throw(error);
    }
    while (!next.done && !isPromise(next.value)) next = step.next(next.value);
    if (next.done) return next.value;
    pending = next.value as Promise<unknown>;
  }
}

/**
 * Attempts of one step before its ConflictError goes to the caller. Two tabs with three writers
 * each, all on one conversation in real Chromium, measured: with 4, 6 and 8 attempts, 3.3, 2.7 and
 * 0.5 receives per 60 still lost every race; at 10, one run in several on a loaded 2-core machine.
 * The tail shrinks about 2.5x per attempt past 6 (the backoff has grown by then), so 20 makes it
 * vanishingly rare; a step that loses every race waits about 0.7 s of backoff in all (1.4 s at
 * most) before giving up.
 */
export const MAX_ATTEMPTS = 20;

/**
 * Whether a failed attempt of a read-decide-commit step should run again: a lost race (not a
 * conflict that stays, see `ConflictError.retryable`), and tries left.
 */
export const retryable = (error: unknown, attempt: number): boolean =>
  error instanceof ConflictError && error.retryable && attempt < MAX_ATTEMPTS;

/**
 * Waits before attempt `attempt + 1` of a step that lost a race on an asynchronous store (another
 * tab or process writing the same records): a random delay below 2^attempt ms, at most 100 ms, so
 * that two writers retrying in step do not collide again and again.
 */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(100, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * {@link drive}s a read-decide-commit step, starting it afresh when a concurrent change wins
 * (ConflictError): each attempt re-reads the records, so the retry decides on fresh state. A
 * synchronous store's conflict is retried at once (nothing else can run in between); an
 * asynchronous one's after a short random {@link backoff}.
 */
export function driveWithRetry<T>(makeStep: () => Step<T>, attempt = 1): Awaitable<T> {
  for (; ; attempt++) {
    let result: Awaitable<T>;
    try {
      result = drive(makeStep());
    } catch (error) {
      if (retryable(error, attempt)) continue;
      throw error;
    }
    if (!isPromise(result)) return result;
    const tried = attempt;
    return result.catch(async (error: unknown) => {
      if (!retryable(error, tried)) throw error;
      await backoff(tried);
      return driveWithRetry(makeStep, tried + 1);
    });
  }
}
