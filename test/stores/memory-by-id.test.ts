import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/model/records.js';
import { MessagesById } from '../../src/stores/memory/by-id.js';

const message = (id: string, version = 1) => ({ id, version }) as unknown as Message;

describe('messages by id', () => {
  it('finds loaded messages by binary search, replaces them in place, and keeps later ones apart', () => {
    const index = new MessagesById();
    for (const id of ['b', 'd', 'f']) index.load(message(id));
    index.load(message('c')); // out of order: kept apart, still found
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
    // Loaded ones by id, then the rest as they came: the order a snapshot lists them in.
    expect([...index.values()].map((m) => m.id)).toEqual(['b', 'd', 'f', 'c', 'g', 'a']);
  });

  it('behaves as a Map for any mix of loads and sets', () => {
    const id = fc.string({ maxLength: 3 });
    const op = fc.oneof(
      fc.record({ load: id }),
      fc.record({ set: id, version: fc.integer({ min: 1, max: 9 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.array(id, { maxLength: 20 }), (ops, probes) => {
        const index = new MessagesById();
        const model = new Map<string, Message>();
        let loading = true;
        for (const step of ops) {
          if ('load' in step) {
            // Loads only happen into an empty state, before any set, and never repeat an id.
            if (!loading || model.has(step.load)) continue;
            index.load(message(step.load));
            model.set(step.load, message(step.load));
          } else {
            loading = false;
            index.set(step.set, message(step.set, step.version));
            model.set(step.set, message(step.set, step.version));
          }
        }
        expect(index.size).toBe(model.size);
        for (const probe of [...probes, ...model.keys()]) expect(index.get(probe)).toEqual(model.get(probe));
        expect(new Set([...index.values()].map((m) => m.id))).toEqual(new Set(model.keys()));
      }),
      { numRuns: 300 },
    );
  });
});
