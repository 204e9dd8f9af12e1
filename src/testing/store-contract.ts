import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Awaitable, Put, Store } from '../core/store.js';
import { ConflictError, StorageError } from '../model/errors.js';
import { identityKey } from '../model/identity.js';
import type { Customer, Message } from '../model/records.js';
import { makeConversation, makeCustomer, makeEvent, makeMessage } from './records.js';

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
}

/** The context each contract test gets. */
export interface ContractContext {
  store: Store;
  /** The store after a reopen (durable drivers), or the same store. */
  reopened(): Promise<Store>;
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
    const update = (message: Message, changes: Partial<Message>): Put<Message> => ({
      record: { ...message, ...changes, version: message.version + 1 },
      expectedVersion: message.version,
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
  'merge records round-trip': async ({ store, reopened }) => {
    const merge = {
      id: 'merge-1',
      brandId: 'default',
      keptId: 'a',
      mergedId: 'b',
      reason: 'api' as const,
      at: '2026-01-01T00:00:00.000Z',
      movedConversationIds: ['c1'],
      movedIdentities: [phone('+14155550100')],
      keptBefore: { traits: { x: 1 }, identities: [] },
      traitConflicts: [{ key: 'plan', winner: 'kept' as const, kept: 'pro', merged: 'free' }],
      filledTraits: ['x'],
      version: 1,
    };
    await store.commit({ merges: [{ record: merge, expectedVersion: null }] });
    await expectConflict(() => store.commit({ merges: [{ record: merge, expectedVersion: null }] }));
    expect(await (await reopened()).getMerge('merge-1')).toEqual(merge);
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
