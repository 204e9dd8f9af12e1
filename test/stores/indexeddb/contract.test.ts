import 'fake-indexeddb/auto';
import { indexedDbStore } from '../../../src/stores/indexeddb/index.js';
import { describeStoreContract } from '../../../src/testing/index.js';

let n = 0;
const names = new WeakMap<object, string>();

/** A fresh database per test; `reopen` closes the store and opens the same database again. */
function fresh() {
  const name = `contract-${++n}`;
  const store = indexedDbStore({ name });
  names.set(store, name);
  return store;
}

describeStoreContract('indexeddb (fake-indexeddb)', fresh, {
  reopen: async (store) => {
    const name = names.get(store)!;
    await store.close();
    const next = indexedDbStore({ name });
    names.set(next, name);
    return next;
  },
});
