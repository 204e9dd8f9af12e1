import { expect } from 'vitest';
import type { ConversationQuery } from '../../core/store.js';
import type { Conversation, Customer } from '../../model/records.js';
import { makeConversation, makeCustomer } from '../records.js';
import { type ContractCases, idsOf } from './fixtures.js';

/** Conversation listings: newest first, filtered before the limit. */
export const conversationCases: ContractCases = {
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
};
