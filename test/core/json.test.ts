import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InboundMessage } from '../../src/model/inbound.js';
import { Json, JsonRecord } from '../../src/model/records.js';

describe('the Json schema', () => {
  it('accepts any JSON value and returns an equal copy that later changes to the input do not reach', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed = Json.parse(value);
        expect(parsed).toEqual(value);
        if (typeof value === 'object' && value !== null) expect(parsed).not.toBe(value);
      }),
    );
    const input = { a: { b: [1, 2] } };
    const parsed = Json.parse(input) as { a: { b: number[] } };
    input.a.b.push(3);
    expect(parsed.a.b).toEqual([1, 2]);
  });

  it('refuses what JSON cannot carry, with the path of the value', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = [deep];
    for (const bad of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      undefined,
      () => 1,
      new Date(0),
      cyclic,
      deep,
      [1, { x: Symbol('s') }],
    ]) {
      expect(Json.safeParse(bad).success).toBe(false);
    }
    expect(Json.safeParse(null).success).toBe(true);
    expect(Json.safeParse(Object.create(null)).success).toBe(true);
    const inbound = InboundMessage.safeParse({
      channel: 'sms',
      from: { kind: 'phone', value: '+14155550100' },
      text: 'hi',
      meta: { ok: 1, bad: { when: new Date(0) } },
    });
    expect(inbound.error?.issues.map((issue) => issue.path)).toEqual([['meta', 'bad']]);
  });
});

describe('the JsonRecord schema (traits, meta)', () => {
  it('accepts any JSON object and returns a copy that later changes to the input do not reach', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const parsed = JsonRecord.parse(value);
        expect(parsed).toEqual(value);
        expect(parsed).not.toBe(value);
      }),
    );
    const input = { a: { b: [1, 2] }, s: 'x' };
    const parsed = JsonRecord.parse(input) as { a: { b: number[] } };
    input.a.b.push(3);
    expect(parsed.a.b).toEqual([1, 2]);
    // A `__proto__` key, as JSON.parse makes it, stays an own value and never becomes the prototype.
    const own = JsonRecord.parse(JSON.parse('{"__proto__": {"polluted": true}}'));
    expect(Object.getPrototypeOf(own)).toBe(Object.prototype);
    expect(Object.keys(own)).toEqual(['__proto__']);
    expect((own as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('refuses what is not a JSON object, with an issue at each bad key', () => {
    for (const bad of [null, [], 'text', 1, new Date(0), new Map()]) {
      expect(JsonRecord.safeParse(bad).error?.issues.map((issue) => issue.message)).toEqual([
        'expected an object',
      ]);
    }
    const result = JsonRecord.safeParse({ ok: 1, nan: Number.NaN, fn: () => 1, deep: { when: new Date(0) } });
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([['nan'], ['fn'], ['deep']]);
  });
});
