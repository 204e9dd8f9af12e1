import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/model/records.js';
import { MessagesById } from '../../src/stores/memory/by-id.js';

const message = (id: string, version = 1) => ({ id, version }) as unknown as Message;

describe('messages by id', () => {
  it('appends ascending ids, finds them by binary search, replaces them in place, and keeps the rest apart', () => {
    const index = new MessagesById();
    for (const id of ['b', 'd', 'f']) index.set(id, message(id));
    index.set('c', message('c')); // out of order: kept apart, still found
    index.set('g', message('g'));
    index.set('a', message('a'));
    index.set('d', message('d', 2));
    expect(index.size).toBe(6);
    expect(['a', 'b', 'c', 'd', 'e', 'f', 'g', ''].map((id) => index.get(id)?.id)).toEqual([
      'a',
      'b',
      'c',
      'd',
      undefined,
      'f',
      'g',
      undefined,
    ]);
    expect(index.get('d')?.version).toBe(2);
    // Ascending ones by id, then the rest as they came: the order a snapshot lists them in.
    expect([...index.values()].map((m) => m.id)).toEqual(['b', 'd', 'f', 'g', 'c', 'a']);
  });

  it('behaves as a Map for any sets, in order or not', () => {
    const id = fc.string({ maxLength: 3 });
    const op = fc.record({ set: id, version: fc.integer({ min: 1, max: 9 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.array(id, { maxLength: 20 }), (ops, probes) => {
        const index = new MessagesById();
        const model = new Map<string, Message>();
        for (const step of ops) {
          index.set(step.set, message(step.set, step.version));
          model.set(step.set, message(step.set, step.version));
        }
        expect(index.size).toBe(model.size);
        for (const probe of [...probes, ...model.keys()]) expect(index.get(probe)).toEqual(model.get(probe));
        expect(new Set([...index.values()].map((m) => m.id))).toEqual(new Set(model.keys()));
      }),
      { numRuns: 300 },
    );
  });
});
