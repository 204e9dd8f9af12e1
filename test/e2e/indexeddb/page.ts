/**
 * The browser side of the Chromium tests, bundled by esbuild (with `vitest` aliased to
 * vitest-shim.ts) and served to the page. Everything the Node side drives is on `window.tl`.
 */

import type { Desk } from '../../../src/core/types.js';
import { createDesk } from '../../../src/index.js';
import type { DeskEvent } from '../../../src/model/events.js';
import { openDatabase, toStorageError } from '../../../src/stores/indexeddb/database.js';
import { type IndexedDbStore, indexedDbStore } from '../../../src/stores/indexeddb/index.js';
import { describeStoreContract } from '../../../src/testing/store-contract/index.js';
import { buildHistory } from '../../stores/indexeddb/scenario.js';
import { runRegistered } from './vitest-shim.js';

let n = 0;
let desk: Desk | undefined;
let store: IndexedDbStore | undefined;
const received: DeskEvent[] = [];
const quiet = { warn() {}, error() {} };

/** Runs the store contract in this page, against a fresh database per test. */
async function runContract() {
  const names = new WeakMap<object, string>();
  const fresh = (name = `contract-${Date.now()}-${++n}`) => {
    const created = indexedDbStore({ name });
    names.set(created, name);
    return created;
  };
  describeStoreContract('indexeddb (chromium)', () => fresh(), {
    reopen: async (current) => {
      await current.close();
      return fresh(names.get(current));
    },
  });
  return runRegistered();
}

/** Opens a desk on the shared database `name`, recording every event it emits (its own and other tabs'). */
function openDesk(name: string): void {
  store = indexedDbStore({ name });
  desk = createDesk({ store, logger: quiet });
  desk.onAny((event) => received.push(event));
}

/** Resolves once this page's desk has emitted an event of `type` for message `id`. */
async function waitForMessage(id: string): Promise<DeskEvent> {
  for (;;) {
    const found = received.find((event) => event.type === 'message.received' && event.message.id === id);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The state a restart must preserve: every raw record and the event log. */
async function snapshot() {
  return { records: await store!.exportRecords(), events: await store!.readEvents({ limit: 1000 }) };
}

async function reopen(name: string) {
  await desk?.close();
  openDesk(name);
}

/** Messages whose conversation record is missing (a half-written batch would leave some). */
async function orphans(): Promise<number> {
  const records = await store!.exportRecords();
  const keys = new Set(records.map(([key]) => key));
  const messages = records.filter(([key]) => typeof key === 'string' && key.startsWith('m:'));
  return messages.filter(
    ([, value]) => !keys.has(`v:${(value as { conversationId: string }).conversationId}`),
  ).length;
}

/** Writes new conversations until the origin's quota refuses; returns the error and what was left behind. */
async function fillUntilQuota(name: string) {
  openDesk(name);
  const blob = 'x'.repeat(60_000); // under the inbound text limit (64 KiB)
  let i = 0;
  try {
    for (; i < 2000; i++) {
      const from = { kind: 'phone' as const, value: `+1415555${String(i).padStart(4, '0')}`, verified: true };
      await desk!.receive({ channel: 'sms', from, text: blob, externalId: `Q${i}` });
    }
    return {
      name: 'none',
      message: 'no quota error after 120 MB',
      orphans: await orphans(),
      failedStored: false,
    };
  } catch (error) {
    const failedStored = (await store!.getMessageByExternalId('sms', `Q${i}`)) !== undefined;
    return {
      name: (error as Error).name,
      message: (error as Error).message,
      orphans: await orphans(),
      failedStored,
    };
  }
}

/** A raw old-version connection that never closes, then an upgrade: must be a StorageError, not a hang. */
async function blockedOpen(name: string) {
  const old = await new Promise<IDBDatabase>((resolve) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => request.result.createObjectStore('records');
    request.onsuccess = () => resolve(request.result);
  });
  try {
    await openDatabase(name, 'strict', 2);
    return 'opened';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  } finally {
    old.close();
  }
}

function mapQuota() {
  const error = toStorageError(new DOMException('quota', 'QuotaExceededError'), 'committing a batch');
  return `${error.name}: ${error.message}`;
}

Object.assign(window, {
  tl: {
    runContract,
    openDesk,
    reopen,
    snapshot,
    waitForMessage,
    fillUntilQuota,
    blockedOpen,
    mapQuota,
    buildHistory: () => buildHistory(desk!),
    receive: (text: string, externalId: string) =>
      desk!.receive({
        channel: 'sms',
        from: { kind: 'phone', value: '+14155550123', verified: true },
        text,
        externalId,
      }),
    close: () => desk?.close(),
  },
});
