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
  ])('refuse %s', (_name, chunk) => {
    expect(fromRows(chunk, new Map())).toBeUndefined();
  });
});

describe('snapshot versions', () => {
  it('a version 1 snapshot (a record per item) opens to the same state', async () => {
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

    // Rewrite the snapshot in version 1's layout, from the records the current one holds.
    const path = join(dir, 'snapshot-000000000002.snap');
    const lists: Partial<StateSnapshot> = {};
    const nextSeq = await readSnapshot(path, 2, (kind: SnapshotList, records) => {
      (lists[kind] as unknown[] | undefined) ??= [];
      (lists[kind] as unknown[]).push(...records);
    });
    const frame = (value: unknown) => encodeFrame(Buffer.from(JSON.stringify(value)));
    const frames = [frame({ format: 'threadline-file-snapshot', version: 1, generation: 2, nextSeq })];
    for (const [kind, items] of Object.entries(lists)) frames.push(frame({ kind, items }));
    frames.push(frame({ end: true }));
    const v1 = Buffer.concat(frames);
    expect(v1.equals(await readFile(path))).toBe(false);
    await writeFile(path, v1);

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
