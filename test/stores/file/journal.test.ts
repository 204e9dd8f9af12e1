import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanFrames } from '../../../src/stores/file/frame.js';
import { type Group, JournalWriter } from '../../../src/stores/file/journal.js';
import { makeConversation, makeCustomer, makeMessage } from '../../../src/testing/records.js';
import { openStore, tempDirs } from './helpers.js';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

describe('file store: group commit', () => {
  it('appends made while a group is being written share the next group and its one fsync', async () => {
    const dir = await dirs.make();
    const groups: number[] = [];
    const writer = await JournalWriter.open({
      dir,
      generation: 1,
      size: 0,
      fsync: true,
      onDurable: (group: Group) => void groups.push(group.payloads.length),
    });
    const first = writer.append(Buffer.from('"0"'), []);
    await new Promise((resolve) => setImmediate(resolve)); // the first group starts writing
    const rest = Array.from({ length: 99 }, (_, i) => writer.append(Buffer.from(`"${i + 1}"`), []));
    expect(new Set(rest).size).toBe(1);
    expect(rest[0]).not.toBe(first);
    await Promise.all([first.done, ...rest.map((group) => group.done)]);
    expect(groups).toEqual([1, 99]);
    await writer.close();
    // One journal record per group: the unit on disk is the unit that was acknowledged.
    const records: string[][] = [];
    const scan = await scanFrames(
      join(dir, 'journal-000000000001.log'),
      (payload) => void records.push(JSON.parse(payload.toString())),
    );
    expect(records).toEqual([['0'], Array.from({ length: 99 }, (_, i) => String(i + 1))]);
    expect(scan.damage).toBeUndefined();
    expect(scan.end).toBe((await readFile(join(dir, 'journal-000000000001.log'))).length);
  });

  it('a burst of appends that outlasts the last flush is split: its first part starts writing at once', async () => {
    const dir = await dirs.make();
    const durable: number[] = [];
    const writer = await JournalWriter.open({
      dir,
      generation: 1,
      size: 0,
      fsync: true,
      onDurable: (group: Group) => void durable.push(group.payloads.length),
    });
    await writer.append(Buffer.from('"warm-up"'), []).done; // measures one write and flush
    // 40 appends, 5 ms apart, without yielding to the event loop: a burst far longer than a flush.
    const burst: Group[] = [];
    for (let i = 0; i < 40; i++) {
      burst.push(writer.append(Buffer.from(`"${i}"`), []));
      const until = performance.now() + 5;
      while (performance.now() < until) {
        // a long computation between commits
      }
    }
    const groups = [...new Set(burst)];
    expect(groups.length).toBeGreaterThan(1);
    expect(groups[0]!.sealed).toBe(true);
    await Promise.all(groups.map((group) => group.done));
    expect(durable.slice(1).reduce((sum, n) => sum + n, 0)).toBe(40);
    await writer.close();
    const records: string[] = [];
    await scanFrames(join(dir, 'journal-000000000001.log'), (payload) => {
      records.push(...(JSON.parse(payload.toString()) as string[]));
    });
    expect(records).toEqual(['warm-up', ...Array.from({ length: 40 }, (_, i) => String(i))]);
  });

  it('a read of a record whose group is not yet durable waits for its fsync', async () => {
    const store = await openStore(await dirs.make());
    const customer = makeCustomer();
    const conversation = makeConversation(customer.id);
    const message = makeMessage(conversation, 1, { externalId: 'X1' });
    const order: string[] = [];
    const committed = Promise.resolve(
      store.commit({
        customers: [{ record: customer, expectedVersion: null }],
        conversations: [{ record: conversation, expectedVersion: null }],
        messages: [{ record: message, expectedVersion: null }],
      }),
    ).then(() => order.push('commit'));
    // A record not yet durable comes as a promise that settles after its group's write.
    const pending = store.getMessageByExternalId('sms', 'X1');
    expect(pending).toBeInstanceOf(Promise);
    const read = Promise.resolve(pending).then((found) =>
      order.push(`read ${found?.id} after ${store.stats().groups} group(s)`),
    );
    const unrelated = Promise.resolve(store.getCustomer('nobody')).then(() => order.push('unrelated'));
    // Every read that would return a record of the pending batch waits too.
    const others = [
      store.getCustomer(customer.id),
      store.getConversation(conversation.id),
      store.getMessage(message.id),
      store.listConversations({ customerId: customer.id, limit: 10 }),
      store.listMessages({ conversationId: conversation.id }, { limit: 10 }),
    ];
    for (const other of others) expect(other).toBeInstanceOf(Promise);
    await Promise.all([committed, read, unrelated, ...others]);
    expect(order[0]).toBe('unrelated');
    expect(order).toContain('commit');
    expect(order).toContain(`read ${message.id} after 1 group(s)`);
    // Once durable, the same read answers at once.
    expect((store.getMessageByExternalId('sms', 'X1') as { id: string }).id).toBe(message.id);
    await store.close();
  });
});

describe('file store: a failed write', () => {
  it('rejects the commit with a StorageError, refuses later writes, and loses nothing acknowledged', async () => {
    const dir = await dirs.make();
    const store = await openStore(dir);
    const customer = makeCustomer();
    const conversation = makeConversation(customer.id);
    await store.commit({ customers: [{ record: customer, expectedVersion: null }] });
    // Pull the journal's file descriptor out from under the writer: the next write fails (EBADF).
    await (store as unknown as { writer: { handle: { close(): Promise<void> } } }).writer.handle.close();
    const failed = store.commit({ conversations: [{ record: conversation, expectedVersion: null }] });
    await expect(failed).rejects.toMatchObject({
      name: 'StorageError',
      message: expect.stringContaining('journal-000000000001.log failed'),
    });
    await expect(store.getConversation(conversation.id)).rejects.toMatchObject({ name: 'StorageError' });
    await expect(store.commit({})).rejects.toMatchObject({ name: 'StorageError' });
    await store.close();
    const reopened = await openStore(dir);
    expect(await reopened.getCustomer(customer.id)).toEqual(customer);
    expect(await reopened.getConversation(conversation.id)).toBeUndefined();
    await reopened.close();
  });
});
