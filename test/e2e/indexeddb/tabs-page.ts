/**
 * The browser side of the multi-tab and failure tests (indexeddb-tabs.browser.test.ts), bundled by
 * esbuild and served to each page. Everything the Node side drives is on `window.tl`.
 */

import type { Desk } from '../../../src/core/types.js';
import { createDesk } from '../../../src/index.js';
import { ConflictError } from '../../../src/model/errors.js';
import type { DeskEvent } from '../../../src/model/events.js';
import { openDatabase } from '../../../src/stores/indexeddb/database.js';
import { type IndexedDbStore, indexedDbStore } from '../../../src/stores/indexeddb/index.js';

let desk: Desk | undefined;
let store: IndexedDbStore | undefined;
let conflicts = 0;
const emitted: DeskEvent[] = [];
const waiters = new Set<() => void>();
const quiet = { warn() {}, error() {} };
/** Connections of a newer app version, held open by `upgrade`. */
const held: { close(): void }[] = [];

/** Opens a desk on the shared database `name`, recording every event it emits; resolves once its store is open. */
async function openDesk(name: string): Promise<void> {
  store = indexedDbStore({ name });
  const commit = store.commit.bind(store);
  store.commit = async (batch) => {
    try {
      return await commit(batch);
    } catch (error) {
      if (error instanceof ConflictError) conflicts++;
      throw error;
    }
  };
  desk = createDesk({ store, logger: quiet });
  desk.onAny((event) => {
    emitted.push(event);
    for (const wake of [...waiters]) wake();
  });
  await store.readEvents({ limit: 1 });
}

/** Resolves once the desk emitted events with every id of `ids` (woken by the desk's own listener). */
function waitForEvents(ids: string[]): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const seen = new Set(emitted.map((event) => event.id));
      if (!ids.every((id) => seen.has(id))) return;
      waiters.delete(check);
      resolve();
    };
    waiters.add(check);
    check();
  });
}

const failure = (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`;

/**
 * Receives `count` SMS from `phone` (`prefix`-numbered provider ids), `parallel` at a time. A
 * receive that still loses the race after the desk's own retries (ConflictError) is delivered again,
 * as a provider redelivers a webhook answered 409. Each acknowledged receive is reported to the Node
 * side through `tlAck` when the page exposes it.
 */
async function burst(prefix: string, count: number, phone: string, parallel = 1) {
  const acked: string[] = [];
  const failed: string[] = [];
  let redelivered = 0;
  let next = 0;
  const deliver = async (externalId: string): Promise<void> => {
    try {
      await desk!.receive({
        channel: 'sms',
        from: { kind: 'phone', value: phone, verified: true },
        text: `message ${externalId}`,
        externalId,
      });
    } catch (error) {
      if (!(error instanceof ConflictError) || redelivered++ >= count) throw error;
      await deliver(externalId);
    }
  };
  const worker = async () => {
    while (next < count) {
      const externalId = `${prefix}-${next++}`;
      try {
        await deliver(externalId);
        acked.push(externalId);
        (window as { tlAck?: (id: string) => void }).tlAck?.(externalId);
      } catch (error) {
        failed.push(`${externalId}: ${failure(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { acked, failed, redelivered };
}

/** What the tests compare: the event ids this desk emitted, the log, and the stored messages. */
async function state() {
  const records = await store!.exportRecords();
  const keys = new Set(records.map(([key]) => (typeof key === 'string' ? key : JSON.stringify(key))));
  const messages = records
    .filter(([key]) => typeof key === 'string' && key.startsWith('m:'))
    .map(
      ([, value]) => value as { id: string; externalId: string; conversationId: string; customerId: string },
    );
  const positions = records.filter(([key]) => Array.isArray(key) && key[0] === 'mc').length;
  const log = await store!.readEvents({ limit: 100_000 });
  return {
    externalIds: messages.map((message) => message.externalId).sort(),
    orphans: messages.filter((message) => !keys.has(`v:${message.conversationId}`)).length,
    positions,
    conversations: records.filter(([key]) => typeof key === 'string' && key.startsWith('v:')).length,
    customers: records.filter(([key]) => typeof key === 'string' && key.startsWith('c:')).length,
    logIds: log.map((entry) => entry.event.id),
    logMessageIds: log.flatMap(({ event }) => (event.type === 'message.received' ? [event.message.id] : [])),
    messageIds: messages.map((message) => message.id),
    emittedIds: emitted.map((event) => event.id),
    conflicts,
  };
}

/** `length` random letters: Chromium compresses stored values, so a repeated character would cost no quota. */
function noise(length: number): string {
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += 65_536) crypto.getRandomValues(bytes.subarray(at, at + 65_536));
  return Array.from(bytes, (byte) => String.fromCharCode(65 + (byte % 58))).join('');
}

/** One receive (`size` random letters, else a short text), reported as its outcome instead of throwing. */
async function tryReceive(externalId: string, size?: number): Promise<string> {
  try {
    const result = await desk!.receive({
      channel: 'sms',
      from: { kind: 'phone', value: '+14155550123', verified: true },
      text: size === undefined ? `message ${externalId}` : noise(size),
      externalId,
    });
    return `ok: ${result.message.id}`;
  } catch (error) {
    return failure(error);
  }
}

/** A newer app version opening the database at IndexedDB version `version`; held open until `release`. */
async function upgrade(name: string, version: number): Promise<string> {
  try {
    held.push(await openDatabase(name, 'strict', version));
    return 'opened';
  } catch (error) {
    return failure(error);
  }
}

/** Receives 60 KB messages (random letters) from new senders until a commit fails; returns what was acknowledged and the error. */
async function fillUntilRefused(prefix: string) {
  const acked: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const externalId = `${prefix}-${i}`;
    try {
      await desk!.receive({
        channel: 'sms',
        from: { kind: 'phone', value: `+1415555${String(i).padStart(4, '0')}`, verified: true },
        text: noise(60_000), // under the inbound text limit (64 KiB)
        externalId,
      });
      acked.push(externalId);
    } catch (error) {
      return { acked, refused: externalId, error: failure(error) };
    }
  }
  return { acked, refused: undefined, error: 'no error after 120 MB' };
}

/** Another database of the origin holding `bytes` (space to free later with `drop`). */
async function ballast(name: string, bytes: number): Promise<void> {
  const db = await openDatabase(name, 'strict');
  const tx = db.transaction('readwrite');
  tx.objectStore('records').put(noise(bytes), 'ballast');
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onabort = () => reject(tx.error);
  });
  db.close();
}

function drop(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}

/** Posts each of `messages` on the BroadcastChannel `channel`, as a foreign script could. */
function post(channel: string, messages: unknown[]): void {
  const sender = new BroadcastChannel(channel);
  for (const message of messages) sender.postMessage(message);
  sender.close();
}

/** A connection of an old page that ignores `versionchange` (so it blocks upgrades) until `release`. */
async function holdOld(name: string): Promise<void> {
  held.push(
    await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore('records');
      request.onsuccess = () => resolve(request.result);
    }),
  );
}

function release(): void {
  for (const db of held.splice(0)) db.close();
}

/** The IndexedDB version of database `name` as the browser lists it. */
async function versionOf(name: string): Promise<number | undefined> {
  return (await indexedDB.databases()).find((db) => db.name === name)?.version;
}

Object.assign(window, {
  tl: {
    openDesk,
    waitForEvents,
    burst,
    state,
    tryReceive,
    upgrade,
    holdOld,
    post,
    fillUntilRefused,
    ballast,
    drop,
    release,
    versionOf,
    emitted: () => emitted.map((event) => ({ id: event.id, type: event.type })),
    close: () => desk?.close(),
  },
});
