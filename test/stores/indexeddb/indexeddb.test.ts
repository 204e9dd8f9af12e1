import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../../src/core/store.js';
import { createDesk } from '../../../src/index.js';
import { ConflictError, StorageError, ValidationError } from '../../../src/model/errors.js';
import type { LoggedEvent } from '../../../src/model/events.js';
import { openDatabase, toStorageError } from '../../../src/stores/indexeddb/database.js';
import { indexedDbStore } from '../../../src/stores/indexeddb/index.js';
import { makeConversation, makeCustomer, makeEvent, makeMessage } from '../../../src/testing/index.js';
import { buildHistory } from './scenario.js';

let n = 0;
const dbName = () => `idb-test-${++n}`;
const opened: Store[] = [];
function open(name: string, options: { broadcast?: boolean } = {}) {
  const store = indexedDbStore({ name, ...options });
  opened.push(store);
  return store;
}
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

async function seeded(store: Store) {
  const customer = makeCustomer();
  const conversation = makeConversation(customer.id);
  await store.commit({
    customers: [{ record: customer, expectedVersion: null }],
    conversations: [{ record: conversation, expectedVersion: null }],
  });
  return { customer, conversation };
}

/** Subscribes; resolves (once the watch cursor is read) to a promise of the first events received. */
async function nextEvents(store: Store): Promise<{ events: Promise<LoggedEvent[]> }> {
  const events = new Promise<LoggedEvent[]>((resolve) => {
    const stop = store.watch!((received) => {
      stop();
      resolve(received);
    });
  });
  await store.readEvents({ limit: 1 }); // queued behind the cursor read that watch started
  return { events };
}

describe('indexeddb store (fake-indexeddb)', () => {
  it('commits issued in one tick share one transaction and each stays all-or-nothing', async () => {
    const store = open(dbName());
    const { conversation } = await seeded(store);
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const first = makeMessage(conversation, 1, { externalId: 'SM-dup' });
    const duplicate = makeMessage(conversation, 2, { externalId: 'SM-dup' });
    const lonely = makeCustomer();
    const third = makeMessage(conversation, 3);
    const results = await Promise.allSettled([
      store.commit({ messages: [{ record: first, expectedVersion: null }], events: [makeEvent(first)] }),
      store.commit({
        customers: [{ record: lonely, expectedVersion: null }],
        messages: [{ record: duplicate, expectedVersion: null }],
      }),
      store.commit({ messages: [{ record: third, expectedVersion: null }], events: [makeEvent(third)] }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect(spy.mock.calls.filter((call) => call[1] === 'readwrite')).toHaveLength(1);
    expect(await store.getCustomer(lonely.id)).toBeUndefined();
    expect(await store.getMessage(duplicate.id)).toBeUndefined();
    expect((await store.readEvents({ limit: 10 })).map((e) => e.cursor)).toEqual(['1', '2']);
  });

  it("a second tab's concurrent change is a ConflictError", async () => {
    const name = dbName();
    const tabA = open(name);
    const tabB = open(name);
    const { customer } = await seeded(tabA);
    const seen = await tabB.getCustomer(customer.id);
    await tabA.commit({
      customers: [{ record: { ...customer, displayName: 'A', version: 2 }, expectedVersion: 1 }],
    });
    await expect(
      tabB.commit({
        customers: [{ record: { ...seen!, displayName: 'B', version: 2 }, expectedVersion: 1 }],
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect((await tabB.getCustomer(customer.id))?.displayName).toBe('A');
  });

  it("watch delivers other tabs' events by cursor, never its own", async () => {
    const name = dbName();
    const tabA = open(name);
    const tabB = open(name);
    const { conversation } = await seeded(tabA);
    const own = vi.fn();
    tabA.watch!(own);
    const received = await nextEvents(tabB);
    const message = makeMessage(conversation, 1);
    await tabA.commit({
      messages: [{ record: message, expectedVersion: null }],
      events: [makeEvent(message)],
    });
    const events = await received.events;
    expect(events.map((e) => e.event.type)).toEqual(['message.received']);
    expect(events[0]!.event).toMatchObject({ message: { id: message.id } });
    expect(own).not.toHaveBeenCalled();
  });

  it('a lost announcement loses nothing: the next one catches up from the cursor', async () => {
    const name = dbName();
    const silent = open(name, { broadcast: false });
    const loud = open(name);
    const watcher = open(name);
    const { conversation } = await seeded(silent);
    const received = await nextEvents(watcher);
    const lost = makeMessage(conversation, 1);
    const announced = makeMessage(conversation, 2);
    await silent.commit({ messages: [{ record: lost, expectedVersion: null }], events: [makeEvent(lost)] });
    await loud.commit({
      messages: [{ record: announced, expectedVersion: null }],
      events: [makeEvent(announced)],
    });
    expect((await received.events).map((e) => (e.event as { message: { id: string } }).message.id)).toEqual([
      lost.id,
      announced.id,
    ]);
  });

  it('state after close and reopen equals state before, for every record type and the event cursor', async () => {
    const name = dbName();
    const store = indexedDbStore({ name });
    const desk = createDesk({ store, logger: { warn() {}, error() {} } });
    const { keptId, mergeId, conversationId } = await buildHistory(desk);
    const before = await store.exportRecords();
    const events = await store.readEvents({ limit: 100 });
    await desk.close();
    const again = open(name);
    expect(await again.exportRecords()).toEqual(before);
    expect(await again.readEvents({ limit: 100 })).toEqual(events);
    expect((await again.getMerge(mergeId))?.keptId).toBe(keptId);
    expect(await again.listOutbox()).toHaveLength(1);
    expect(await again.countMessages({ customerId: keptId })).toBe(4);
    const last = events[events.length - 1]!.cursor;
    const desk2 = createDesk({ store: again, logger: { warn() {}, error() {} } });
    await desk2.receive({
      channel: 'sms',
      from: { kind: 'phone', value: '+14155550100', verified: true },
      text: 'more',
    });
    const next = await again.readEvents({ after: last, limit: 10 });
    expect(next[0]?.cursor).toBe(String(Number(last) + 1));
    expect(await again.listMessages({ conversationId }, { limit: 1 })).toMatchObject([
      { parts: [{ text: 'more' }] },
    ]);
  });

  it('an append writes the same few keys into a long conversation as into an empty one', async () => {
    const store = open(dbName());
    const changedKeys = async (conversation: ReturnType<typeof makeConversation>, offset: number) => {
      const before = new Map(
        (await store.exportRecords()).map(([k, v]) => [JSON.stringify(k), JSON.stringify(v)]),
      );
      const message = makeMessage(conversation, offset, { externalId: `X-${offset}-${conversation.id}` });
      await store.commit({
        messages: [{ record: message, expectedVersion: null }],
        events: [makeEvent(message)],
      });
      const after = await store.exportRecords();
      return after
        .filter(([k, v]) => before.get(JSON.stringify(k)) !== JSON.stringify(v))
        .map(([k]) => (Array.isArray(k) ? k[0] : String(k).split(':')[0]));
    };
    const { conversation: long } = await seeded(store);
    const history = Array.from({ length: 1000 }, (_, i) => makeMessage(long, i));
    await store.commit({ messages: history.map((record) => ({ record, expectedVersion: null })) });
    const { conversation: empty } = await seeded(store);
    const intoLong = await changedKeys(long, 5000);
    const intoEmpty = await changedKeys(empty, 5000);
    expect(intoLong.sort()).toEqual(['e', 'm', 'mc', 'meta', 'mu', 'x']);
    expect(intoEmpty.sort()).toEqual(intoLong);
  });

  it('large newest-first pages (one getAllKeys) agree with small ones (reverse cursor) and with oldest-first', async () => {
    const store = open(dbName());
    const { conversation, customer } = await seeded(store);
    const messages = Array.from({ length: 150 }, (_, i) =>
      makeMessage(conversation, i % 7 === 0 ? i - 1 : i),
    );
    await store.commit({ messages: messages.map((record) => ({ record, expectedVersion: null })) });
    const ids = (list: { id: string }[]) => list.map((m) => m.id);
    const oldestFirst = ids(
      await store.listMessages({ conversationId: conversation.id }, { limit: 150, after: { at: 0, id: '' } }),
    );
    const newestFirst = ids(await store.listMessages({ customerId: customer.id }, { limit: 100 }));
    expect(newestFirst).toEqual(oldestFirst.slice(-100).reverse());
    const small = ids(await store.listMessages({ conversationId: conversation.id }, { limit: 10 }));
    expect(small).toEqual(newestFirst.slice(0, 10));
    const before = (await store.getMessage(newestFirst[20]!))!;
    const older = ids(await store.listMessages({ conversationId: conversation.id }, { limit: 100, before }));
    expect(older).toEqual([...oldestFirst].reverse().slice(21, 121));
  });

  it('maps QuotaExceededError to a StorageError that says what to do (mapping only; Chromium tests a real quota)', () => {
    const quota = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    const error = toStorageError(quota, 'committing a batch');
    expect(error).toBeInstanceOf(StorageError);
    expect(error.message).toMatch(/quota exceeded while committing a batch.*navigator\.storage\.persist\(\)/);
    expect(error.cause).toBe(quota);
    const conflict = new ConflictError('x');
    expect(toStorageError(conflict, 'x')).toBe(conflict);
  });

  it('an open blocked by another tab holding an older version is a StorageError', async () => {
    const name = dbName();
    // An old tab whose code does not close its connection on `versionchange`.
    const old = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open(name, 1);
      request.onsuccess = () => resolve(request.result);
    });
    const blocked = openDatabase(name, 'strict', 2);
    await expect(blocked).rejects.toThrow(StorageError);
    await expect(blocked).rejects.toThrow(
      /"idb-test-\d+" is blocked: another tab keeps an older version open/,
    );
    old.close();
  });

  it('another tab deleting the database closes this connection instead of being blocked', async () => {
    const name = dbName();
    const store = open(name);
    await seeded(store);
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = () => resolve();
      request.onblocked = () => reject(new Error('blocked'));
    });
    await expect(store.getCustomer('x')).rejects.toThrow(/another tab upgraded or deleted database/);
  });

  it('export and import move a store to another database', async () => {
    const source = indexedDbStore({ name: dbName() });
    const desk = createDesk({ store: source, logger: { warn() {}, error() {} } });
    await buildHistory(desk);
    const records = await source.exportRecords();
    await desk.close();
    const target = open(dbName());
    await target.importRecords(records);
    expect(await target.exportRecords()).toEqual(records);
    await expect(target.importRecords(records)).rejects.toThrow(/already holds/);
  });

  it('rejects wrong options and use after close', async () => {
    expect(() => indexedDbStore({ name: '' })).toThrow(ValidationError);
    expect(() => indexedDbStore({ durability: 'fast' as never })).toThrow(/durability/);
    const store = indexedDbStore({ name: dbName() });
    await store.close();
    await expect(store.getCustomer('x')).rejects.toThrow(StorageError);
    await expect(store.commit({})).rejects.toThrow(/closed/);
  });
});
