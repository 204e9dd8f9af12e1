import * as z from 'zod';
import { ConflictError, NotFoundError, PolicyError, ValidationError } from '../model/errors.js';
import type { Identity } from '../model/identity.js';
import { type Conversation, type Customer, type Json, MergeRecord, type Message } from '../model/records.js';
import { keyOf } from './identity.js';
import {
  commitAndEmit,
  iso,
  makeEvent,
  parseInput,
  type Runtime,
  resolveCustomer,
  withConflictRetry,
} from './runtime.js';
import type { Put } from './store.js';

const ALL = Number.MAX_SAFE_INTEGER;

/**
 * A trait's own value: a trait named like an Object.prototype member (`constructor`, `toString`) is
 * a trait like any other, never the inherited member.
 */
function own(traits: Record<string, Json>, key: string): Json | undefined {
  return Object.hasOwn(traits, key) ? traits[key] : undefined;
}

function isBlank(value: Json | undefined): boolean {
  return value === undefined || value === null || value === '';
}

function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Union of two identity lists by key: verified if either is, earliest link, latest sighting. */
function unionIdentities(kept: Identity[], merged: Identity[]): Identity[] {
  const byKey = new Map(kept.map((identity) => [keyOf(identity), identity]));
  for (const identity of merged) {
    const existing = byKey.get(keyOf(identity));
    if (!existing) byKey.set(keyOf(identity), identity);
    else
      byKey.set(keyOf(identity), {
        ...existing,
        verified: existing.verified || identity.verified,
        linkedAt: [existing.linkedAt, identity.linkedAt].sort()[0]!,
        lastSeenAt: [existing.lastSeenAt, identity.lastSeenAt].sort()[1]!,
      });
  }
  return [...byKey.values()];
}

/** Kept traits filled from the merged customer where blank; conflicts recorded, the kept side wins. */
function mergeTraits(kept: Customer, merged: Customer) {
  const traits: Record<string, Json> = { ...kept.traits };
  const filled: string[] = [];
  const conflicts: MergeRecord['traitConflicts'] = [];
  for (const [key, value] of Object.entries(merged.traits)) {
    const mine = own(kept.traits, key);
    if (isBlank(mine)) {
      if (!isBlank(value)) {
        traits[key] = value;
        filled.push(key);
      }
    } else if (!isBlank(value) && !sameJson(mine, value)) {
      conflicts.push({ key, winner: 'kept', kept: mine!, merged: value });
    }
  }
  return { traits, filled, conflicts };
}

async function messagesOf(rt: Runtime, conversations: Conversation[]): Promise<Message[]> {
  const lists = await Promise.all(
    conversations.map((conversation) =>
      rt.store.listMessages({ conversationId: conversation.id }, { limit: ALL }),
    ),
  );
  return lists.flat();
}

function reassign<T extends { customerId: string; version: number }>(
  records: T[],
  customerId: string,
): Put<T>[] {
  return records.map((record) => ({
    record: { ...record, customerId, version: record.version + 1 },
    expectedVersion: record.version,
  }));
}

async function liveCustomer(rt: Runtime, id: string): Promise<Customer> {
  const customer = await rt.store.getCustomer(id);
  if (!customer) throw new NotFoundError(`customer ${id} not found`);
  if (customer.mergedInto !== undefined) {
    throw new ConflictError(`customer ${id} was merged into ${customer.mergedInto}; use that id`, {
      retryable: false,
    });
  }
  return customer;
}

/** The records of one merge: the MergeRecord and both customers after it (see {@link mergeCustomers}). */
function mergeRecords(
  rt: Runtime,
  kept: Customer,
  merged: Customer,
  conversations: Conversation[],
  reason: MergeRecord['reason'],
  now: number,
  take: Identity | undefined,
) {
  const { traits, filled, conflicts } = mergeTraits(kept, merged);
  // A claim the kept side takes (verified) is not moved: an unmerge leaves it with its owner.
  const takenKey = take && keyOf(take);
  const moved = take
    ? merged.identities.filter((identity) => keyOf(identity) !== takenKey)
    : merged.identities;
  const record: MergeRecord = {
    id: rt.newId(),
    brandId: kept.brandId,
    keptId: kept.id,
    mergedId: merged.id,
    reason,
    at: iso(now),
    movedConversationIds: conversations.map((conversation) => conversation.id),
    movedIdentities: moved,
    keptBefore: { traits: kept.traits, displayName: kept.displayName, identities: kept.identities },
    traitConflicts: conflicts,
    filledTraits: filled,
    version: 1,
  };
  const keptAfter: Customer = {
    ...kept,
    displayName: kept.displayName ?? merged.displayName,
    traits,
    identities: unionIdentities(take ? [...kept.identities, take] : kept.identities, moved),
    updatedAt: iso(now),
    version: kept.version + 1,
  };
  const mergedAfter: Customer = {
    ...merged,
    identities: [],
    mergedInto: kept.id,
    updatedAt: iso(now),
    version: merged.version + 1,
  };
  return { record, keptAfter, mergedAfter };
}

const MergeInput = z.object({
  keepId: z.string().min(1),
  mergeId: z.string().min(1),
  options: z.strictObject({ reason: MergeRecord.shape.reason.optional() }).optional(),
});

/**
 * `desk.merge`: validates the caller's ids and options (`reason` one of `api`, `identify`, `login`;
 * default `api`), then {@link mergeCustomers}.
 * @throws ValidationError naming `keepId`, `mergeId` or `options.reason`.
 */
export async function mergeByApi(
  rt: Runtime,
  keepId: string,
  mergeId: string,
  options?: { reason?: MergeRecord['reason'] },
): Promise<MergeRecord> {
  const input = parseInput(MergeInput, { keepId, mergeId, options }, 'merge');
  return mergeCustomers(rt, input.keepId, input.mergeId, input.options?.reason ?? 'api');
}

/**
 * Merges `mergedId` into `keptId` in one atomic batch: every conversation, message and identity
 * moves, blank traits are filled, and a MergeRecord keeps what `unmerge` needs to undo it exactly.
 * With `take` (a verified identity the merged customer only claimed), the kept customer takes
 * that identity, verified, in the same batch (`customer.identified`), and an unmerge leaves it there.
 */
export async function mergeCustomers(
  rt: Runtime,
  keptId: string,
  mergedId: string,
  reason: MergeRecord['reason'],
  take?: Identity,
): Promise<MergeRecord> {
  if (keptId === mergedId)
    throw new ValidationError('merge', [
      { path: ['mergeId'], message: 'cannot merge a customer into itself' },
    ]);
  return withConflictRetry(async () => {
    const [kept, merged] = await Promise.all([liveCustomer(rt, keptId), liveCustomer(rt, mergedId)]);
    if (kept.brandId !== merged.brandId)
      throw new PolicyError('customers of different brands cannot be merged');
    const now = rt.clock();
    const conversations = await rt.store.listConversations({ customerId: merged.id, limit: ALL });
    const messages = await messagesOf(rt, conversations);
    const { record, keptAfter, mergedAfter } = mergeRecords(
      rt,
      kept,
      merged,
      conversations,
      reason,
      now,
      take,
    );
    const events = [
      makeEvent(rt, 'customer.merged', kept.brandId, {
        keptId: kept.id,
        mergedId: merged.id,
        reason,
        mergeId: record.id,
        moved: {
          conversations: conversations.length,
          messages: messages.length,
          identities: record.movedIdentities,
        },
      }),
    ];
    if (take)
      events.push(
        makeEvent(rt, 'customer.identified', kept.brandId, { customer: keptAfter, identity: take }),
      );
    await commitAndEmit(rt, {
      customers: [
        { record: mergedAfter, expectedVersion: merged.version },
        { record: keptAfter, expectedVersion: kept.version },
      ],
      conversations: reassign(conversations, kept.id),
      messages: reassign(messages, kept.id),
      merges: [{ record, expectedVersion: null }],
      events,
    });
    return record;
  });
}

/** The kept customer's identities and traits with a merge taken back out. */
function keptWithoutMerge(kept: Customer, merge: MergeRecord, merged: Customer, now: number): Customer {
  const movedKeys = new Set(merge.movedIdentities.map(keyOf));
  const before = new Map(merge.keptBefore.identities.map((identity) => [keyOf(identity), identity]));
  const identities = kept.identities.filter(
    (identity) => !movedKeys.has(keyOf(identity)) || before.has(keyOf(identity)),
  );
  const traits = { ...kept.traits };
  for (const key of merge.filledTraits) {
    if (!sameJson(own(traits, key), own(merged.traits, key))) continue; // changed since the merge: the host's newer value stays
    const before = own(merge.keptBefore.traits, key);
    if (before === undefined) delete traits[key];
    else traits[key] = before;
  }
  const displayName =
    merge.keptBefore.displayName === undefined && kept.displayName === merged.displayName
      ? undefined
      : kept.displayName;
  return { ...kept, identities, traits, displayName, updatedAt: iso(now), version: kept.version + 1 };
}

/**
 * The moved identities the kept customer still holds, as it holds them now (a sighting or a
 * verification since the merge stays). One it lost since (a verified owner displaced the claim)
 * stays with its new holder: taking it back would fail the identity index for good.
 */
function identitiesBack(kept: Customer, merge: MergeRecord): Identity[] {
  const held = new Map(kept.identities.map((identity) => [keyOf(identity), identity]));
  return merge.movedIdentities.flatMap((moved) => held.get(keyOf(moved)) ?? []);
}

/** Undoes a merge exactly: the merged customer, its identities, conversations and messages come back. */
export async function unmergeCustomers(rt: Runtime, mergeId: string): Promise<Customer> {
  return withConflictRetry(async () => {
    const merge = await rt.store.getMerge(mergeId);
    if (!merge) throw new NotFoundError(`merge ${mergeId} not found`);
    if (merge.undoneAt !== undefined)
      throw new ConflictError(`merge ${mergeId} was already undone`, { retryable: false });
    const kept = await rt.store.getCustomer(merge.keptId);
    const merged = await rt.store.getCustomer(merge.mergedId);
    if (!kept || !merged) throw new NotFoundError(`a customer of merge ${mergeId} no longer exists`);
    if (kept.mergedInto !== undefined) {
      const later = await resolveCustomer(rt, kept.id);
      throw new PolicyError(`customer ${kept.id} was merged into ${later.id} since; undo that merge first`);
    }
    const now = rt.clock();
    const conversations = (
      await Promise.all(merge.movedConversationIds.map((id) => rt.store.getConversation(id)))
    ).filter((conversation): conversation is Conversation => conversation?.customerId === kept.id);
    const messages = await messagesOf(rt, conversations);
    const restored: Customer = {
      ...merged,
      identities: identitiesBack(kept, merge),
      updatedAt: iso(now),
      version: merged.version + 1,
    };
    delete restored.mergedInto;
    const event = makeEvent(rt, 'customer.unmerged', kept.brandId, {
      keptId: kept.id,
      restoredId: merged.id,
      mergeId,
    });
    await commitAndEmit(rt, {
      customers: [
        { record: keptWithoutMerge(kept, merge, merged, now), expectedVersion: kept.version },
        { record: restored, expectedVersion: merged.version },
      ],
      conversations: reassign(conversations, merged.id),
      messages: reassign(messages, merged.id),
      merges: [
        {
          record: { ...merge, undoneAt: iso(now), version: merge.version + 1 },
          expectedVersion: merge.version,
        },
      ],
      events: [event],
    });
    return restored;
  });
}
