import 'fake-indexeddb/auto';
import { get, set } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../../src/model/errors.js';
import { type Database, openDatabase } from '../../../src/stores/indexeddb/database.js';
import { indexedDbStore } from '../../../src/stores/indexeddb/index.js';
import { META_SCHEMA, SCHEMA_VERSION } from '../../../src/stores/indexeddb/layout.js';
import { type Migration, migrate } from '../../../src/stores/indexeddb/migrations.js';

let n = 0;
async function database(): Promise<Database> {
  return openDatabase(`migrations-${++n}`, 'strict');
}

/** A layout-2 step for the tests: renames `legacy:<k>` keys to `new:<k>`. */
const renameLegacy: Migration = async (store) => {
  const keys = await new Promise<IDBValidKey[]>((resolve) => {
    const request = store.getAllKeys(IDBKeyRange.bound('legacy:', 'legacy;', false, true));
    request.onsuccess = () => resolve(request.result);
  });
  for (const key of keys) {
    const value = await new Promise((resolve) => {
      const request = store.get(key);
      request.onsuccess = () => resolve(request.result);
    });
    store.put(value, `new:${String(key).slice(7)}`);
    store.delete(key);
  }
};

describe('indexeddb layout migrations', () => {
  it('stamps a fresh database with the current layout', async () => {
    const db = await database();
    expect(await migrate(db)).toBeUndefined();
    expect(await get(META_SCHEMA, db.use)).toBe(SCHEMA_VERSION);
    expect(await migrate(db)).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('runs the missing steps in order, once, and records the new layout', async () => {
    const db = await database();
    await migrate(db);
    await set('legacy:a', { x: 1 }, db.use);
    expect(await migrate(db, 2, { 2: renameLegacy })).toBe(1);
    expect(await get('new:a', db.use)).toEqual({ x: 1 });
    expect(await get('legacy:a', db.use)).toBeUndefined();
    expect(await get(META_SCHEMA, db.use)).toBe(2);
    expect(await migrate(db, 2, {})).toBe(2);
    db.close();
  });

  it('a failing step leaves the database exactly as it was', async () => {
    const db = await database();
    await migrate(db);
    await set('legacy:a', 1, db.use);
    const failing: Migration = async (store) => {
      store.put('half', 'half-done');
      throw new Error('step broke');
    };
    await expect(migrate(db, 3, { 2: renameLegacy, 3: failing })).rejects.toThrow(
      /migration to layout 3 .*step broke/,
    );
    expect(await get(META_SCHEMA, db.use)).toBe(1);
    expect(await get('legacy:a', db.use)).toBe(1);
    expect(await get('half-done', db.use)).toBeUndefined();
    db.close();
  });

  it('refuses a newer layout, a missing step and foreign data with a StorageError', async () => {
    const db = await database();
    await set(META_SCHEMA, 9, db.use);
    await expect(migrate(db)).rejects.toThrow(/has layout 9, newer than/);
    await set(META_SCHEMA, 1, db.use);
    await expect(migrate(db, 2, {})).rejects.toThrow(/no migration from layout 1 to 2/);
    const foreign = await database();
    await set('someone-else', 1, foreign.use);
    await expect(migrate(foreign)).rejects.toThrow(StorageError);
    db.close();
    foreign.close();
  });

  it('a store on a newer database fails every call with the layout error', async () => {
    const db = await database();
    await set(META_SCHEMA, SCHEMA_VERSION + 1, db.use);
    db.close();
    const store = indexedDbStore({ name: db.name });
    await expect(store.getCustomer('x')).rejects.toThrow(/newer than this version of Threadline reads/);
    await store.close();
  });
});
