/**
 * The browser half of the IndexedDB benchmark (bundled by esbuild, run in Chromium by
 * indexeddb.bench.ts). Each figure is measured beside its floor in the same page.
 */
import { createStore, setMany } from 'idb-keyval';
import type { Store, WriteBatch } from '../src/core/store.js';
import { createDesk } from '../src/index.js';
import type { Conversation, Message } from '../src/model/records.js';
import { type Durability, indexedDbStore } from '../src/stores/indexeddb/index.js';
import { makeConversation, makeCustomer, makeEvent, makeMessage } from '../src/testing/records.js';

const N = 10_000;
const SENDERS = 100;

/** What one `desk.receive` of a known customer commits: the message, its conversation, one event. */
function receiveBatch(conversation: Conversation, message: Message): WriteBatch {
  return {
    messages: [{ record: message, expectedVersion: null }],
    conversations: [
      {
        record: {
          ...conversation,
          version: conversation.version + 1,
          messageCount: conversation.messageCount + 1,
        },
        expectedVersion: conversation.version,
      },
    ],
    events: [makeEvent(message)],
  };
}

async function seedConversations(store: Store, count: number): Promise<Conversation[]> {
  const conversations: Conversation[] = [];
  for (let i = 0; i < count; i++) {
    const customer = makeCustomer();
    const conversation = makeConversation(customer.id);
    await store.commit({
      customers: [{ record: customer, expectedVersion: null }],
      conversations: [{ record: conversation, expectedVersion: null }],
    });
    conversations.push(conversation);
  }
  return conversations;
}

/** 10,000 receive-shaped commits from 100 conversations at once (100 in flight), in ms. */
async function receiveThroughput(durability: Durability): Promise<number> {
  const store = indexedDbStore({ name: `bench-receive-${durability}`, durability, broadcast: false });
  const conversations = await seedConversations(store, SENDERS);
  const start = performance.now();
  for (let round = 0; round < N / SENDERS; round++) {
    await Promise.all(
      conversations.map(async (conversation, i) => {
        await store.commit(
          receiveBatch(
            conversation,
            makeMessage(conversation, round * SENDERS + i, { externalId: `SM${round}-${i}` }),
          ),
        );
        conversations[i] = {
          ...conversation,
          version: conversation.version + 1,
          messageCount: conversation.messageCount + 1,
        };
      }),
    );
  }
  const ms = performance.now() - start;
  await store.close();
  return ms;
}

/** The floor: idb-keyval's own `setMany` of the same message and event records, 100 per call, in ms. */
async function setManyFloor(): Promise<number> {
  const use = createStore('bench-floor', 'keyval');
  const customer = makeCustomer();
  const conversation = makeConversation(customer.id);
  const start = performance.now();
  for (let round = 0; round < N / SENDERS; round++) {
    const entries: [IDBValidKey, unknown][] = [];
    for (let i = 0; i < SENDERS; i++) {
      const message = makeMessage(conversation, round * SENDERS + i);
      entries.push([`m:${message.id}`, message], [['e', round * SENDERS + i], { event: makeEvent(message) }]);
    }
    await setMany(entries, use);
  }
  return performance.now() - start;
}

/** Mean ms of `count` sequential single-message appends into one conversation. */
async function appendCost(store: Store, conversation: Conversation, count: number): Promise<number> {
  let current = conversation;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const message = makeMessage(current, 1e9 + i);
    await store.commit(receiveBatch(current, message));
    current = { ...current, version: current.version + 1, messageCount: current.messageCount + 1 };
  }
  return (performance.now() - start) / count;
}

async function appendComparison() {
  const name = 'bench-append';
  const store = indexedDbStore({ name, broadcast: false });
  const [long, empty] = await seedConversations(store, 2);
  for (let chunk = 0; chunk < N / 500; chunk++) {
    const messages = Array.from({ length: 500 }, (_, i) => makeMessage(long!, chunk * 500 + i));
    await store.commit({
      messages: messages.map((record) => ({ record, expectedVersion: null })),
      events: messages.map(makeEvent),
    });
  }
  await appendCost(store, empty!, 20); // warm-up
  const intoEmpty = await appendCost(store, { ...empty!, version: empty!.version + 20 }, 200);
  const intoLong = await appendCost(store, long!, 200);
  await store.close();
  return { intoEmpty, intoLong, name, longId: long!.id };
}

/** Opening a store on 10,000 messages: first page and count, then every message. */
async function openTimes(name: string, conversationId: string) {
  const start = performance.now();
  const store = indexedDbStore({ name, broadcast: false });
  await store.listMessages({ conversationId }, { limit: 50 });
  await store.countMessages({ conversationId });
  const firstPage = performance.now() - start;
  const all = await store.listMessages({ conversationId }, { limit: N + 1000 });
  const hydrate = performance.now() - start;
  await store.close();
  return { firstPage, hydrate, count: all.length };
}

/** End to end: 2,000 `desk.receive` calls from 100 senders at once (identity, continuity, commit). */
async function deskReceive(): Promise<number> {
  const desk = createDesk({
    store: indexedDbStore({ name: 'bench-desk', broadcast: false }),
    logger: { warn() {}, error() {} },
  });
  const start = performance.now();
  await Promise.all(
    Array.from({ length: SENDERS }, async (_, s) => {
      for (let i = 0; i < 20; i++) {
        await desk.receive({
          channel: 'sms',
          from: { kind: 'phone', value: `+1415555${String(s).padStart(4, '0')}`, verified: true },
          text: `m${i}`,
          externalId: `D${s}-${i}`,
        });
      }
    }),
  );
  const ms = performance.now() - start;
  await desk.close();
  return ms;
}

async function bench() {
  const floor = await setManyFloor();
  const strict = await receiveThroughput('strict');
  const relaxed = await receiveThroughput('relaxed');
  const append = await appendComparison();
  const open = await openTimes(append.name, append.longId);
  const desk = await deskReceive();
  return { n: N, floor, strict, relaxed, append, open, desk, userAgent: navigator.userAgent };
}

Object.assign(window, { bench });
