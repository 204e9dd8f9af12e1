import { expect } from 'vitest';
import { type ContractCases, expectConflict, mergeRecord, update } from './fixtures.js';

/** Merge records: written once, then updated under their version check. */
export const mergeCases: ContractCases = {
  'merge records round-trip': async ({ store, reopened }) => {
    const merge = mergeRecord({ id: 'merge-1' });
    await store.commit({ merges: [{ record: merge, expectedVersion: null }] });
    await expectConflict(() => store.commit({ merges: [{ record: merge, expectedVersion: null }] }));
    expect(await (await reopened()).getMerge('merge-1')).toEqual(merge);
  },
  'a merge record is updated under its version check': async ({ store, reopened }) => {
    const merge = mergeRecord();
    await store.commit({ merges: [{ record: merge, expectedVersion: null }] });
    const undone = update(merge, { undoneAt: '2026-01-02T00:00:00.000Z' });
    await store.commit({ merges: [undone] });
    await expectConflict(() =>
      store.commit({ merges: [update(merge, { undoneAt: '2026-01-03T00:00:00.000Z' })] }),
    );
    expect(await (await reopened()).getMerge(merge.id)).toEqual(undone.record);
  },
};
