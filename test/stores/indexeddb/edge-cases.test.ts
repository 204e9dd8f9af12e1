import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/core/store.js';
import { ConflictError, StorageError } from '../../../src/model/errors.js';
import { identityKey } from '../../../src/model/identity.js';
import { indexedDbStore } from '../../../src/stores/indexeddb/index.js';
import { makeConversation, makeCustomer, makeEvent, makeMessage } from '../../../src/testing/index.js';

let n = 0;
const dbName = () => `idb-edge-${++n}`;
const opened: Store[] = [];
function open(name: string) {
  const store = indexedDbStore({ name, broadcast: false });
  opened.push(store);
  return store;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

const phone = (value: string) => ({
  kind: 'phone' as const,
  value,
  verified: true,
  source: 'sms',
  linkedAt: '2026-01-01T00:00:00.000Z',
  lastSeenAt: '2026-01-01T00:00:00.000Z',
});

describe('indexeddb store edge cases', () => {
  it('a batch failing its identity check in a group writes none of its puts, also after reopen', async () => {
    const name = dbName();
    const store = indexedDbStore({ name, broadcast: false });
    const ann = makeCustomer({ identities: [phone('+14155550100')] });
    await store.commit({ customers: [{ record: ann, expectedVersion: null }] });
    const bob = makeCustomer({ identities: [phone('+14155550199')] });
    const thief = makeCustomer({ identities: [phone('+14155550100')] });
    const thiefConversation = makeConversation(thief.id);
    const message = makeMessage(thiefConversation, 1, { externalId: 'T1' });
    const cid = makeCustomer();
    const results = await Promise.allSettled([
      store.commit({ customers: [{ record: bob, expectedVersion: null }] }),
      store.commit({
        customers: [{ record: thief, expectedVersion: null }],
        conversations: [{ record: thiefConversation, expectedVersion: null }],
        messages: [{ record: message, expectedVersion: null }],
        outbox: [{ messageId: message.id, channel: 'sms', attempts: 0, notBefore: 0 }],
        events: [makeEvent(message)],
      }),
      store.commit({ customers: [{ record: cid, expectedVersion: null }] }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    const before = await store.exportRecords();
    await store.close();
    const again = open(name);
    expect(await again.exportRecords()).toEqual(before);
    expect(await again.getCustomer(thief.id)).toBeUndefined();
    expect(await again.getConversation(thiefConversation.id)).toBeUndefined();
    expect(await again.getMessageByExternalId('sms', 'T1')).toBeUndefined();
    expect(await again.listOutbox()).toEqual([]);
    expect(await again.readEvents({ limit: 10 })).toEqual([]);
    const owner = await again.findCustomerByIdentity('default', identityKey('phone', '+14155550100'));
    expect(owner?.id).toBe(ann.id);
    expect(await again.getCustomer(bob.id)).toEqual(bob);
    expect(await again.getCustomer(cid.id)).toEqual(cid);
  });

  it('close() with commits in flight and queued lets each of them commit, durably', async () => {
    const name = dbName();
    const store = indexedDbStore({ name, broadcast: false });
    const customer = makeCustomer();
    const conversation = makeConversation(customer.id);
    const first = store.commit({
      customers: [{ record: customer, expectedVersion: null }],
      conversations: [{ record: conversation, expectedVersion: null }],
    });
    const messages = Array.from({ length: 300 }, (_, i) => makeMessage(conversation, i));
    const commits = messages.map((record) =>
      store.commit({ messages: [{ record, expectedVersion: null }], events: [makeEvent(record)] }),
    );
    const closing = store.close();
    const twice = store.close();
    await Promise.all([first, ...commits, closing, twice]);
    await expect(store.commit({})).rejects.toBeInstanceOf(StorageError);
    const again = open(name);
    expect(await again.countMessages({ conversationId: conversation.id })).toBe(300);
    expect(await again.readEvents({ limit: 1000 })).toHaveLength(300);
  });

  it('a commit issued while close() waits for the queue settles: committed, or a StorageError', async () => {
    const name = dbName();
    const store = indexedDbStore({ name, broadcast: false });
    const customer = makeCustomer();
    const pending = store.commit({ customers: [{ record: customer, expectedVersion: null }] });
    const closing = store.close();
    const late = makeCustomer();
    const during = Promise.resolve(store.commit({ customers: [{ record: late, expectedVersion: null }] }));
    const outcome = await Promise.race([
      during.then(
        () => 'committed',
        (error: unknown) => (error instanceof StorageError ? 'refused' : `other: ${String(error)}`),
      ),
      closing.then(() => new Promise((resolve) => setTimeout(() => resolve('hung'), 500))),
    ]);
    await Promise.all([pending, closing]);
    expect(['committed', 'refused']).toContain(outcome);
    const again = open(name);
    expect(await again.getCustomer(customer.id)).toEqual(customer);
    expect(await again.getCustomer(late.id)).toEqual(outcome === 'committed' ? late : undefined);
  });

  it('an outbox claim racing close() settles: leased durably, or a StorageError', async () => {
    const name = dbName();
    const store = indexedDbStore({ name, broadcast: false });
    await store.commit({ outbox: [{ messageId: 'm1', channel: 'sms', attempts: 0, notBefore: 0 }] });
    const claim = store.claimOutbox({ now: 1, leaseMs: 60_000, owner: 'w', limit: 1 }).then(
      (claimed) => claimed.length,
      (error: unknown) => (error instanceof StorageError ? 'refused' : `other: ${String(error)}`),
    );
    await store.close();
    const outcome = await claim;
    expect([1, 'refused']).toContain(outcome);
    const [entry] = await open(name).listOutbox();
    expect(entry?.leaseOwner).toBe(outcome === 1 ? 'w' : undefined);
  });

  it('a provider id a message no longer carries finds its current record', async () => {
    const store = open(dbName());
    const customer = makeCustomer();
    const conversation = makeConversation(customer.id);
    const message = makeMessage(conversation, 1, { externalId: 'OLD' });
    await store.commit({
      customers: [{ record: customer, expectedVersion: null }],
      conversations: [{ record: conversation, expectedVersion: null }],
      messages: [{ record: message, expectedVersion: null }],
    });
    const renamed = { ...message, externalId: 'NEW', version: 2 };
    await store.commit({ messages: [{ record: renamed, expectedVersion: 1 }] });
    const delivered = { ...renamed, status: 'delivered' as const, version: 3 };
    await store.commit({ messages: [{ record: delivered, expectedVersion: 2 }] });
    expect(await store.getMessageByExternalId('sms', 'OLD')).toEqual(delivered);
    expect(await store.getMessageByExternalId('sms', 'NEW')).toEqual(delivered);
  });

  it('in one group commit, an update taking the id a new message of an earlier batch took is refused alone', async () => {
    const name = dbName();
    const store = open(name);
    const customer = makeCustomer();
    const conversation = makeConversation(customer.id);
    const queued = makeMessage(conversation, 1, { direction: 'outbound', status: 'queued' });
    await store.commit({
      customers: [{ record: customer, expectedVersion: null }],
      conversations: [{ record: conversation, expectedVersion: null }],
      messages: [{ record: queued, expectedVersion: null }],
    });
    const inbound = makeMessage(conversation, 2, { externalId: 'SM1' });
    const sent = { ...queued, status: 'sent' as const, externalId: 'SM1', version: 2 };
    const results = await Promise.allSettled([
      store.commit({ messages: [{ record: inbound, expectedVersion: null }] }),
      store.commit({ messages: [{ record: sent, expectedVersion: 1 }], events: [makeEvent(sent)] }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    const again = open(name);
    expect((await again.getMessageByExternalId('sms', 'SM1'))?.id).toBe(inbound.id);
    expect(await again.getMessage(queued.id)).toEqual(queued);
    expect(await again.readEvents({ limit: 10 })).toEqual([]);
  });

  it("an instance's own commit catches it up on another's commit that was never announced", async () => {
    const name = dbName();
    // `quiet` never announces: it stands for a tab that died between its commit and its announcement.
    const quiet = open(name);
    const watching = indexedDbStore({ name });
    opened.push(watching);
    const seen: string[] = [];
    watching.watch!((logged) => {
      for (const { event } of logged) if (event.type === 'message.received') seen.push(event.message.id);
    });
    const ann = makeCustomer({ identities: [phone('+14155550100')] });
    const conversation = makeConversation(ann.id);
    await watching.commit({
      customers: [{ record: ann, expectedVersion: null }],
      conversations: [{ record: conversation, expectedVersion: null }],
    });
    await watching.readEvents({ limit: 1 }); // the watch has read where the log ends
    const unannounced = makeMessage(conversation, 1);
    await quiet.commit({
      messages: [{ record: unannounced, expectedVersion: null }],
      events: [makeEvent(unannounced)],
    });
    const own = makeMessage(conversation, 2);
    await watching.commit({ messages: [{ record: own, expectedVersion: null }], events: [makeEvent(own)] });
    await expect.poll(() => seen, { timeout: 2_000 }).toEqual([unannounced.id]);
  });
});
