import { assertPutOnce, type Put, type WriteBatch } from '../../core/store.js';
import { ConflictError } from '../../model/errors.js';
import type { LoggedEvent } from '../../model/events.js';
import { identityKey } from '../../model/identity-key.js';
import type { Conversation, Customer, Message } from '../../model/records.js';
import {
  conversationKey,
  conversationPositionKey,
  customerConversationKey,
  customerKey,
  customerPositionKey,
  eventKey,
  externalKey,
  META_SEQ,
  mergeKey,
  messageKey,
  outboxKey,
  ownerKey,
} from './layout.js';
import type { TransactionView } from './view.js';

/** An event as the log stores it: the event and the store instance that wrote it. */
export interface StoredEvent {
  event: LoggedEvent['event'];
  origin: string;
}

const recordKeys = {
  customer: customerKey,
  conversation: conversationKey,
  message: messageKey,
  merge: mergeKey,
} as const;

const withExternal = (put: Put<Message>): boolean => put.record.externalId !== undefined;

function liveKeys(customer: Customer | undefined): string[] {
  if (!customer || customer.mergedInto !== undefined) return [];
  return customer.identities.map((identity) =>
    ownerKey(customer.brandId, identityKey(identity.kind, identity.value)),
  );
}

/** Keys a batch's checks read: its records, its messages' dedupe keys and the event counter. */
export function keysToRead(batch: WriteBatch): IDBValidKey[] {
  return [
    ...(batch.customers ?? []).map(({ record }) => customerKey(record.id)),
    ...(batch.conversations ?? []).map(({ record }) => conversationKey(record.id)),
    ...(batch.messages ?? []).map(({ record }) => messageKey(record.id)),
    ...(batch.merges ?? []).map(({ record }) => mergeKey(record.id)),
    ...(batch.messages ?? [])
      .filter(withExternal)
      .map(({ record }) => externalKey(record.channel, record.externalId!)),
    ...(batch.events?.length ? [META_SEQ] : []),
  ];
}

/** Identity-index keys a batch's checks read (after `keysToRead` was prefetched). */
export function ownerKeysToRead(batch: WriteBatch, view: TransactionView): IDBValidKey[] {
  return (batch.customers ?? []).flatMap(({ record }) => [
    ...liveKeys(view.get(customerKey(record.id))),
    ...liveKeys(record),
  ]);
}

function checkVersions<T extends { id: string; version: number }>(
  what: keyof typeof recordKeys,
  puts: Put<T>[] | undefined,
  view: TransactionView,
): void {
  assertPutOnce(what, puts);
  for (const { record, expectedVersion } of puts ?? []) {
    const existing = view.get<T>(recordKeys[what](record.id));
    if (expectedVersion === null ? existing !== undefined : existing?.version !== expectedVersion) {
      throw new ConflictError(
        expectedVersion === null
          ? `${what} ${record.id} already exists`
          : `${what} ${record.id} changed concurrently (expected version ${expectedVersion}, found ${existing?.version ?? 'none'})`,
      );
    }
  }
}

/**
 * A dedupe key finds one message: a put may not take a key that finds another message (one that
 * carries it, or carried it before: a former id keeps finding its message). A message may keep, or
 * take back, its own.
 */
function checkExternals(puts: Put<Message>[], view: TransactionView): void {
  const claimed = new Map<string, string>();
  for (const { record, expectedVersion } of puts.filter(withExternal)) {
    const key = externalKey(record.channel, record.externalId!);
    const holder = view.get<string>(key) ?? claimed.get(key);
    if (holder !== undefined && holder !== record.id) {
      throw new ConflictError(
        expectedVersion === null
          ? `message ${record.externalId} on channel ${record.channel} is already stored`
          : `message ${record.id} cannot take provider id ${record.externalId} on channel ${record.channel}: message ${holder} has it`,
      );
    }
    claimed.set(key, record.id);
  }
}

/**
 * Checks the identity index for the batch's customers and returns the index entries to write
 * (`undefined` = delete). Identities released by a customer of this batch (a merge moving them)
 * may be claimed by another customer of the same batch.
 */
function planOwners(puts: Put<Customer>[], view: TransactionView): Map<string, string | undefined> {
  const plan = new Map<string, string | undefined>();
  const previous = puts.map(({ record }) => view.get<Customer>(customerKey(record.id)));
  const released = new Set(previous.flatMap(liveKeys));
  const claimed = new Map<string, string>();
  puts.forEach(({ record }, i) => {
    for (const key of liveKeys(previous[i])) if (view.get(key) === record.id) plan.set(key, undefined);
    for (const key of liveKeys(record)) {
      const owner = view.get<string>(key);
      const taken = owner !== undefined && owner !== record.id && !released.has(key);
      if (taken || (claimed.has(key) && claimed.get(key) !== record.id)) {
        throw new ConflictError(`identity ${key.split('\u0000')[1]} already belongs to another customer`);
      }
      claimed.set(key, record.id);
    }
  });
  for (const [key, id] of claimed) plan.set(key, id);
  return plan;
}

function writeConversation(view: TransactionView, record: Conversation): void {
  const before = view.get<Conversation>(conversationKey(record.id));
  view.put(conversationKey(record.id), record);
  if (before?.customerId === record.customerId) return;
  if (before) view.delete(customerConversationKey(before.customerId, record.id));
  view.put(customerConversationKey(record.customerId, record.id), 0);
}

function writeMessage(view: TransactionView, record: Message): void {
  const before = view.get<Message>(messageKey(record.id));
  view.put(messageKey(record.id), record);
  if (record.externalId !== undefined) view.put(externalKey(record.channel, record.externalId), record.id);
  const moved = (scope: 'conversationId' | 'customerId') =>
    !before || before[scope] !== record[scope] || before.at !== record.at;
  if (moved('conversationId')) {
    if (before) view.delete(conversationPositionKey(before));
    view.put(conversationPositionKey(record), 0);
  }
  if (moved('customerId')) {
    if (before) view.delete(customerPositionKey(before));
    view.put(customerPositionKey(record), 0);
  }
}

function writeEvents(view: TransactionView, batch: WriteBatch, origin: string): LoggedEvent[] {
  if (!batch.events?.length) return [];
  const seq = view.get<number>(META_SEQ) ?? 0;
  const logged = batch.events.map((event, i) => {
    const stored: StoredEvent = { event, origin };
    view.put(eventKey(seq + i + 1), stored);
    return { cursor: String(seq + i + 1), event };
  });
  view.put(META_SEQ, seq + logged.length);
  return logged;
}

/**
 * Applies one batch to a transaction whose reads (`keysToRead`, `ownerKeysToRead`) are prefetched:
 * throws ConflictError before writing anything when a check fails, else records every write in the view.
 * Synchronous, so a group of batches costs two read round trips in all, not two per batch.
 */
export function applyBatch(view: TransactionView, batch: WriteBatch, origin: string): LoggedEvent[] {
  checkVersions('customer', batch.customers, view);
  checkVersions('conversation', batch.conversations, view);
  checkVersions('message', batch.messages, view);
  checkVersions('merge', batch.merges, view);
  checkExternals(batch.messages ?? [], view);
  const owners = planOwners(batch.customers ?? [], view);
  // From here on nothing throws a ConflictError: only writes.
  for (const [key, id] of owners) id === undefined ? view.delete(key) : view.put(key, id);
  for (const { record } of batch.customers ?? []) view.put(customerKey(record.id), record);
  for (const { record } of batch.conversations ?? []) writeConversation(view, record);
  for (const { record } of batch.messages ?? []) writeMessage(view, record);
  for (const { record } of batch.merges ?? []) view.put(mergeKey(record.id), record);
  for (const entry of batch.outbox ?? []) view.put(outboxKey(entry.messageId), entry);
  for (const messageId of batch.outboxDone ?? []) view.delete(outboxKey(messageId));
  return writeEvents(view, batch, origin);
}
