import { expect } from 'vitest';
import { makeEvent, makeMessage } from '../records.js';
import { type ContractCases, expectConflict, seed, update } from './fixtures.js';

/** The channel + externalId index of messages: one message per id, kept through updates. */
export const externalIdCases: ContractCases = {
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
};
