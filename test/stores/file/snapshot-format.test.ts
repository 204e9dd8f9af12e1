import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createDesk } from '../../../src/index.js';
import { encodeFrame } from '../../../src/stores/file/frame.js';
import { type Builders, fromRows, RowChunkBuilder } from '../../../src/stores/file/rows.js';
import { readSnapshot } from '../../../src/stores/file/snapshot.js';
import type { SnapshotList, StateSnapshot } from '../../../src/stores/memory/state.js';
import { dump, openStore, tempDirs } from './helpers.js';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

/** Encodes records into one chunk, through its JSON text, and decodes them back. */
function roundTrip(records: object[], builders: Builders = new Map()) {
  const chunk = new RowChunkBuilder('messages');
  for (const record of records) expect(chunk.add(record)).toBe(true);
  const payload = JSON.parse(chunk.payload()) as { kind: string; shapes: unknown; rows: unknown };
  expect(payload.kind).toBe('messages');
  return fromRows(payload, builders);
}

describe('snapshot rows', () => {
  it('decode to what JSON would have kept, for any records', () => {
    const key = fc.oneof(
      fc.constantFrom('id', 'at', '__proto__', 'constructor', 'toString', 'a b', '0', '', 'x-y', '$ok'),
      // Keys whose primitive values a message shape fixes.
      fc.constantFrom('brandId', 'channel', 'channelKind', 'direction', 'status', 'version'),
      fc.string(),
    );
    const value = fc.oneof(fc.jsonValue(), fc.constant(undefined));
    const record = fc.dictionary(key, value, { maxKeys: 8 });
    const builders: Builders = new Map();
    fc.assert(
      fc.property(fc.array(record, { maxLength: 12 }), (records) => {
        const expected = JSON.parse(JSON.stringify(records)) as Record<string, unknown>[];
        const decoded = roundTrip(records, builders)!;
        expect(JSON.stringify(decoded)).toBe(JSON.stringify(expected));
        decoded.forEach((item, i) => {
          expect(Object.keys(item)).toEqual(Object.keys(expected[i]!));
          expect(Object.getPrototypeOf(item)).toBe(Object.prototype);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('write each key list once per chunk, with absent values left out', () => {
    const chunk = new RowChunkBuilder('customers');
    chunk.add({ id: 'a', name: 'Ann', note: undefined });
    chunk.add({ id: 'b', name: 'Bob' });
    chunk.add({ id: 'c' });
    expect(JSON.parse(chunk.payload())).toEqual({
      kind: 'customers',
      shapes: [['id', 'name'], ['id']],
      rows: [
        [0, 'a', 'Ann'],
        [0, 'b', 'Bob'],
        [1, 'c'],
      ],
    });
  });

  it("fix the primitive values of a kind's few-valued keys in the shape, and leave them out of the rows", () => {
    const chunk = new RowChunkBuilder('messages');
    const parts = [{ type: 'text', text: 'hi' }];
    chunk.add({ id: 'm1', brandId: 'acme', channel: 'sms', parts, version: 1 });
    chunk.add({ id: 'm2', brandId: 'acme', channel: 'sms', parts, version: 1 });
    chunk.add({ id: 'm3', brandId: 'acme', channel: 'email', parts, version: 2 });
    // An object is never fixed: no two decoded records may share one.
    chunk.add({ id: 'm4', brandId: { not: 'a string' }, channel: 'sms', parts, version: 1 });
    const payload = JSON.parse(chunk.payload());
    expect(payload).toEqual({
      kind: 'messages',
      shapes: [
        ['id', 'brandId', 'channel', 'parts', 'version'],
        ['id', 'brandId', 'channel', 'parts', 'version'],
        ['id', 'brandId', 'channel', 'parts', 'version'],
      ],
      fixed: [
        { brandId: 'acme', channel: 'sms', version: 1 },
        { brandId: 'acme', channel: 'email', version: 2 },
        { channel: 'sms', version: 1 },
      ],
      rows: [
        [0, 'm1', parts],
        [0, 'm2', parts],
        [1, 'm3', parts],
        [2, 'm4', { not: 'a string' }, parts],
      ],
    });
    const decoded = fromRows(payload, new Map())!;
    expect(decoded).toEqual([
      { id: 'm1', brandId: 'acme', channel: 'sms', parts, version: 1 },
      { id: 'm2', brandId: 'acme', channel: 'sms', parts, version: 1 },
      { id: 'm3', brandId: 'acme', channel: 'email', parts, version: 2 },
      { id: 'm4', brandId: { not: 'a string' }, channel: 'sms', parts, version: 1 },
    ]);
    expect(Object.keys(decoded[3]!)).toEqual(['id', 'brandId', 'channel', 'parts', 'version']);
    expect(decoded[0]!.parts).not.toBe(decoded[1]!.parts);
  });

  it('stop fixing values once a chunk has many shapes, and still decode every record', () => {
    const records = Array.from({ length: 200 }, (_, i) => ({ id: `m${i}`, status: `status-${i}` }));
    const chunk = new RowChunkBuilder('messages');
    for (const record of records) expect(chunk.add(record)).toBe(true);
    const payload = JSON.parse(chunk.payload()) as { shapes: unknown[]; fixed: unknown[] };
    expect(payload.shapes.length).toBe(65); // 64 shapes fixing a status, then one fixing none
    expect(payload.fixed[64]).toBeNull();
    expect(fromRows(payload as never, new Map())).toEqual(records);
  });

  it('a full chunk refuses the next record, which starts the next chunk', () => {
    const chunk = new RowChunkBuilder('messages');
    expect(chunk.add({ id: 'x'.repeat(100) }, 10, 50)).toBe(true); // a first record always fits
    expect(chunk.add({ id: 'y' }, 10, 50)).toBe(false);
    expect(chunk.size).toBe(1);
    expect(JSON.parse(chunk.payload()).shapes).toEqual([['id']]);
  });

  it.each([
    ['shapes not a list', { shapes: {}, rows: [] }],
    ['a key that is not a string', { shapes: [['id', 1]], rows: [] }],
    ['a row of an unknown shape', { shapes: [['id']], rows: [[1, 'a']] }],
    ['a row of the wrong width', { shapes: [['id']], rows: [[0, 'a', 'b']] }],
    ['a row that is not a list', { shapes: [['id']], rows: ['x'] }],
    ['fixed values not a list', { shapes: [['id']], fixed: {}, rows: [] }],
    ['fixed values for fewer shapes', { shapes: [['id'], ['at']], fixed: [null], rows: [] }],
    ['a fixed value that is an object', { shapes: [['id', 'a']], fixed: [{ a: {} }], rows: [[0, 'x']] }],
    ['a fixed key the shape lacks', { shapes: [['id']], fixed: [{ b: 1 }], rows: [[0, 'x']] }],
    ['a row holding a fixed value too', { shapes: [['id', 'a']], fixed: [{ a: 1 }], rows: [[0, 'x', 1]] }],
  ])('refuse %s', (_name, chunk) => {
    expect(fromRows(chunk, new Map())).toBeUndefined();
  });
});

describe('snapshot versions', () => {
  /** A chunk as version 2 and 3 wrote it: rows of shapes that fix no values. */
  function unfixedChunk(kind: string, items: Record<string, unknown>[]) {
    const shapes: string[][] = [];
    const index = new Map<string, number>();
    const rows = items.map((item) => {
      const keys = Object.keys(item).filter((key) => item[key] !== undefined);
      const id = JSON.stringify(keys);
      if (!index.has(id)) index.set(id, shapes.push(keys) - 1);
      return [index.get(id), ...keys.map((key) => item[key])];
    });
    return { kind, shapes, rows };
  }

  it.each([
    [1, 'a record per item'],
    [2, 'rows of shapes that fix no values'],
  ])('a version %i snapshot (%s) opens to the same state', async (version) => {
    const dir = await dirs.make();
    let store = await openStore(dir);
    const desk = createDesk({ store });
    const ann = await desk.receive({
      channel: 'sms',
      from: { kind: 'phone', value: '+14155550100', verified: true },
      text: 'hi',
      externalId: 'SM1',
    });
    const bob = await desk.receive({
      channel: 'email',
      from: { kind: 'email', value: 'bob@example.com' },
      subject: 'Order',
      text: 'mail',
    });
    const merge = await desk.merge(ann.customer.id, bob.customer.id);
    await desk.reply(ann.conversation.id, { text: 'hello back', channel: 'sms' });
    await store.compact();
    const ids = {
      customers: [ann.customer.id, bob.customer.id],
      conversations: [ann.conversation.id, bob.conversation.id],
      merges: [merge.id],
    };
    const before = await dump(store, ids);
    await desk.close();
    await store.close();

    // Rewrite the snapshot in the old version's layout, from the records the current one holds.
    const path = join(dir, 'snapshot-000000000002.snap');
    const lists: Partial<StateSnapshot> = {};
    const nextSeq = await readSnapshot(path, 2, (kind: SnapshotList, records) => {
      (lists[kind] as unknown[] | undefined) ??= [];
      (lists[kind] as unknown[]).push(...records);
    });
    const frame = (value: unknown) => encodeFrame(Buffer.from(JSON.stringify(value)));
    const frames = [frame({ format: 'threadline-file-snapshot', version, generation: 2, nextSeq })];
    for (const [kind, items] of Object.entries(lists))
      frames.push(frame(version === 1 ? { kind, items } : unfixedChunk(kind, items as never)));
    frames.push(frame({ end: true }));
    const old = Buffer.concat(frames);
    expect(old.equals(await readFile(path))).toBe(false);
    await writeFile(path, old);

    store = await openStore(dir);
    expect(await dump(store, ids)).toEqual(before);
    await store.close();
  });

  it('a snapshot of an unknown version is refused, naming the file', async () => {
    const dir = await dirs.make();
    const path = join(dir, 'snapshot-000000000002.snap');
    await writeFile(
      path,
      encodeFrame(
        Buffer.from(JSON.stringify({ format: 'threadline-file-snapshot', version: 9, generation: 2 })),
      ),
    );
    await expect(openStore(dir)).rejects.toThrow(`snapshot ${path} is damaged at byte 0`);
  });
});
