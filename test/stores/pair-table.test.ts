import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PairTable } from '../../src/stores/memory/pair-table.js';

type Op = { set: [string, string]; value: number } | { delete: [string, string] };

/** Runs `ops` on a table and on a Map keyed by the joined pair, and checks they agree on every key. */
function agrees(table: PairTable<number>, ops: Op[], probes: [string, string][]): void {
  const model = new Map<string, number>();
  const key = ([a, b]: [string, string]) => JSON.stringify([a, b]);
  for (const op of ops) {
    if ('set' in op) {
      table.set(op.set[0], op.set[1], op.value);
      model.set(key(op.set), op.value);
    } else {
      table.delete(op.delete[0], op.delete[1]);
      model.delete(key(op.delete));
    }
    expect(table.size).toBe(model.size);
  }
  const keys = [...ops.map((op) => ('set' in op ? op.set : op.delete)), ...probes];
  for (const pair of keys) expect(table.get(pair[0], pair[1])).toBe(model.get(key(pair)));
}

const part = fc.string({ maxLength: 3 });
const pair = fc.tuple(part, part);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ set: pair, value: fc.integer() }),
  fc.record({ delete: pair }),
);

describe('pair table', () => {
  it('behaves as a Map keyed by the pair for any sets and deletes, through growth', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.array(pair, { maxLength: 20 }), (ops, probes) => {
        agrees(new PairTable<number>(), ops, probes);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps keys apart when their hashes collide, and deletes from the middle of a run', () => {
    // A hash of a few values: long runs, runs that wrap past the last slot, equal hashes.
    const weak = (a: string, b: string) => ((a.length * 7 + b.length) % 5) + 13;
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.array(pair, { maxLength: 20 }), (ops, probes) => {
        agrees(new PairTable<number>(weak), ops, probes);
      }),
      { numRuns: 300 },
    );
  });

  it('tells the pair ("ab", "c") from ("a", "bc")', () => {
    const table = new PairTable<number>();
    table.set('ab', 'c', 1);
    table.set('a', 'bc', 2);
    expect([table.get('ab', 'c'), table.get('a', 'bc'), table.get('abc', ''), table.size]).toEqual([
      1,
      2,
      undefined,
      2,
    ]);
  });

  it('holds a hundred thousand keys, each found after deletes of others', () => {
    const table = new PairTable<number>();
    for (let i = 0; i < 100_000; i++) table.set(`c${i % 7}`, `ext-${i}`, i);
    for (let i = 0; i < 100_000; i += 3) table.delete(`c${i % 7}`, `ext-${i}`);
    let found = 0;
    for (let i = 0; i < 100_000; i++) {
      const value = table.get(`c${i % 7}`, `ext-${i}`);
      if (i % 3 === 0) expect(value).toBeUndefined();
      else if (value === i) found++;
    }
    expect([found, table.size]).toEqual([66_666, 66_666]);
  });
});
