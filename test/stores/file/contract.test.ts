import { afterAll, expect } from 'vitest';
import type { Store } from '../../../src/core/store.js';
import type { FileStoreOptions } from '../../../src/stores/file/index.js';
import { describeStoreContract } from '../../../src/testing/store-contract/index.js';
import { loggedErrors, openStore, tempDirs } from './helpers.js';

const dirs = tempDirs();
afterAll(async () => {
  await dirs.cleanup();
  expect(loggedErrors).toEqual([]);
});

/** Runs the contract on a fresh directory per test; `reopen` closes and opens the same directory. */
function describeFileContract(name: string, options: Partial<FileStoreOptions> = {}): void {
  const dirOf = new WeakMap<Store, string>();
  const open = async (dir: string): Promise<Store> => {
    const store = await openStore(dir, options);
    dirOf.set(store, dir);
    return store;
  };
  describeStoreContract(name, async () => open(await dirs.make()), {
    reopen: async (store) => {
      await store.close();
      return open(dirOf.get(store)!);
    },
    eventRetention: options.eventRetention,
  });
}

// A log of 8 events, short enough for the contract to write past it: the journal replay and the
// snapshots must keep the newest events and their cursors.
describeFileContract('file', { eventRetention: 8 });
// A compaction after every group commit: the cut, the snapshot and the journal switch interleave
// with every test's writes and reads.
describeFileContract('file, compacting continuously', { compactAfterBytes: 1, eventRetention: 8 });
