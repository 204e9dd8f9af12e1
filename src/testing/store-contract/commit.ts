import { expect } from 'vitest';
import type { Put, WriteBatch } from '../../core/store.js';
import { ConflictError, StorageError } from '../../model/errors.js';
import { makeConversation, makeCustomer, makeEvent, makeMessage } from '../records.js';
import {
  type ContractCases,
  expectConflict,
  idsOf,
  mergeRecord,
  pending,
  phone,
  seed,
  update,
} from './fixtures.js';

/** Commits as a whole: records round-trip, version checks, put-once, all-or-nothing batches, a closed store. */
export const commitCases: ContractCases = {
  'records round-trip unchanged': async ({ store, reopened }) => {
    const { customer, conversation } = await seed(
      store,
      makeCustomer({ displayName: 'Ann', traits: { plan: 'pro', n: 3, nested: { a: [1, null] } } }),
    );
    const message = makeMessage(conversation, 5, {
      externalId: 'SM1',
      meta: { subject: 'Hello', references: ['a', 'b'] },
      replyTo: 'x@y',
    });
    await store.commit({ messages: [{ record: message, expectedVersion: null }] });
    const s = await reopened();
    expect(await s.getCustomer(customer.id)).toEqual(customer);
    expect(await s.getConversation(conversation.id)).toEqual(conversation);
    expect(await s.getMessage(message.id)).toEqual(message);
    expect(await s.getMessageByExternalId('sms', 'SM1')).toEqual(message);
    expect(await s.getMessageByExternalId('whatsapp', 'SM1')).toBeUndefined();
    expect(await s.getCustomer('nope')).toBeUndefined();
  },
  'a stale version or a second create is a conflict and writes nothing': async ({ store, reopened }) => {
    const { customer, conversation } = await seed(store);
    const message = makeMessage(conversation, 1);
    await expectConflict(() =>
      store.commit({
        customers: [{ record: { ...customer, displayName: 'X', version: 2 }, expectedVersion: 5 }],
        messages: [{ record: message, expectedVersion: null }],
      }),
    );
    await expectConflict(() =>
      store.commit({
        messages: [{ record: message, expectedVersion: null }],
        conversations: [{ record: conversation, expectedVersion: null }],
      }),
    );
    const s = await reopened();
    expect(await s.getMessage(message.id)).toBeUndefined();
    expect((await s.getCustomer(customer.id))?.displayName).toBeUndefined();
    await s.commit({
      customers: [{ record: { ...customer, displayName: 'Y', version: 2 }, expectedVersion: 1 }],
    });
    expect((await s.getCustomer(customer.id))?.version).toBe(2);
  },
  'a batch refused for any reason writes none of its parts': async ({ store, reopened }) => {
    const { customer, conversation } = await seed(
      store,
      makeCustomer({ identities: [phone('+14155550100')] }),
    );
    const message = makeMessage(conversation, 0);
    const merge = mergeRecord();
    await store.commit({
      messages: [{ record: message, expectedVersion: null }],
      merges: [{ record: merge, expectedVersion: null }],
      outbox: [pending('queued')],
    });
    const created = { customers: [] as string[], messages: [] as string[], merges: [] as string[] };
    const fresh = () => ({
      customer: makeCustomer(),
      conversation: makeConversation(customer.id),
      message: makeMessage(conversation, 1),
      merge: mergeRecord(),
    });
    /** A batch of new records, each part of which would apply on its own. */
    const acceptable = (records = fresh()) => {
      created.customers.push(records.customer.id);
      created.messages.push(records.message.id);
      created.merges.push(records.merge.id);
      return {
        customers: [{ record: records.customer, expectedVersion: null }],
        conversations: [{ record: records.conversation, expectedVersion: null }],
        messages: [{ record: records.message, expectedVersion: null }],
        merges: [{ record: records.merge, expectedVersion: null }],
        outbox: [pending(records.message.id)],
        outboxDone: ['queued'],
        events: [makeEvent(records.message)],
      } satisfies WriteBatch;
    };
    const stale = <T extends { version: number }>(record: T): Put<T> => ({
      record: { ...record, version: record.version + 2 },
      expectedVersion: record.version + 1,
    });
    const twice = <T extends { version: number }>(record: T): Put<T>[] => [
      { record, expectedVersion: null },
      { record: { ...record, version: 2 }, expectedVersion: null },
    ];
    const refusals: [string, WriteBatch][] = [
      ['a stale customer version', { customers: [stale(customer)] }],
      ['a stale conversation version', { conversations: [stale(conversation)] }],
      ['a stale message version', { messages: [stale(message)] }],
      ['a stale merge version', { merges: [stale(merge)] }],
      ['a customer created again', { customers: [{ record: customer, expectedVersion: null }] }],
      [
        'an update of a conversation never created',
        { conversations: [update(makeConversation(customer.id))] },
      ],
      ['a customer put twice', { customers: twice(makeCustomer()) }],
      ['a conversation put twice', { conversations: twice(makeConversation(customer.id)) }],
      ['a merge put twice', { merges: twice(mergeRecord()) }],
      [
        'an identity another live customer holds',
        {
          customers: [
            { record: makeCustomer({ identities: [phone('+14155550100')] }), expectedVersion: null },
          ],
        },
      ],
    ];
    // Each refused put comes last in its list: a driver that writes as it checks has written the rest.
    // The batches go together, as concurrent commits (a driver may group them).
    await Promise.all(
      refusals.map(async ([reason, refused]) => {
        const batch = acceptable();
        const commit = async () =>
          store.commit({
            ...batch,
            customers: [...batch.customers, ...(refused.customers ?? [])],
            conversations: [...batch.conversations, ...(refused.conversations ?? [])],
            messages: [...batch.messages, ...(refused.messages ?? [])],
            merges: [...batch.merges, ...(refused.merges ?? [])],
          });
        await expect(commit(), reason).rejects.toBeInstanceOf(ConflictError);
      }),
    );
    const s = await reopened();
    const none = (list: string[]) => list.map(() => undefined);
    const { customers, messages, merges } = created;
    expect(await Promise.all(customers.map((id) => s.getCustomer(id)))).toEqual(none(customers));
    expect(await Promise.all(messages.map((id) => s.getMessage(id)))).toEqual(none(messages));
    expect(await Promise.all(merges.map((id) => s.getMerge(id)))).toEqual(none(merges));
    expect(await s.getCustomer(customer.id)).toEqual(customer);
    expect(await s.getConversation(conversation.id)).toEqual(conversation);
    expect(await s.getMessage(message.id)).toEqual(message);
    expect(await s.getMerge(merge.id)).toEqual(merge);
    expect(await s.listOutbox()).toEqual([pending('queued')]);
    expect(await s.readEvents({ limit: 10 })).toEqual([]);
    expect(idsOf(await s.listConversations({ limit: 100 }))).toEqual([conversation.id]);
    expect(await s.countMessages({ customerId: customer.id })).toBe(1);
    // Without a refused put, the same batch commits whole.
    const records = fresh();
    await s.commit(acceptable(records));
    expect(await s.getCustomer(records.customer.id)).toEqual(records.customer);
    expect(await s.listConversations({ limit: 100 })).toEqual([records.conversation, conversation]);
    expect(await s.getMessage(records.message.id)).toEqual(records.message);
    expect(await s.getMerge(records.merge.id)).toEqual(records.merge);
    expect(await s.listOutbox()).toEqual([pending(records.message.id)]);
    expect(await s.readEvents({ limit: 10 })).toHaveLength(1);
  },
  'concurrent writers with the same expected version: exactly one wins': async ({ store }) => {
    const { customer } = await seed(store);
    const attempts = Array.from({ length: 5 }, async (_, i) =>
      store.commit({
        customers: [{ record: { ...customer, displayName: `n${i}`, version: 2 }, expectedVersion: 1 }],
      }),
    );
    const results = await Promise.allSettled(attempts);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConflictError);
  },
  'a record read before an update keeps its values': async ({ store }) => {
    const { customer, conversation } = await seed(store);
    const message = makeMessage(conversation, 0);
    await store.commit({ messages: [{ record: message, expectedVersion: null }] });
    const read = {
      customer: await store.getCustomer(customer.id),
      conversation: await store.getConversation(conversation.id),
      message: await store.getMessage(message.id),
      listed: await store.listMessages({ conversationId: conversation.id }, { limit: 1 }),
    };
    const copy = structuredClone(read);
    const changed = update(customer, { displayName: 'Ann', traits: { plan: 'pro' } });
    await store.commit({
      customers: [changed],
      conversations: [update(conversation, { status: 'resolved', tags: ['vip'] })],
      messages: [update(message, { status: 'read', meta: { seen: true } })],
    });
    expect(read).toEqual(copy);
    expect(await store.getCustomer(customer.id)).toEqual(changed.record);
  },
  'a record put twice in one batch is a conflict and the batch writes nothing': async ({
    store,
    reopened,
  }) => {
    const { conversation } = await seed(store);
    const message = makeMessage(conversation, 0);
    const twice = { ...message, externalId: undefined };
    const other = makeMessage(conversation, 1);
    await expectConflict(() =>
      store.commit({
        messages: [
          { record: other, expectedVersion: null },
          { record: twice, expectedVersion: null },
          { record: { ...twice, version: 2 }, expectedVersion: null },
        ],
      }),
    );
    const s = await reopened();
    expect(await s.getMessage(other.id)).toBeUndefined();
    expect(await s.getMessage(message.id)).toBeUndefined();
    expect(await s.countMessages({ conversationId: conversation.id })).toBe(0);
  },
  'a closed store refuses commits and outbox claims with a StorageError': async ({ store }) => {
    const { conversation } = await seed(store);
    await store.close();
    const message = makeMessage(conversation, 0);
    await expect(
      (async () => store.commit({ messages: [{ record: message, expectedVersion: null }] }))(),
    ).rejects.toBeInstanceOf(StorageError);
    await expect(
      (async () => store.claimOutbox({ limit: 1, leaseMs: 1_000, owner: 'contract', now: Date.now() }))(),
    ).rejects.toBeInstanceOf(StorageError);
  },
};
