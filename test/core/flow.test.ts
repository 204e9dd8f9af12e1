import { describe, expect, it } from 'vitest';
import { drive, driveWithRetry, isPromise, MAX_ATTEMPTS, type Step } from '../../src/core/flow.js';
import { ConflictError } from '../../src/model/errors.js';

/** Reads two values and adds them; a read that fails is caught and counted as zero. */
function* addTwo(read: (key: string) => unknown): Step<number> {
  const a = (yield read('a')) as number;
  let b: number;
  try {
    b = (yield read('b')) as number;
  } catch {
    b = 0;
  }
  return a + b;
}

describe('drive', () => {
  it('returns at once when every read answers synchronously', () => {
    const result = drive(addTwo((key) => (key === 'a' ? 1 : 2)));
    expect(isPromise(result)).toBe(false);
    expect(result).toBe(3);
  });

  it('switches to a promise at the first pending read and hands a rejection to the step', async () => {
    const pending = drive(addTwo((key) => (key === 'a' ? Promise.resolve(1) : 2)));
    expect(isPromise(pending)).toBe(true);
    expect(await pending).toBe(3);
    const rejected = drive(addTwo((key) => (key === 'a' ? 5 : Promise.reject(new Error('gone')))));
    expect(await rejected).toBe(5);
  });

  it('throws (or rejects) what the step itself throws', async () => {
    function* failing(): Step<never> {
      yield 1;
      throw new Error('sync');
    }
    expect(() => drive(failing())).toThrow('sync');
    function* failingLater(): Step<never> {
      yield Promise.resolve(1);
      throw new Error('async');
    }
    await expect(drive(failingLater())).rejects.toThrow('async');
  });
});

describe('driveWithRetry', () => {
  it('starts the step afresh after a ConflictError, synchronously or not, and gives up after 10 tries', async () => {
    let tries = 0;
    const syncResult = driveWithRetry(function* () {
      tries++;
      yield tries;
      if (tries < 3) throw new ConflictError('lost a race');
      return tries;
    });
    expect(syncResult).toBe(3);

    tries = 0;
    const asyncResult = driveWithRetry(function* () {
      tries++;
      yield Promise.resolve(tries);
      if (tries < 4) throw new ConflictError('lost a race');
      return tries;
    });
    expect(await asyncResult).toBe(4);

    tries = 0;
    expect(() =>
      driveWithRetry(function* (): Step<number> {
        tries++;
        yield tries;
        throw new ConflictError('always');
      }),
    ).toThrow(ConflictError);
    expect(tries).toBe(MAX_ATTEMPTS);

    // On an asynchronous store each retry waits a short random backoff first.
    tries = 0;
    await expect(
      driveWithRetry(function* (): Step<number> {
        tries++;
        yield Promise.resolve(tries);
        throw new ConflictError('always');
      }),
    ).rejects.toThrow(ConflictError);
    expect(tries).toBe(MAX_ATTEMPTS);
  });

  it('does not retry a conflict that stays (retryable: false), sync or async', async () => {
    let tries = 0;
    const final = new ConflictError('merge m1 was already undone', { retryable: false });
    expect(() =>
      driveWithRetry(function* (): Step<number> {
        tries++;
        yield tries;
        throw final;
      }),
    ).toThrow(final);
    expect(tries).toBe(1);
    await expect(
      driveWithRetry(function* (): Step<number> {
        tries++;
        yield Promise.resolve(tries);
        throw final;
      }),
    ).rejects.toBe(final);
    expect(tries).toBe(2);
    expect(new ConflictError('a lost race').retryable).toBe(true);
  });

  it('does not retry other errors', () => {
    let tries = 0;
    expect(() =>
      driveWithRetry(function* (): Step<number> {
        tries++;
        yield tries;
        throw new TypeError('bug');
      }),
    ).toThrow(TypeError);
    expect(tries).toBe(1);
  });
});
