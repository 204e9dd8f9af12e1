import { afterAll, describe, expect, it } from 'vitest';
import type { Desk } from '../../../src/core/types.js';
import { createDesk } from '../../../src/index.js';
import type { FileStoreHandle } from '../../../src/stores/file/index.js';
import { dump, openStore, tempDirs } from './helpers.js';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

/** Writes every record type through a real desk: customers, conversations, messages, a merge and its undo, outbox entries with a claim, events. */
async function populate(desk: Desk, store: FileStoreHandle) {
  const ann = await desk.receive({
    channel: 'sms',
    from: { kind: 'phone', value: '+14155550100', verified: true },
    text: 'hi',
    externalId: 'SM1',
  });
  await desk.receive({
    channel: 'whatsapp',
    from: { kind: 'whatsapp', value: '+14155550100', verified: true },
    text: 'again',
    externalId: 'WA1',
  });
  const bob = await desk.receive({
    channel: 'email',
    from: { kind: 'email', value: 'bob@example.com', verified: true },
    text: 'mail',
    externalId: '<m1@x>',
  });
  const cid = await desk.receive({
    channel: 'telegram',
    from: { kind: 'telegram', value: '777', verified: true },
    text: 'tg',
    externalId: 'T1',
    // A customer author with more than its type: a reopen must keep it as it was.
    author: { type: 'customer', name: 'Cid at the counter' },
  });
  const merge = await desk.merge(ann.customer.id, bob.customer.id);
  const undone = await desk.merge(ann.customer.id, cid.customer.id);
  await desk.unmerge(undone.id);
  await desk.conversations.update(ann.conversation.id, {
    status: 'pending',
    tags: ['vip'],
    assigneeId: 'agent-1',
  });
  await desk.reply(ann.conversation.id, { text: 'hello back', channel: 'sms' });
  await desk.reply(cid.conversation.id, { text: 'second', channel: 'telegram' });
  const claimed = await store.claimOutbox({
    now: Date.now(),
    leaseMs: 3_600_000,
    owner: 'worker-1',
    limit: 1,
  });
  expect(claimed).toHaveLength(1);
  return {
    customers: [ann.customer.id, bob.customer.id, cid.customer.id],
    conversations: [ann.conversation.id, bob.conversation.id, cid.conversation.id],
    merges: [merge.id, undone.id],
  };
}

async function reopenAndCompare(
  dir: string,
  before: Awaited<ReturnType<typeof dump>>,
  ids: Parameters<typeof dump>[1],
) {
  const store = await openStore(dir);
  expect(await dump(store, ids)).toEqual(before);
  return store;
}

describe('file store: restart', () => {
  for (const mode of ['journal only', 'after compact()', 'snapshot plus journal'] as const) {
    it(`state after reopen equals state before close (${mode})`, async () => {
      const dir = await dirs.make();
      let store = await openStore(dir);
      let desk = createDesk({ store });
      if (mode === 'snapshot plus journal') {
        await desk.receive({
          channel: 'sms',
          from: { kind: 'phone', value: '+14155550199' },
          text: 'early',
          externalId: 'SM0',
        });
        await store.compact();
      }
      const ids = await populate(desk, store);
      if (mode === 'after compact()') await store.compact();
      const before = await dump(store, ids);
      expect(before.outbox.some((entry) => entry.leaseOwner === 'worker-1')).toBe(true);
      expect(before.merges.every((merge) => merge !== undefined)).toBe(true);
      expect(before.messages.flat()).toHaveLength(6);
      expect(before.outbox).toHaveLength(2);
      expect(before.customers[1]!.mergedInto).toBe(ids.customers[0]);
      expect(before.customers[2]!.mergedInto).toBeUndefined();
      await desk.close();
      await store.close();

      store = await reopenAndCompare(dir, before, ids);
      // The event log continues from the same cursors.
      const last = before.events[before.events.length - 1]!.cursor;
      desk = createDesk({ store });
      await desk.receive({
        channel: 'sms',
        from: { kind: 'phone', value: '+14155550100', verified: true },
        text: 'after',
        externalId: 'SM9',
      });
      const next = await store.readEvents({ after: last, limit: 100 });
      expect(next.length).toBeGreaterThan(0);
      expect(next[0]!.cursor).toBe(String(Number(last) + 1));
      expect(next.map((entry) => entry.event.type)).toContain('message.received');
      // A claimed entry stays leased across the restart; the other stays claimable.
      const again = await store.claimOutbox({ now: Date.now(), leaseMs: 1000, owner: 'worker-2', limit: 10 });
      expect(again).toHaveLength(1);
      await desk.close();
      await store.close();
    });
  }

  it('a closed store refuses writes with a StorageError and reopens with everything', async () => {
    const dir = await dirs.make();
    const store = await openStore(dir);
    const desk = createDesk({ store });
    const { message } = await desk.receive({
      channel: 'sms',
      from: { kind: 'phone', value: '+14155550100' },
      text: 'x',
      externalId: 'A',
    });
    await store.close();
    await expect(store.commit({})).rejects.toMatchObject({
      name: 'StorageError',
      message: expect.stringContaining('closed'),
    });
    await expect(store.compact()).rejects.toMatchObject({ name: 'StorageError' });
    const reopened = await openStore(dir);
    expect(await reopened.getMessageByExternalId('sms', 'A')).toEqual(message);
    await reopened.close();
  });
});
