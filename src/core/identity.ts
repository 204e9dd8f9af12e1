import * as z from 'zod';
import { ValidationError } from '../model/errors.js';
import type { DeskEvent } from '../model/events.js';
import { type Identity, IdentityInput, identityKey, normalizeIdentityValue } from '../model/identity.js';
import { sameIdentityKey } from '../model/identity-key.js';
import type { Customer } from '../model/records.js';
import { mergeCustomers } from './merge.js';
import {
  commitAndEmit,
  iso,
  makeEvent,
  parseInput,
  type Runtime,
  resolveCustomer,
  withConflictRetry,
} from './runtime.js';
import type { IdentifyResult } from './types.js';

/** lastSeenAt is refreshed at most this often, so a busy customer's record is not rewritten per message. */
const LAST_SEEN_GRANULARITY_MS = 60_000;
/** Where `toISOString` stops writing four-digit years (and text order stops being time order). */
const YEAR_10000_MS = 253_402_300_800_000;

/** Validates and normalizes an identity as received; `source` is the channel (or `api`). */
function normalizeIdentity(
  rt: Runtime,
  input: unknown,
  source: string,
  now: number,
  path: PropertyKey[] = [],
): Identity {
  return normalizeParsedIdentity(rt, parseInput(IdentityInput, input, 'identity'), source, now, path);
}

/** {@link normalizeIdentity} for input a schema already parsed (the inbound message's `from`). */
export function normalizeParsedIdentity(
  rt: Runtime,
  parsed: z.output<typeof IdentityInput>,
  source: string,
  now: number,
  path: PropertyKey[] = [],
): Identity {
  let value: string;
  try {
    value = normalizeIdentityValue(parsed.kind, parsed.value, { defaultCountry: rt.settings.defaultCountry });
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new ValidationError(
        'identity',
        error.issues.map((issue) => ({ path: [...path, ...issue.path], message: issue.message })),
        { cause: error },
      );
    }
    throw error;
  }
  const at = iso(now);
  return {
    kind: parsed.kind,
    value,
    verified: parsed.verified ?? false,
    source,
    linkedAt: at,
    lastSeenAt: at,
  };
}

/** The key of an identity, for comparisons within one customer. */
export const keyOf = (identity: Pick<Identity, 'kind' | 'value'>) =>
  identityKey(identity.kind, identity.value);

/** The index of a customer's identity with the same key as `identity`, or -1. */
function identityIndex(customer: Customer, identity: Pick<Identity, 'kind' | 'value'>): number {
  const { identities } = customer;
  for (let i = 0; i < identities.length; i++) if (sameIdentityKey(identities[i]!, identity)) return i;
  return -1;
}

/** A customer's identity with the same key as `identity` (phone and whatsapp share one), if held. */
export function heldIdentity(
  customer: Customer,
  identity: Pick<Identity, 'kind' | 'value'>,
): Identity | undefined {
  return customer.identities[identityIndex(customer, identity)];
}

let cutoffMs = Number.NaN;
let cutoffIso = '';

/**
 * Whether `lastSeenAt` is at least {@link LAST_SEEN_GRANULARITY_MS} before `now`. Times the desk
 * wrote (`toISOString`'s 24 characters) sort as text in time order, so one is compared with the
 * cutoff's text, formatted once per millisecond (kept apart from {@link iso}'s cache, which holds a
 * receive's own instants): parsing it would cost most of the check on every message. Any other form
 * is parsed.
 */
function seenLongAgo(lastSeenAt: string, now: number): boolean {
  const cutoff = now - LAST_SEEN_GRANULARITY_MS;
  const written = lastSeenAt.length === 24 && lastSeenAt[10] === 'T' && lastSeenAt[23] === 'Z';
  if (!written || cutoff < 0 || cutoff >= YEAR_10000_MS) return Date.parse(lastSeenAt) <= cutoff;
  if (cutoff !== cutoffMs) {
    cutoffIso = new Date(cutoff).toISOString();
    cutoffMs = cutoff;
  }
  return lastSeenAt <= cutoffIso;
}

/**
 * Returns the customer's identities with `seen` refreshed (lastSeenAt, verification upgrade), or
 * undefined when nothing worth writing changed.
 */
export function touchIdentity(customer: Customer, seen: Identity, now: number): Identity[] | undefined {
  const index = identityIndex(customer, seen);
  const held = customer.identities[index];
  if (!held) return undefined;
  const upgrade = seen.verified && !held.verified;
  if (!upgrade && !seenLongAgo(held.lastSeenAt, now)) return undefined;
  const identities = customer.identities.slice();
  identities[index] = { ...held, verified: held.verified || seen.verified, lastSeenAt: seen.lastSeenAt };
  return identities;
}

/** Attaches or refreshes an identity on a customer, returning the new record (version bumped). */
function withIdentity(customer: Customer, identity: Identity, now: number): Customer {
  const identities = heldIdentity(customer, identity)
    ? customer.identities.map((held) =>
        sameIdentityKey(held, identity)
          ? { ...held, verified: held.verified || identity.verified, lastSeenAt: identity.lastSeenAt }
          : held,
      )
    : [...customer.identities, identity];
  return { ...customer, identities, updatedAt: iso(now), version: customer.version + 1 };
}

/** Removes an identity from a customer (a displaced claim). */
export function withoutIdentity(customer: Customer, key: string, now: number): Customer {
  return {
    ...customer,
    identities: customer.identities.filter((identity) => keyOf(identity) !== key),
    updatedAt: iso(now),
    version: customer.version + 1,
  };
}

/**
 * Which side a collision between these two holdings keeps when the desk's policy merges them, or
 * undefined when it does not merge. The holder is kept, unless only the incoming identity is
 * verified (`always`): a mere claim never wins over a verified holding.
 */
function autoMergeKeeps(rt: Runtime, incoming: Identity, held: Identity): 'holder' | 'customer' | undefined {
  const policy = rt.settings.autoMerge;
  if (policy === 'verified' && incoming.verified && held.verified) return 'holder';
  if (policy !== 'always') return undefined;
  return incoming.verified && !held.verified ? 'customer' : 'holder';
}

const IdentifyOptions = z.strictObject({
  reason: z.enum(['identify', 'login']).optional(),
  source: z.string().min(1).max(128).optional(),
});

/**
 * `desk.identify`: attaches an identity to a customer. When another customer holds it, the two are
 * merged if the policy allows (the holder is kept, unless it only claimed the identity and this
 * one is verified: see {@link autoMergeKeeps}), a self-claimed holding is displaced by a verified
 * one, and otherwise a merge is only suggested.
 */
export async function identify(
  rt: Runtime,
  customerId: string,
  input: unknown,
  rawOptions: { reason?: 'identify' | 'login'; source?: string } = {},
): Promise<IdentifyResult> {
  const options = parseInput(IdentifyOptions, rawOptions, 'identify options');
  const now = rt.clock();
  const identity = normalizeIdentity(rt, input, options.source ?? 'api', now);
  return withConflictRetry(async () => {
    const customer = await resolveCustomer(rt, customerId);
    const key = keyOf(identity);
    const holder = await rt.store.findCustomerByIdentity(customer.brandId, key);
    if (!holder || holder.id === customer.id) {
      // Identified again with nothing new (a host calling identify on every login): no write, no event.
      const held = holder && heldIdentity(holder, identity);
      if (held && (held.verified || !identity.verified)) return { customer };
      const updated = withIdentity(customer, identity, now);
      const events = [
        makeEvent(rt, 'customer.identified', customer.brandId, { customer: updated, identity }, now),
      ];
      await commitAndEmit(rt, {
        customers: [{ record: updated, expectedVersion: customer.version }],
        events,
      });
      return { customer: updated };
    }
    const held = heldIdentity(holder, identity)!;
    const keep = autoMergeKeeps(rt, identity, held);
    const reason = options.reason ?? 'identify';
    if (keep === 'holder') {
      const merge = await mergeCustomers(rt, holder.id, customer.id, reason);
      return { customer: await resolveCustomer(rt, holder.id), merge };
    }
    if (keep === 'customer') {
      // The verified side is kept and takes the identity from the claimant it absorbs.
      const merge = await mergeCustomers(rt, customer.id, holder.id, reason, identity);
      return { customer: await resolveCustomer(rt, customer.id), merge };
    }
    if (identity.verified && !held.verified) return displaceClaim(rt, customer, holder, identity, now);
    const suggestion = makeEvent(rt, 'customer.merge_suggested', customer.brandId, {
      customerId: customer.id,
      otherCustomerId: holder.id,
      identity,
      reason: rt.settings.autoMerge === 'never' ? 'policy' : 'unverified',
    });
    await commitAndEmit(rt, { events: [suggestion] });
    return { customer, suggestedMergeWith: holder.id };
  });
}

/** A verified identity takes the key from a customer that only claimed it; a merge is suggested. */
async function displaceClaim(
  rt: Runtime,
  customer: Customer,
  claimant: Customer,
  identity: Identity,
  now: number,
): Promise<IdentifyResult> {
  const key = keyOf(identity);
  const owner = withIdentity(customer, identity, now);
  const loser = withoutIdentity(claimant, key, now);
  const events: DeskEvent[] = [
    makeEvent(rt, 'customer.identified', customer.brandId, { customer: owner, identity }, now),
    makeEvent(rt, 'customer.merge_suggested', customer.brandId, {
      customerId: owner.id,
      otherCustomerId: claimant.id,
      identity,
      reason: 'unverified',
    }),
  ];
  await commitAndEmit(rt, {
    customers: [
      { record: loser, expectedVersion: claimant.version },
      { record: owner, expectedVersion: customer.version },
    ],
    events,
  });
  return { customer: owner, suggestedMergeWith: claimant.id };
}
