import * as z from 'zod';
import type { Changes } from '../model/events.js';
import { type Customer, Json } from '../model/records.js';
import {
  commitAndEmit,
  iso,
  makeEvent,
  parseInput,
  type Runtime,
  resolveCustomer,
  withConflictRetry,
} from './runtime.js';

const Patch = z.strictObject({
  displayName: z.string().min(1).max(256).optional(),
  traits: z
    .custom<object>(
      (traits) => typeof traits !== 'object' || traits === null || !Object.hasOwn(traits, '__proto__'),
      // A record parse drops the key silently, and a host's `Object.assign` would take it as a prototype.
      { message: 'a trait cannot be named __proto__', path: ['__proto__'] },
    )
    .pipe(z.record(z.string().min(1).max(256), Json.optional()))
    .optional(),
});

/**
 * `desk.customers.update`: sets the display name and traits (a trait set to `undefined` is
 * removed). A merged-away id updates the survivor.
 */
export async function updateCustomer(rt: Runtime, id: string, raw: z.input<typeof Patch>): Promise<Customer> {
  const patch = parseInput(Patch, raw, 'customer patch');
  return withConflictRetry(async () => {
    // NotFoundError for an unknown id; a store's own failure (StorageError) goes to the caller as it is.
    const customer = await resolveCustomer(rt, id);
    const now = rt.clock();
    const traits = { ...customer.traits };
    for (const [key, value] of Object.entries(patch.traits ?? {})) {
      if (value === undefined) delete traits[key];
      else traits[key] = value;
    }
    const next: Customer = { ...customer, traits, displayName: patch.displayName ?? customer.displayName };
    if (next.displayName === undefined) delete next.displayName;
    const changes: Changes<Customer> = {};
    if (next.displayName !== customer.displayName)
      changes.displayName = { from: customer.displayName, to: next.displayName };
    if (JSON.stringify(traits) !== JSON.stringify(customer.traits))
      changes.traits = { from: customer.traits, to: traits };
    if (Object.keys(changes).length === 0) return customer;
    const updated = { ...next, updatedAt: iso(now), version: customer.version + 1 };
    const event = makeEvent(rt, 'customer.updated', customer.brandId, { customer: updated, changes }, now);
    await commitAndEmit(rt, {
      customers: [{ record: updated, expectedVersion: customer.version }],
      events: [event],
    });
    return updated;
  });
}
