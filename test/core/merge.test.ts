import { describe, expect, it } from 'vitest';
import { NotFoundError, PolicyError, ValidationError } from '../../src/model/errors.js';
import { email, holdings, sms, testDesk, webchat } from './helpers.js';

describe('merge and unmerge', () => {
  async function twoCustomers() {
    const t = testDesk();
    const ann = await t.desk.receive(sms('+14155550100', 'sms 1'));
    await t.desk.receive(sms('+14155550100', 'sms 2'));
    const other = await t.desk.receive(email('ann@example.com', 'mail 1', { displayName: 'Ann Lee' }));
    await t.desk.customers.update(ann.customer.id, { traits: { plan: 'pro', city: '' } });
    await t.desk.customers.update(other.customer.id, { traits: { plan: 'free', city: 'Lisbon', vip: true } });
    return { ...t, ann, other };
  }

  it('moves every conversation, message and identity, fills blank traits, records conflicts', async () => {
    const { desk, ann, other, events } = await twoCustomers();
    const merge = await desk.merge(ann.customer.id, other.customer.id);
    const kept = await desk.customers.get(ann.customer.id);
    expect(kept.identities.map((i) => i.value).sort()).toEqual(['+14155550100', 'ann@example.com']);
    expect(kept.traits).toEqual({ plan: 'pro', city: 'Lisbon', vip: true });
    expect(kept.displayName).toBe('Ann Lee');
    expect(merge.traitConflicts).toEqual([{ key: 'plan', winner: 'kept', kept: 'pro', merged: 'free' }]);
    expect(merge.filledTraits.sort()).toEqual(['city', 'vip']);
    expect((await desk.customers.get(other.customer.id)).mergedInto).toBe(ann.customer.id);
    expect(await desk.store.countMessages({ customerId: ann.customer.id })).toBe(3);
    expect(await desk.store.countMessages({ customerId: other.customer.id })).toBe(0);
    const merged = events.find((e) => e.type === 'customer.merged');
    expect(merged).toMatchObject({
      keptId: ann.customer.id,
      mergedId: other.customer.id,
      reason: 'api',
      moved: { conversations: 1, messages: 1 },
    });
    // The merged-away id still resolves, for context and timeline.
    const viaOld = await desk.context({ customerId: other.customer.id });
    expect(viaOld.customer.id).toBe(ann.customer.id);
    const timeline = [];
    for await (const message of desk.timeline(other.customer.id)) timeline.push(message.parts[0]);
    expect(timeline).toHaveLength(3);
    // New mail from the merged identity lands on the survivor.
    const next = await desk.receive(email('ann@example.com', 'mail 2'));
    expect(next.customer.id).toBe(ann.customer.id);
  });

  it('unmerge undoes a merge exactly', async () => {
    const { desk, ann, other } = await twoCustomers();
    const before = await holdings(desk, [ann.customer.id, other.customer.id]);
    const merge = await desk.merge(ann.customer.id, other.customer.id);
    const restored = await desk.unmerge(merge.id);
    expect(restored.id).toBe(other.customer.id);
    expect(await holdings(desk, [ann.customer.id, other.customer.id])).toEqual(before);
    expect((await desk.store.findCustomerByIdentity('default', 'email:ann@example.com'))?.id).toBe(
      other.customer.id,
    );
    // Undone is a state that stays: the desk does not retry it, and says so.
    await expect(desk.unmerge(merge.id)).rejects.toMatchObject({
      name: 'ConflictError',
      retryable: false,
      message: `merge ${merge.id} was already undone`,
    });
  });

  it('unmerge keeps what changed after the merge on the kept side', async () => {
    const { desk, ann, other } = await twoCustomers();
    const merge = await desk.merge(ann.customer.id, other.customer.id);
    await desk.customers.update(ann.customer.id, { traits: { city: 'Porto' } });
    await desk.identify(ann.customer.id, { kind: 'email', value: 'ann@new.example', verified: true });
    await desk.unmerge(merge.id);
    const kept = await desk.customers.get(ann.customer.id);
    expect(kept.traits.city).toBe('Porto');
    expect(kept.identities.map((i) => i.value)).toEqual(['+14155550100', 'ann@new.example']);
  });

  it('refuses bad merges with typed errors', async () => {
    const { desk, ann, other } = await twoCustomers();
    await expect(desk.merge(ann.customer.id, ann.customer.id)).rejects.toBeInstanceOf(ValidationError);
    await expect(desk.merge(ann.customer.id, 'nobody')).rejects.toBeInstanceOf(NotFoundError);
    await expect(desk.unmerge('no-such-merge')).rejects.toBeInstanceOf(NotFoundError);
    const first = await desk.merge(ann.customer.id, other.customer.id);
    await expect(desk.merge(ann.customer.id, other.customer.id)).rejects.toMatchObject({
      name: 'ConflictError',
      retryable: false,
    });
    const third = await desk.receive(webchat('v9'));
    await desk.merge(third.customer.id, ann.customer.id);
    await expect(desk.unmerge(first.id)).rejects.toBeInstanceOf(PolicyError);
  });
});
