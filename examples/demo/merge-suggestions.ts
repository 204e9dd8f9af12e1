/**
 * Merge suggestions for the inbox, collected from `customer.merge_suggested` events: read back
 * from the store's event log at start (so the file store's survive a restart) and followed live.
 * Accepting one merges the two customers with `desk.merge`; rejecting only hides it.
 */
import type { Customer, Desk, DeskEventOf, Identity } from 'threadline';

/** A suggestion as the inbox shows it. */
export interface MergeSuggestion {
  id: string;
  at: string;
  reason: string;
  identity: Identity;
  customer: Customer;
  other: Customer;
}

/** The suggestion book. */
export interface MergeSuggestions {
  /** Pending suggestions whose two customers still exist apart. */
  list(): Promise<MergeSuggestion[]>;
  /** Merges the two customers, keeping the older one; returns the kept id. */
  accept(id: string): Promise<string>;
  reject(id: string): void;
  stop(): void;
}

type Suggested = DeskEventOf<'customer.merge_suggested'>;

/** Loads past suggestions from the event log, then follows new ones. */
export async function trackMergeSuggestions(desk: Desk): Promise<MergeSuggestions> {
  const pending = new Map<string, Suggested>();
  let after: string | undefined;
  for (;;) {
    const page = await desk.store.readEvents({ after, limit: 500 });
    for (const { event } of page) if (event.type === 'customer.merge_suggested') pending.set(event.id, event);
    if (page.length < 500) break;
    after = page[page.length - 1]?.cursor;
  }
  const stop = desk.on('customer.merge_suggested', (event) => {
    pending.set(event.id, event);
  });

  async function live(event: Suggested): Promise<MergeSuggestion | undefined> {
    const [customer, other] = await Promise.all([
      desk.customers.resolve(event.customerId),
      desk.customers.resolve(event.otherCustomerId),
    ]);
    if (customer.id === other.id) return undefined;
    return { id: event.id, at: event.at, reason: event.reason, identity: event.identity, customer, other };
  }

  return {
    async list() {
      const found = await Promise.all(
        [...pending.values()].map((event) => live(event).catch(() => undefined)),
      );
      return found.filter((item): item is MergeSuggestion => item !== undefined).reverse();
    },
    async accept(id) {
      const event = pending.get(id);
      const suggestion = event && (await live(event));
      if (!suggestion) throw new RangeError(`No pending merge suggestion ${id}`);
      const [keep, merge] =
        suggestion.customer.createdAt <= suggestion.other.createdAt
          ? [suggestion.customer, suggestion.other]
          : [suggestion.other, suggestion.customer];
      await desk.merge(keep.id, merge.id, { reason: 'api' });
      pending.delete(id);
      return keep.id;
    },
    reject(id) {
      if (!pending.delete(id)) throw new RangeError(`No pending merge suggestion ${id}`);
    },
    stop,
  };
}
