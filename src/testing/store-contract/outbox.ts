import { expect } from 'vitest';
import { type ContractCases, pending } from './fixtures.js';

/** The outbox: leased, exclusive claims by channel and limit, and entries written again. */
export const outboxCases: ContractCases = {
  'outbox claims are leased, exclusive and expire': async ({ store, reopened }) => {
    const entries = ['m1', 'm2', 'm3'].map((messageId, i) => ({
      messageId,
      channel: 'sms',
      attempts: 0,
      notBefore: i === 2 ? 5_000 : 0,
    }));
    await store.commit({ outbox: entries });
    const [a, b] = await Promise.all([
      store.claimOutbox({ now: 1_000, leaseMs: 1_000, owner: 'a', limit: 10 }),
      store.claimOutbox({ now: 1_000, leaseMs: 1_000, owner: 'b', limit: 10 }),
    ]);
    const claimed = [...a, ...b].map((e) => e.messageId).sort();
    expect(claimed).toEqual(['m1', 'm2']);
    expect(await store.claimOutbox({ now: 1_500, leaseMs: 1_000, owner: 'c', limit: 10 })).toEqual([]);
    await store.commit({ outboxDone: ['m1'] });
    const s = await reopened();
    const again = await s.claimOutbox({ now: 6_000, leaseMs: 1_000, owner: 'd', limit: 10 });
    expect(again.map((e) => e.messageId).sort()).toEqual(['m2', 'm3']);
    expect(again.every((e) => e.leaseOwner === 'd' && e.leaseUntil === 7_000)).toBe(true);
    expect((await s.listOutbox()).map((e) => e.messageId).sort()).toEqual(['m2', 'm3']);
  },
  'an outbox claim limited to channels leaves the other entries untouched': async ({ store, reopened }) => {
    const entry = (messageId: string, channel: string) => ({ messageId, channel, attempts: 0, notBefore: 0 });
    await store.commit({ outbox: [entry('m1', 'sms'), entry('m2', 'whatsapp'), entry('m3', 'email')] });
    const claimed = await store.claimOutbox({
      now: 1_000,
      leaseMs: 1_000,
      owner: 'a',
      limit: 10,
      channels: ['sms', 'email'],
    });
    expect(claimed.map((e) => e.messageId).sort()).toEqual(['m1', 'm3']);
    expect(
      await store.claimOutbox({ now: 1_000, leaseMs: 1_000, owner: 'b', limit: 10, channels: [] }),
    ).toEqual([]);
    const s = await reopened();
    const left = (await s.listOutbox()).find((e) => e.messageId === 'm2');
    expect(left).toEqual(entry('m2', 'whatsapp'));
    const other = await s.claimOutbox({
      now: 1_000,
      leaseMs: 1_000,
      owner: 'c',
      limit: 10,
      channels: ['whatsapp'],
    });
    expect(other.map((e) => [e.messageId, e.leaseOwner])).toEqual([['m2', 'c']]);
  },
  'an outbox entry written again replaces the pending one, lease and all': async ({ store, reopened }) => {
    await store.commit({ outbox: [pending('m1')] });
    const claimed = await store.claimOutbox({ now: 1_000, leaseMs: 1_000, owner: 'a', limit: 10 });
    expect(claimed).toEqual([{ ...pending('m1'), leaseOwner: 'a', leaseUntil: 2_000 }]);
    // What a desk writes to retry a failed send: one more attempt, later, and no lease.
    const retry = { ...pending('m1', 1_500), attempts: 1, leaseOwner: undefined, leaseUntil: undefined };
    await store.commit({ outbox: [retry] });
    const s = await reopened();
    expect(await s.listOutbox()).toEqual([retry]);
    expect(await s.claimOutbox({ now: 1_499, leaseMs: 1_000, owner: 'b', limit: 10 })).toEqual([]);
    // Due at `notBefore` itself, while the replaced lease would still hold.
    expect(await s.claimOutbox({ now: 1_500, leaseMs: 1_000, owner: 'b', limit: 10 })).toEqual([
      { ...retry, leaseOwner: 'b', leaseUntil: 2_500 },
    ]);
  },
  'an outbox claim takes at most its limit and leaves the rest as they are': async ({ store }) => {
    const all = ['m1', 'm2', 'm3', 'm4', 'm5'];
    await store.commit({ outbox: all.map((messageId) => pending(messageId)) });
    const first = await store.claimOutbox({ now: 1_000, leaseMs: 1_000, owner: 'a', limit: 2 });
    expect(first).toHaveLength(2);
    const taken = first.map((entry) => entry.messageId);
    const outbox = await store.listOutbox();
    expect(outbox.filter((entry) => taken.includes(entry.messageId))).toEqual(expect.arrayContaining(first));
    const rest = outbox.filter((entry) => !taken.includes(entry.messageId));
    expect(rest.sort((x, y) => (x.messageId < y.messageId ? -1 : 1))).toEqual(
      all.filter((id) => !taken.includes(id)).map((messageId) => pending(messageId)),
    );
    const second = await store.claimOutbox({ now: 1_000, leaseMs: 1_000, owner: 'b', limit: 10 });
    expect([...taken, ...second.map((entry) => entry.messageId)].sort()).toEqual(all);
  },
};
