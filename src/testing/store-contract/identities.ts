import { expect } from 'vitest';
import { identityKey } from '../../model/identity.js';
import { makeCustomer } from '../records.js';
import { type ContractCases, expectConflict, phone, seed, update } from './fixtures.js';

/** The identity index: one live customer per identity, following updates and merges. */
export const identityCases: ContractCases = {
  'the identity index follows customers and refuses a second owner': async ({ store, reopened }) => {
    const ann = makeCustomer({ identities: [phone('+14155550100')] });
    const bob = makeCustomer({ identities: [phone('+14155550199')] });
    await seed(store, ann);
    await seed(store, bob);
    const key = identityKey('phone', '+14155550100');
    expect((await store.findCustomerByIdentity('default', key))?.id).toBe(ann.id);
    expect(await store.findCustomerByIdentity('other-brand', key)).toBeUndefined();
    expect((await store.findCustomerByIdentity('default', identityKey('whatsapp', '+14155550100')))?.id).toBe(
      ann.id,
    );
    await expectConflict(() =>
      store.commit({
        customers: [
          {
            record: { ...bob, identities: [...bob.identities, phone('+14155550100')], version: 2 },
            expectedVersion: 1,
          },
        ],
      }),
    );
    // Moving an identity between customers in one batch (a merge) is allowed.
    await store.commit({
      customers: [
        {
          record: { ...bob, identities: [...bob.identities, phone('+14155550100')], version: 2 },
          expectedVersion: 1,
        },
        { record: { ...ann, identities: [], mergedInto: bob.id, version: 2 }, expectedVersion: 1 },
      ],
    });
    const s = await reopened();
    expect((await s.findCustomerByIdentity('default', key))?.id).toBe(bob.id);
    expect((await s.getCustomer(ann.id))?.mergedInto).toBe(bob.id);
  },
  'the identity index releases what a customer drops, and all it held once merged away': async ({
    store,
    reopened,
  }) => {
    const [first, second] = ['+14155550101', '+14155550102'];
    const key = (value: string) => identityKey('phone', value);
    const ann = makeCustomer({ identities: [phone(first), phone(second)] });
    await seed(store, ann);
    // An update that keeps the identities: they find the customer as updated.
    const named = update(ann, { displayName: 'Ann' });
    await store.commit({ customers: [named] });
    expect(await store.findCustomerByIdentity('default', key(first))).toEqual(named.record);
    // An identity the customer drops is free, though not for two customers of one batch.
    const dropped = update(named.record, { identities: [phone(second)] });
    await store.commit({ customers: [dropped] });
    expect(await store.findCustomerByIdentity('default', key(first))).toBeUndefined();
    const bob = makeCustomer({ identities: [phone(first)] });
    const rival = makeCustomer({ identities: [phone(first)] });
    await expectConflict(() =>
      store.commit({ customers: [bob, rival].map((record) => ({ record, expectedVersion: null })) }),
    );
    await store.commit({ customers: [{ record: bob, expectedVersion: null }] });
    // A customer merged away holds none of its identities, even those its record still lists.
    await store.commit({ customers: [update(dropped.record, { mergedInto: bob.id })] });
    expect(await store.findCustomerByIdentity('default', key(second))).toBeUndefined();
    const carol = makeCustomer({ identities: [phone(second)] });
    await store.commit({ customers: [{ record: carol, expectedVersion: null }] });
    const s = await reopened();
    expect((await s.findCustomerByIdentity('default', key(first)))?.id).toBe(bob.id);
    expect((await s.findCustomerByIdentity('default', key(second)))?.id).toBe(carol.id);
    expect(await s.getCustomer(ann.id)).toMatchObject({ mergedInto: bob.id, identities: [phone(second)] });
  },
};
