import { afterEach, beforeEach, describe, it } from 'vitest';
import type { Store } from '../../core/store.js';
import { commitCases } from './commit.js';
import { conversationCases } from './conversations.js';
import { eventCases } from './events.js';
import { externalIdCases } from './external-ids.js';
import type { ContractCases, ContractContext } from './fixtures.js';
import { identityCases } from './identities.js';
import { mergeCases } from './merges.js';
import { messageCases } from './messages.js';
import { outboxCases } from './outbox.js';

export type { ContractContext } from './fixtures.js';

/** Tests a driver may skip, by name, with the reason shown in the test report. */
export interface ContractSkip {
  reason: string;
  tests: string[];
}

/** Options of {@link describeStoreContract}. */
export interface StoreContractOptions {
  /** Tests this driver cannot support, by exact name, with the reason (reported as skipped, never silently). */
  skip?: ContractSkip[];
  /**
   * For durable drivers: closes the store and opens it again on the same data. When given, every
   * state check also runs after a reopen.
   */
  reopen?: (store: Store) => Promise<Store>;
  /**
   * For drivers whose event log keeps only its newest events: how many events each store from
   * `factory` keeps. The suite then writes past that many and checks that the newest events, and
   * the cursors read before, survive. Without it, every event the suite writes (about twenty) must be kept.
   */
  eventRetention?: number;
}

/** The topics' cases in one list; a name two topics share would hide a test, so it throws. */
function combine(...topics: ContractCases[]): ContractCases {
  const all: ContractCases = {};
  for (const topic of topics) {
    for (const [name, run] of Object.entries(topic)) {
      if (name in all) throw new Error(`store contract: two tests are named ${JSON.stringify(name)}`);
      all[name] = run;
    }
  }
  return all;
}

const cases = combine(
  commitCases,
  externalIdCases,
  identityCases,
  messageCases,
  conversationCases,
  outboxCases,
  eventCases,
  mergeCases,
);

/**
 * Registers the store contract as a vitest suite: every store driver, Threadline's or a third
 * party's, must pass it. `factory` returns a fresh, empty store for each test.
 *
 * @example
 * ```ts
 * import { describeStoreContract } from 'threadline/testing';
 * describeStoreContract('my-driver', async () => myStore({ ... }));
 * ```
 */
export function describeStoreContract(
  name: string,
  factory: () => Store | Promise<Store>,
  options: StoreContractOptions = {},
): void {
  const skipped = new Map<string, string>();
  for (const entry of options.skip ?? []) for (const test of entry.tests) skipped.set(test, entry.reason);
  describe(`store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });
    for (const [title, run] of Object.entries(cases)) {
      const reason = skipped.get(title);
      if (reason !== undefined) {
        it.skip(`${title} (skipped: ${reason})`, () => {});
        continue;
      }
      it(title, async () => {
        const ctx: ContractContext = {
          store,
          eventRetention: options.eventRetention,
          reopened: async () => {
            if (!options.reopen) return store;
            store = await options.reopen(store);
            return store;
          },
        };
        await run(ctx);
      });
    }
  });
}

/** Names of every contract test, for `skip` lists. */
export const storeContractTests: readonly string[] = Object.keys(cases);
