import { expect } from 'vitest';
import type { Store } from '../../core/store.js';
import type { DeskEvent } from '../../model/events.js';
import { makeEvent, makeMessage } from '../records.js';
import { type ContractCases, idsOf, seed } from './fixtures.js';

/** The event log: commit order, cursors that outlive a reopen, and retention of the newest events. */
export const eventCases: ContractCases = {
  'the event log reads from a cursor, in commit order': async ({ store, reopened }) => {
    const { conversation } = await seed(store);
    const messages = Array.from({ length: 5 }, (_, i) => makeMessage(conversation, i));
    for (const message of messages)
      await store.commit({
        messages: [{ record: message, expectedVersion: null }],
        events: [makeEvent(message)],
      });
    const s = await reopened();
    const first = await s.readEvents({ limit: 2 });
    expect(first.map((e) => e.event.id)).toHaveLength(2);
    const rest = await s.readEvents({ after: first[1]!.cursor, limit: 10 });
    const ids = [...first, ...rest].map((e) =>
      e.event.type === 'message.received' ? e.event.message.id : '',
    );
    expect(ids).toEqual(messages.map((m) => m.id));
    expect(await s.readEvents({ after: rest[rest.length - 1]!.cursor, limit: 10 })).toEqual([]);
  },
  'the events of one batch are logged in their order, and cursors outlive a reopen': async ({
    store,
    reopened,
  }) => {
    const { conversation } = await seed(store);
    const events = Array.from({ length: 5 }, (_, i) => makeEvent(makeMessage(conversation, i)));
    await store.commit({ events: events.slice(0, 3) });
    await store.commit({ events: [events[3]!] });
    const logged = await store.readEvents({ limit: 10 });
    expect(logged.map((entry) => entry.event)).toEqual(events.slice(0, 4));
    expect(new Set(logged.map((entry) => entry.cursor)).size).toBe(4);
    const middle = await store.readEvents({ after: logged[0]!.cursor, limit: 2 });
    expect(middle.map((entry) => entry.event)).toEqual(events.slice(1, 3));
    const s = await reopened();
    await s.commit({ events: [events[4]!] });
    const after = await s.readEvents({ after: logged[1]!.cursor, limit: 10 });
    expect(after.map((entry) => entry.event)).toEqual(events.slice(2));
  },
  'the event log keeps its newest events and the cursors read before': async ({
    store,
    reopened,
    eventRetention,
  }) => {
    const { conversation } = await seed(store);
    const kept = eventRetention ?? 6;
    const events = Array.from({ length: kept * 3 + 2 }, (_, i) => makeEvent(makeMessage(conversation, i)));
    const append = async (s: Store, list: DeskEvent[]) => {
      for (let i = 0; i < list.length; i += 4) await s.commit({ events: list.slice(i, i + 4) });
    };
    const marked = kept * 2 + 2;
    await append(store, events.slice(0, marked));
    const read = await store.readEvents({ limit: events.length });
    const mark = read[read.length - 1]!;
    expect(mark.event).toEqual(events[marked - 1]);
    await append(store, events.slice(marked));
    const check = async (s: Store) => {
      const since = await s.readEvents({ after: mark.cursor, limit: events.length });
      expect(idsOf(since.map((entry) => entry.event))).toEqual(idsOf(events.slice(marked)));
      // The log holds a run of the newest events: all of them, or at least as many as it keeps.
      const held = idsOf((await s.readEvents({ limit: events.length })).map((entry) => entry.event));
      expect(held).toEqual(idsOf(events.slice(events.length - held.length)));
      expect(held.length).toBeGreaterThanOrEqual(eventRetention ?? events.length);
    };
    await check(store);
    await check(await reopened());
  },
};
