import { expect } from 'vitest';
import type { Awaitable, OutboxEntry, Put, Store } from '../../core/store.js';
import { ConflictError } from '../../model/errors.js';
import type { Customer, MergeRecord } from '../../model/records.js';
import { makeConversation, makeCustomer, testId } from '../records.js';

/** The context each contract test gets. */
export interface ContractContext {
  store: Store;
  /** The store after a reopen (durable drivers), or the same store. */
  reopened(): Promise<Store>;
  /** `StoreContractOptions.eventRetention`: how many events the store keeps, if it drops older ones. */
  eventRetention: number | undefined;
}

/** Contract tests of one topic, by name; the name is what a driver's `skip` list gives. */
export type ContractCases = Record<string, (ctx: ContractContext) => Promise<void>>;

/** A phone identity as a customer record holds it, verified unless told otherwise. */
export const phone = (value: string, verified = true) => ({
  kind: 'phone' as const,
  value,
  verified,
  source: 'sms',
  linkedAt: '2026-01-01T00:00:00.000Z',
  lastSeenAt: '2026-01-01T00:00:00.000Z',
});

/** A pending outbox entry, due at `notBefore`. */
export const pending = (messageId: string, notBefore = 0): OutboxEntry => ({
  messageId,
  channel: 'sms',
  attempts: 0,
  notBefore,
});

/** The next version of a record, written under the version check of the one it replaces. */
export function update<T extends { version: number }>(record: T, changes: Partial<T> = {}): Put<T> {
  return { record: { ...record, ...changes, version: record.version + 1 }, expectedVersion: record.version };
}

/** A merge record for store tests; override any field. */
export function mergeRecord(overrides: Partial<MergeRecord> = {}): MergeRecord {
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

/** The ids of records, in their order. */
export const idsOf = (records: readonly { id: string }[]): string[] => records.map((record) => record.id);

/** A driver may refuse a commit by throwing or by rejecting (see `Awaitable`): both must be a ConflictError. */
export async function expectConflict(commit: () => Awaitable<unknown>): Promise<void> {
  await expect((async () => commit())()).rejects.toBeInstanceOf(ConflictError);
}

/** Commits a customer with one conversation; returns both. */
export async function seed(store: Store, customer: Customer = makeCustomer()) {
  const conversation = makeConversation(customer.id);
  await store.commit({
    customers: [{ record: customer, expectedVersion: null }],
    conversations: [{ record: conversation, expectedVersion: null }],
  });
  return { customer, conversation };
}
