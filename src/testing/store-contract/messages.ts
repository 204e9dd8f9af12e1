import { expect } from 'vitest';
import type { MessageScope, Range, Store } from '../../core/store.js';
import type { Message } from '../../model/records.js';
import { makeConversation, makeMessage } from '../records.js';
import { type ContractCases, idsOf, seed, update } from './fixtures.js';

/** Message listings: pages and ranges by conversation and by customer, in time then id order. */
export const messageCases: ContractCases = {
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
};
