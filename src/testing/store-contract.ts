import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  Awaitable,
  ConversationQuery,
  MessageScope,
  OutboxEntry,
  Put,
  Range,
  Store,
  WriteBatch,
} from '../core/store.js';
import { ConflictError, StorageError } from '../model/errors.js';
import type { DeskEvent } from '../model/events.js';
import { identityKey } from '../model/identity.js';
import type { Conversation, Customer, MergeRecord, Message } from '../model/records.js';
import { makeConversation, makeCustomer, makeEvent, makeMessage, testId } from './records.js';

/** Tests a driver may skip, by name, with the reason shown in the test report. */
export interface ContractSkip {
  reason: string;
  tests: string[];
}

/** Options of {@link describeStoreContract}. */
export interface StoreContractOptions {
  /** Tests this driver cannot support, by exact name, with the reason (reported as skipped, never silently). */
  skip?: ContractSkip[];
  /**
   * For durable drivers: closes the store and opens it again on the same data. When given, every
   * state check also runs after a reopen.
   */
  reopen?: (store: Store) => Promise<Store>;
  /**
   * For drivers whose event log keeps only its newest events: how many events each store from
   * `factory` keeps. The suite then writes past that many and checks that the newest events, and
   * the cursors read before, survive. Without it, every event the suite writes (about twenty) must be kept.
   */
  eventRetention?: number;
}

/** The context each contract test gets. */
export interface ContractContext {
  store: Store;
  /** The store after a reopen (durable drivers), or the same store. */
  reopened(): Promise<Store>;
  /** `StoreContractOptions.eventRetention`: how many events the store keeps, if it drops older ones. */
  eventRetention: number | undefined;
}

type Case = (ctx: ContractContext) => Promise<void>;

const phone = (value: string, verified = true) => ({
  kind: 'phone' as const,
  value,
  verified,
  source: 'sms',
  linkedAt: '2026-01-01T00:00:00.000Z',
  lastSeenAt: '2026-01-01T00:00:00.000Z',
});

/** A pending outbox entry, due at `notBefore`. */
const pending = (messageId: string, notBefore = 0): OutboxEntry => ({
  messageId,
  channel: 'sms',
  attempts: 0,
  notBefore,
});

/** The next version of a record, written under the version check of the one it replaces. */
function update<T extends { version: number }>(record: T, changes: Partial<T> = {}): Put<T> {
  return { record: { ...record, ...changes, version: record.version + 1 }, expectedVersion: record.version };
}

/** A merge record for store tests; override any field. */
function mergeRecord(overrides: Partial<MergeRecord> = {}): MergeRecord {
  return {
    id: testId('merge'),
    brandId: 'default',
    keptId: 'a',
    mergedId: 'b',
    reason: 'api',
    at: '2026-01-01T00:00:00.000Z',
    movedConversationIds: ['c1'],
    movedIdentities: [phone('+14155550100')],
    keptBefore: { traits: { x: 1 }, identities: [] },
    traitConflicts: [{ key: 'plan', winner: 'kept', kept: 'pro', merged: 'free' }],
    filledTraits: ['x'],
    version: 1,
    ...overrides,
  };
}

const idsOf = (records: readonly { id: string }[]): string[] => records.map((record) => record.id);

/** A driver may refuse a commit by throwing or by rejecting (see `Awaitable`): both must be a ConflictError. */
async function expectConflict(commit: () => Awaitable<unknown>): Promise<void> {
  await expect((async () => commit())()).rejects.toBeInstanceOf(ConflictError);
}

/** Commits a customer with one conversation; returns both. */
async function seed(store: Store, customer: Customer = makeCustomer()) {
  const conversation = makeConversation(customer.id);
  await store.commit({
    customers: [{ record: customer, expectedVersion: null }],
    conversations: [{ record: conversation, expectedVersion: null }],
  });
  return { customer, conversation };
}

const cases: Record<string, Case> = {
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
  'a duplicate channel + externalId is a conflict and the batch writes nothing': async ({
    store,
    reopened,
  }) => {
    const { customer, conversation } = await seed(store);
    await store.commit({
      messages: [{ record: makeMessage(conversation, 1, { externalId: 'E1' }), expectedVersion: null }],
    });
    const again = makeMessage(conversation, 2, { externalId: 'E1' });
    const touched = { ...conversation, messageCount: 9, version: 2 };
    await expectConflict(() =>
      store.commit({
        conversations: [{ record: touched, expectedVersion: 1 }],
        messages: [{ record: again, expectedVersion: null }],
        events: [makeEvent(again)],
      }),
    );
    const twice = [
      makeMessage(conversation, 3, { externalId: 'E2' }),
      makeMessage(conversation, 4, { externalId: 'E2' }),
    ];
    await expectConflict(() =>
      store.commit({ messages: twice.map((record) => ({ record, expectedVersion: null })) }),
    );
    const s = await reopened();
    expect(await s.getMessage(again.id)).toBeUndefined();
    expect((await s.getConversation(conversation.id))?.version).toBe(1);
    expect(await s.readEvents({ limit: 10 })).toEqual([]);
    expect(await s.countMessages({ customerId: customer.id })).toBe(1);
    await s.commit({
      messages: [
        {
          record: makeMessage(conversation, 5, { externalId: 'E1', channel: 'whatsapp' }),
          expectedVersion: null,
        },
      ],
    });
    expect(await s.countMessages({ conversationId: conversation.id })).toBe(2);
  },
  'an update may not take a channel + externalId that finds another message': async ({ store, reopened }) => {
    const { conversation } = await seed(store);
    const first = makeMessage(conversation, 1, { externalId: 'E1' });
    const second = makeMessage(conversation, 2, { externalId: 'E2' });
    const queued = makeMessage(conversation, 3, { direction: 'outbound', status: 'queued' });
    await store.commit({
      messages: [first, second, queued].map((record) => ({ record, expectedVersion: null })),
    });
    // Setting an id another message carries, or changing to one, with the rest of the batch.
    await expectConflict(() =>
      store.commit({
        messages: [update(queued, { externalId: 'E1', status: 'sent' })],
        events: [makeEvent(queued)],
      }),
    );
    await expectConflict(() => store.commit({ messages: [update(second, { externalId: 'E1' })] }));
    // An update and a new message of one batch taking the same id.
    await expectConflict(() =>
      store.commit({
        messages: [
          update(queued, { externalId: 'E3' }),
          { record: makeMessage(conversation, 4, { externalId: 'E3' }), expectedVersion: null },
        ],
      }),
    );
    // A message keeps its id through an update and may change it; its former id still finds it,
    // stays its own (no other message takes it) and can be taken back.
    const read = update(first, { status: 'read' });
    await store.commit({ messages: [read] });
    const renamed = update(read.record, { externalId: 'E1b' });
    await store.commit({ messages: [renamed] });
    await expectConflict(() => store.commit({ messages: [update(queued, { externalId: 'E1' })] }));
    const s = await reopened();
    expect((await s.getMessageByExternalId('sms', 'E1'))?.id).toBe(first.id);
    await expectConflict(() => s.commit({ messages: [update(second, { externalId: 'E1' })] }));
    await s.commit({ messages: [update(renamed.record, { externalId: 'E1' })] });
    await s.commit({ messages: [update(queued, { externalId: 'E3', status: 'sent' })] });
    expect((await s.getMessageByExternalId('sms', 'E1'))?.id).toBe(first.id);
    expect((await s.getMessageByExternalId('sms', 'E1b'))?.id).toBe(first.id);
    expect(await s.getMessageByExternalId('sms', 'E2')).toMatchObject({ id: second.id, externalId: 'E2' });
    expect(await s.getMessageByExternalId('sms', 'E3')).toMatchObject({ id: queued.id, status: 'sent' });
    expect(await s.readEvents({ limit: 10 })).toEqual([]);
    expect(await s.countMessages({ conversationId: conversation.id })).toBe(3);
  },
  'the identity index follows customers and refuses a second owner': async ({ store, reopened }) => {
    const ann = makeCustomer({ identities: [phone('+14155550100')] });
    const bob = makeCustomer({ identities: [phone('+14155550199')] });
    await seed(store, ann);
    await seed(store, bob);
    const key = identityKey('phone', '+14155550100');
    expect((await store.findCustomerByIdentity('default', key))?.id).toBe(ann.id);
    expect(await store.findCustomerByIdentity('other-brand', key)).toBeUndefined();
    expect((await store.findCustomerByIdentity('default', identityKey('whatsapp', '+14155550100')))?.id).toBe(
      ann.id,
    );
    await expectConflict(() =>
      store.commit({
        customers: [
          {
            record: { ...bob, identities: [...bob.identities, phone('+14155550100')], version: 2 },
            expectedVersion: 1,
          },
        ],
      }),
    );
    // Moving an identity between customers in one batch (a merge) is allowed.
    await store.commit({
      customers: [
        {
          record: { ...bob, identities: [...bob.identities, phone('+14155550100')], version: 2 },
          expectedVersion: 1,
        },
        { record: { ...ann, identities: [], mergedInto: bob.id, version: 2 }, expectedVersion: 1 },
      ],
    });
    const s = await reopened();
    expect((await s.findCustomerByIdentity('default', key))?.id).toBe(bob.id);
    expect((await s.getCustomer(ann.id))?.mergedInto).toBe(bob.id);
  },
  'the identity index releases what a customer drops, and all it held once merged away': async ({
    store,
    reopened,
  }) => {
    const [first, second] = ['+14155550101', '+14155550102'];
    const key = (value: string) => identityKey('phone', value);
    const ann = makeCustomer({ identities: [phone(first), phone(second)] });
    await seed(store, ann);
    // An update that keeps the identities: they find the customer as updated.
    const named = update(ann, { displayName: 'Ann' });
    await store.commit({ customers: [named] });
    expect(await store.findCustomerByIdentity('default', key(first))).toEqual(named.record);
    // An identity the customer drops is free, though not for two customers of one batch.
    const dropped = update(named.record, { identities: [phone(second)] });
    await store.commit({ customers: [dropped] });
    expect(await store.findCustomerByIdentity('default', key(first))).toBeUndefined();
    const bob = makeCustomer({ identities: [phone(first)] });
    const rival = makeCustomer({ identities: [phone(first)] });
    await expectConflict(() =>
      store.commit({ customers: [bob, rival].map((record) => ({ record, expectedVersion: null })) }),
    );
    await store.commit({ customers: [{ record: bob, expectedVersion: null }] });
    // A customer merged away holds none of its identities, even those its record still lists.
    await store.commit({ customers: [update(dropped.record, { mergedInto: bob.id })] });
    expect(await store.findCustomerByIdentity('default', key(second))).toBeUndefined();
    const carol = makeCustomer({ identities: [phone(second)] });
    await store.commit({ customers: [{ record: carol, expectedVersion: null }] });
    const s = await reopened();
    expect((await s.findCustomerByIdentity('default', key(first)))?.id).toBe(bob.id);
    expect((await s.findCustomerByIdentity('default', key(second)))?.id).toBe(carol.id);
    expect(await s.getCustomer(ann.id)).toMatchObject({ mergedInto: bob.id, identities: [phone(second)] });
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
  'messages page by conversation and by customer in time order': async ({ store, reopened }) => {
    const { customer, conversation } = await seed(store);
    const other = makeConversation(customer.id);
    await store.commit({ conversations: [{ record: other, expectedVersion: null }] });
    const offsets = [50, 10, 30, 20, 40, 60, 0];
    const messages = offsets.map((offset, i) => makeMessage(i % 2 ? other : conversation, offset));
    for (const message of messages)
      await store.commit({ messages: [{ record: message, expectedVersion: null }] });
    const s = await reopened();
    const byTime = [...messages].sort((a, b) => a.at - b.at);
    const newest = await s.listMessages({ customerId: customer.id }, { limit: 3 });
    expect(newest.map((m) => m.at)).toEqual(
      byTime
        .slice(-3)
        .reverse()
        .map((m) => m.at),
    );
    const older = await s.listMessages({ customerId: customer.id }, { limit: 3, before: newest[2]! });
    expect(older.map((m) => m.id)).toEqual(
      byTime
        .slice(1, 4)
        .reverse()
        .map((m) => m.id),
    );
    const after = await s.listMessages({ customerId: customer.id }, { limit: 10, after: byTime[1]! });
    expect(after.map((m) => m.id)).toEqual(byTime.slice(2).map((m) => m.id));
    const inConversation = await s.listMessages({ conversationId: conversation.id }, { limit: 10 });
    expect(inConversation.every((m) => m.conversationId === conversation.id)).toBe(true);
    expect(inConversation.map((m) => m.at)).toEqual(
      [...inConversation.map((m) => m.at)].sort((a, b) => b - a),
    );
    expect(await s.countMessages({ customerId: customer.id })).toBe(7);
    expect(await s.countMessages({ conversationId: conversation.id })).toBe(4);
    expect(await s.countMessages({ conversationId: 'none' })).toBe(0);
  },
  'messages at the same time are ordered by id, in both scopes and every window': async ({ store }) => {
    const { customer, conversation } = await seed(store);
    const early = makeMessage(conversation, 0);
    const [a, b, c] = [1, 2, 3].map(() => makeMessage(conversation, 10)) as [Message, Message, Message];
    const late = makeMessage(conversation, 20);
    // Written out of id order, the last of the ties written last.
    await store.commit({
      messages: [early, c, b, a, late].map((record) => ({ record, expectedVersion: null })),
    });
    // A position no message holds orders by time, then id, all the same.
    const gap = { at: a.at, id: '' };
    const windows: [string, Range, Message[]][] = [
      ['newest', { limit: 100 }, [late, c, b, a, early]],
      ['newest 2', { limit: 2 }, [late, c]],
      ['before b', { limit: 10, before: b }, [a, early]],
      ['2 before late', { limit: 2, before: late }, [c, b]],
      ['after b', { limit: 10, after: b }, [c, late]],
      ['2 after early', { limit: 2, after: early }, [a, b]],
      ['after a, before late', { limit: 10, after: a, before: late }, [b, c]],
      ['before a gap', { limit: 10, before: gap }, [early]],
      ['after a gap', { limit: 10, after: gap }, [a, b, c, late]],
    ];
    const scopes: MessageScope[] = [{ conversationId: conversation.id }, { customerId: customer.id }];
    await Promise.all(
      scopes.flatMap((scope) =>
        windows.map(async ([window, range, expected]) => {
          const listed = await store.listMessages(scope, range);
          expect(idsOf(listed), `${window} by ${Object.keys(scope)[0]}`).toEqual(idsOf(expected));
        }),
      ),
    );
  },
  'updating a message moves it between customer timelines': async ({ store, reopened }) => {
    const { customer, conversation } = await seed(store);
    const { customer: other } = await seed(store);
    const message = makeMessage(conversation, 1);
    await store.commit({ messages: [{ record: message, expectedVersion: null }] });
    await store.commit({
      conversations: [{ record: { ...conversation, customerId: other.id, version: 2 }, expectedVersion: 1 }],
      messages: [
        { record: { ...message, customerId: other.id, status: 'read', version: 2 }, expectedVersion: 1 },
      ],
    });
    const s = await reopened();
    expect(await s.countMessages({ customerId: customer.id })).toBe(0);
    expect((await s.listMessages({ customerId: other.id }, { limit: 5 })).map((m) => m.status)).toEqual([
      'read',
    ]);
    expect((await s.listConversations({ customerId: other.id, limit: 10 })).map((c) => c.id)).toContain(
      conversation.id,
    );
    expect(await s.listConversations({ customerId: customer.id, limit: 10 })).toEqual([]);
  },
  'an updated message is listed as updated, where it now belongs': async ({ store, reopened }) => {
    const { customer, conversation } = await seed(store);
    const other = makeConversation(customer.id);
    await store.commit({ conversations: [{ record: other, expectedVersion: null }] });
    const [first, second] = [0, 1].map((offset) => makeMessage(conversation, offset)) as [Message, Message];
    await store.commit({ messages: [first, second].map((record) => ({ record, expectedVersion: null })) });
    const read = update(first, { status: 'read' });
    await store.commit({ messages: [read] });
    const moved = update(second, { conversationId: other.id });
    await store.commit({ messages: [moved] });
    const s = await reopened();
    expect(await s.listMessages({ conversationId: conversation.id }, { limit: 10 })).toEqual([read.record]);
    expect(await s.listMessages({ conversationId: other.id }, { limit: 10 })).toEqual([moved.record]);
    expect(await s.listMessages({ customerId: customer.id }, { limit: 10 })).toEqual([
      moved.record,
      read.record,
    ]);
    expect(await s.countMessages({ conversationId: conversation.id })).toBe(1);
    expect(await s.countMessages({ conversationId: other.id })).toBe(1);
  },
  'a message whose time changes is listed at its new time': async ({ store, reopened }) => {
    const { customer, conversation } = await seed(store);
    const [first, second] = [10, 20].map((offset) => makeMessage(conversation, offset)) as [Message, Message];
    await store.commit({ messages: [first, second].map((record) => ({ record, expectedVersion: null })) });
    const at = first.at + 20;
    const later = update(first, { at, createdAt: new Date(at).toISOString(), status: 'read' });
    await store.commit({ messages: [later] });
    const scopes: MessageScope[] = [{ conversationId: conversation.id }, { customerId: customer.id }];
    const check = async (s: Store) => {
      for (const scope of scopes) {
        expect(await s.listMessages(scope, { limit: 10 })).toEqual([later.record, second]);
        expect(await s.listMessages(scope, { limit: 10, after: second })).toEqual([later.record]);
        expect(await s.listMessages(scope, { limit: 10, before: second })).toEqual([]);
        expect(await s.countMessages(scope)).toBe(2);
      }
    };
    await check(store);
    await check(await reopened());
  },
  'conversations list newest first with filters': async ({ store, reopened }) => {
    const customer = makeCustomer();
    await store.commit({ customers: [{ record: customer, expectedVersion: null }] });
    const conversations = ['open', 'resolved', 'open', 'pending'].map((status) =>
      makeConversation(customer.id, { status: status as 'open' }),
    );
    conversations.push(makeConversation(customer.id, { brandId: 'b2' }));
    for (const record of conversations)
      await store.commit({ conversations: [{ record, expectedVersion: null }] });
    const s = await reopened();
    const all = await s.listConversations({ customerId: customer.id, limit: 10 });
    expect(all.map((c) => c.id)).toEqual(conversations.map((c) => c.id).reverse());
    const open = await s.listConversations({
      customerId: customer.id,
      status: ['open'],
      brandId: 'default',
      limit: 10,
    });
    expect(open.map((c) => c.id)).toEqual([conversations[2]!.id, conversations[0]!.id]);
    const page = await s.listConversations({ limit: 2, beforeId: conversations[3]!.id });
    expect(page.map((c) => c.id)).toEqual([conversations[2]!.id, conversations[1]!.id]);
  },
  'conversation filters apply before the limit, with or without a customer': async ({ store, reopened }) => {
    const [ann, bob] = [makeCustomer(), makeCustomer()];
    await store.commit({ customers: [ann, bob].map((record) => ({ record, expectedVersion: null })) });
    const specs: [Customer, Partial<Conversation>][] = [
      [ann, {}],
      [bob, { status: 'resolved' }],
      [ann, { brandId: 'b2' }],
      [bob, {}],
      [ann, { status: 'resolved' }],
      [ann, {}],
    ];
    const all = specs.map(([customer, overrides]) => makeConversation(customer.id, overrides));
    const [c0, c1, c2, c3, c4, c5] = all as [
      Conversation,
      Conversation,
      Conversation,
      Conversation,
      Conversation,
      Conversation,
    ];
    // One batch, not in id order: the list order is the ids', not the writes'.
    await store.commit({
      conversations: [c5, c0, c3, c1, c4, c2].map((record) => ({ record, expectedVersion: null })),
    });
    const s = await reopened();
    const list = async (query: ConversationQuery) => idsOf(await s.listConversations(query));
    expect(await list({ limit: 10 })).toEqual(idsOf([c5, c4, c3, c2, c1, c0]));
    expect(await list({ brandId: 'default', limit: 10 })).toEqual(idsOf([c5, c4, c3, c1, c0]));
    expect(await list({ status: ['open'], limit: 2 })).toEqual(idsOf([c5, c3]));
    expect(
      await list({ status: ['open', 'pending'], brandId: 'default', beforeId: c5.id, limit: 10 }),
    ).toEqual(idsOf([c3, c0]));
    expect(await list({ customerId: ann.id, beforeId: c4.id, limit: 10 })).toEqual(idsOf([c2, c0]));
    expect(await list({ customerId: ann.id, status: ['open'], brandId: 'default', limit: 1 })).toEqual(
      idsOf([c5]),
    );
    expect(
      await list({ customerId: ann.id, status: ['open'], brandId: 'default', beforeId: c5.id, limit: 1 }),
    ).toEqual(idsOf([c0]));
    expect(await list({ customerId: bob.id, status: ['resolved'], limit: 10 })).toEqual(idsOf([c1]));
    expect(await list({ customerId: 'nobody', limit: 10 })).toEqual([]);
  },
  'outbox claims are leased, exclusive and expire': async ({ store, reopened }) => {
    const entries = ['m1', 'm2', 'm3'].map((messageId, i) => ({
      messageId,
      channel: 'sms',
      attempts: 0,
      notBefore: i === 2 ? 5_000 : 0,
    }));
    await store.commit({ outbox: entries });
    const [a, b] = await Promise.all([
      store.claimOutbox({ now: 1_000, leaseMs: 1_000, owner: 'a', limit: 10 }),
      store.claimOutbox({ now: 1_000, leaseMs: 1_000, owner: 'b', limit: 10 }),
    ]);
    const claimed = [...a, ...b].map((e) => e.messageId).sort();
    expect(claimed).toEqual(['m1', 'm2']);
    expect(await store.claimOutbox({ now: 1_500, leaseMs: 1_000, owner: 'c', limit: 10 })).toEqual([]);
    await store.commit({ outboxDone: ['m1'] });
    const s = await reopened();
    const again = await s.claimOutbox({ now: 6_000, leaseMs: 1_000, owner: 'd', limit: 10 });
    expect(again.map((e) => e.messageId).sort()).toEqual(['m2', 'm3']);
    expect(again.every((e) => e.leaseOwner === 'd' && e.leaseUntil === 7_000)).toBe(true);
    expect((await s.listOutbox()).map((e) => e.messageId).sort()).toEqual(['m2', 'm3']);
  },
  'an outbox claim limited to channels leaves the other entries untouched': async ({ store, reopened }) => {
    const entry = (messageId: string, channel: string) => ({ messageId, channel, attempts: 0, notBefore: 0 });
    await store.commit({ outbox: [entry('m1', 'sms'), entry('m2', 'whatsapp'), entry('m3', 'email')] });
    const claimed = await store.claimOutbox({
      now: 1_000,
      leaseMs: 1_000,
      owner: 'a',
      limit: 10,
      channels: ['sms', 'email'],
    });
    expect(claimed.map((e) => e.messageId).sort()).toEqual(['m1', 'm3']);
    expect(
      await store.claimOutbox({ now: 1_000, leaseMs: 1_000, owner: 'b', limit: 10, channels: [] }),
    ).toEqual([]);
    const s = await reopened();
    const left = (await s.listOutbox()).find((e) => e.messageId === 'm2');
    expect(left).toEqual(entry('m2', 'whatsapp'));
    const other = await s.claimOutbox({
      now: 1_000,
      leaseMs: 1_000,
      owner: 'c',
      limit: 10,
      channels: ['whatsapp'],
    });
    expect(other.map((e) => [e.messageId, e.leaseOwner])).toEqual([['m2', 'c']]);
  },
  'an outbox entry written again replaces the pending one, lease and all': async ({ store, reopened }) => {
    await store.commit({ outbox: [pending('m1')] });
    const claimed = await store.claimOutbox({ now: 1_000, leaseMs: 1_000, owner: 'a', limit: 10 });
    expect(claimed).toEqual([{ ...pending('m1'), leaseOwner: 'a', leaseUntil: 2_000 }]);
    // What a desk writes to retry a failed send: one more attempt, later, and no lease.
    const retry = { ...pending('m1', 1_500), attempts: 1, leaseOwner: undefined, leaseUntil: undefined };
    await store.commit({ outbox: [retry] });
    const s = await reopened();
    expect(await s.listOutbox()).toEqual([retry]);
    expect(await s.claimOutbox({ now: 1_499, leaseMs: 1_000, owner: 'b', limit: 10 })).toEqual([]);
    // Due at `notBefore` itself, while the replaced lease would still hold.
    expect(await s.claimOutbox({ now: 1_500, leaseMs: 1_000, owner: 'b', limit: 10 })).toEqual([
      { ...retry, leaseOwner: 'b', leaseUntil: 2_500 },
    ]);
  },
  'an outbox claim takes at most its limit and leaves the rest as they are': async ({ store }) => {
    const all = ['m1', 'm2', 'm3', 'm4', 'm5'];
    await store.commit({ outbox: all.map((messageId) => pending(messageId)) });
    const first = await store.claimOutbox({ now: 1_000, leaseMs: 1_000, owner: 'a', limit: 2 });
    expect(first).toHaveLength(2);
    const taken = first.map((entry) => entry.messageId);
    const outbox = await store.listOutbox();
    expect(outbox.filter((entry) => taken.includes(entry.messageId))).toEqual(expect.arrayContaining(first));
    const rest = outbox.filter((entry) => !taken.includes(entry.messageId));
    expect(rest.sort((x, y) => (x.messageId < y.messageId ? -1 : 1))).toEqual(
      all.filter((id) => !taken.includes(id)).map((messageId) => pending(messageId)),
    );
    const second = await store.claimOutbox({ now: 1_000, leaseMs: 1_000, owner: 'b', limit: 10 });
    expect([...taken, ...second.map((entry) => entry.messageId)].sort()).toEqual(all);
  },
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
  'merge records round-trip': async ({ store, reopened }) => {
    const merge = mergeRecord({ id: 'merge-1' });
    await store.commit({ merges: [{ record: merge, expectedVersion: null }] });
    await expectConflict(() => store.commit({ merges: [{ record: merge, expectedVersion: null }] }));
    expect(await (await reopened()).getMerge('merge-1')).toEqual(merge);
  },
  'a merge record is updated under its version check': async ({ store, reopened }) => {
    const merge = mergeRecord();
    await store.commit({ merges: [{ record: merge, expectedVersion: null }] });
    const undone = update(merge, { undoneAt: '2026-01-02T00:00:00.000Z' });
    await store.commit({ merges: [undone] });
    await expectConflict(() =>
      store.commit({ merges: [update(merge, { undoneAt: '2026-01-03T00:00:00.000Z' })] }),
    );
    expect(await (await reopened()).getMerge(merge.id)).toEqual(undone.record);
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

/**
 * Registers the store contract as a vitest suite: every store driver, Threadline's or a third
 * party's, must pass it. `factory` returns a fresh, empty store for each test.
 *
 * @example
 * ```ts
 * import { describeStoreContract } from 'threadline/testing';
 * describeStoreContract('my-driver', async () => myStore({ ... }));
 * ```
 */
export function describeStoreContract(
  name: string,
  factory: () => Store | Promise<Store>,
  options: StoreContractOptions = {},
): void {
  const skipped = new Map<string, string>();
  for (const entry of options.skip ?? []) for (const test of entry.tests) skipped.set(test, entry.reason);
  describe(`store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });
    for (const [title, run] of Object.entries(cases)) {
      const reason = skipped.get(title);
      if (reason !== undefined) {
        it.skip(`${title} (skipped: ${reason})`, () => {});
        continue;
      }
      it(title, async () => {
        const ctx: ContractContext = {
          store,
          eventRetention: options.eventRetention,
          reopened: async () => {
            if (!options.reopen) return store;
            store = await options.reopen(store);
            return store;
          },
        };
        await run(ctx);
      });
    }
  });
}

/** Names of every contract test, for `skip` lists. */
export const storeContractTests: readonly string[] = Object.keys(cases);
