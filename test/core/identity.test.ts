import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/model/errors.js';
import { identityKey, normalizeEmail, normalizePhone } from '../../src/model/identity.js';
import { email, sms, testDesk, webchat, whatsapp } from './helpers.js';

describe('identity normalization', () => {
  it.each([
    ['+1 (415) 555-0100', undefined, '+14155550100'],
    ['(415) 555-0100', 'US', '+14155550100'],
    ['whatsapp:+14155550100', undefined, '+14155550100'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['+55 11 8765-4321', undefined, '+5511987654321'], // Brazil: WhatsApp's eight-digit mobile form
    ['+55 11 98765-4321', undefined, '+5511987654321'],
    ['+55 11 3456-7890', undefined, '+551134567890'], // Brazilian landline keeps eight digits
    ['+52 1 55 1234 5678', undefined, '+525512345678'], // Mexico's old mobile 1
  ] as const)('phone %s (default %s) -> %s', (raw, country, expected) => {
    expect(normalizePhone(raw, { defaultCountry: country })).toBe(expected);
  });

  it('lowercases, trims and unwraps emails', () => {
    expect(normalizeEmail('  Ann.Lee@Example.COM ')).toBe('ann.lee@example.com');
    expect(normalizeEmail('"Ann Lee" <Ann@Example.com>')).toBe('ann@example.com');
  });

  it('rejects what cannot be normalized with a ValidationError', () => {
    for (const raw of ['', '12', 'abc', '+1 555']) expect(() => normalizePhone(raw)).toThrow(ValidationError);
    for (const raw of ['ann', 'ann@', '@example.com', 'a b@example.com'])
      expect(() => normalizeEmail(raw)).toThrow(ValidationError);
  });

  it('phone and whatsapp share one index key', () => {
    expect(identityKey('whatsapp', '+14155550100')).toBe(identityKey('phone', '+14155550100'));
    expect(identityKey('email', 'a@b.co')).not.toBe(identityKey('webchat', 'a@b.co'));
  });

  it('normalization is idempotent and only ever throws ValidationError (property)', () => {
    fc.assert(
      fc.property(fc.string(), (raw) => {
        for (const normalize of [normalizePhone, normalizeEmail]) {
          try {
            const once = normalize(raw);
            expect(normalize(once)).toBe(once);
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('identity resolution', () => {
  it('the same number on SMS, WhatsApp and voice is one customer', async () => {
    const { desk } = testDesk();
    const a = await desk.receive(sms('+14155550100'));
    const b = await desk.receive(whatsapp('+1 415 555 0100'));
    const c = await desk.receive({
      channel: 'voice',
      from: { kind: 'phone', value: '+14155550100', verified: true },
      parts: [{ type: 'call', durationSec: 42 }],
      externalId: 'CA1',
    });
    expect(new Set([a.customer.id, b.customer.id, c.customer.id]).size).toBe(1);
    expect(c.customer.identities.map((i) => i.kind).sort()).toEqual(['phone']);
  });

  it('a customer holds many identities, each with trust, linkedAt and lastSeenAt', async () => {
    const { desk, advance } = testDesk();
    const { customer } = await desk.receive(sms('+14155550100'));
    advance(1000);
    await desk.identify(customer.id, { kind: 'email', value: 'ann@work.example', verified: true });
    const { customer: after } = await desk.identify(customer.id, {
      kind: 'email',
      value: 'ann@home.example',
    });
    expect(after.identities.map((i) => [i.kind, i.value, i.verified])).toEqual([
      ['phone', '+14155550100', true],
      ['email', 'ann@work.example', true],
      ['email', 'ann@home.example', false],
    ]);
    expect(after.identities[1]!.linkedAt).toBe(after.identities[1]!.lastSeenAt);
    expect(after.identities[1]!.linkedAt > after.identities[0]!.linkedAt).toBe(true);
  });

  it('refreshes lastSeenAt once a minute has passed, not on every message', async () => {
    const { desk, advance, now } = testDesk();
    const first = await desk.receive(sms('+14155550100'));
    const seenAt = () => desk.store.getCustomer(first.customer.id);
    advance(59_999);
    await desk.receive(sms('+14155550100'));
    const unchanged = await seenAt();
    expect([unchanged!.version, unchanged!.identities[0]!.lastSeenAt]).toEqual([
      first.customer.version,
      first.customer.identities[0]!.lastSeenAt,
    ]);
    advance(1);
    await desk.receive(sms('+14155550100'));
    const refreshed = await seenAt();
    expect(refreshed!.identities[0]!.lastSeenAt).toBe(new Date(now()).toISOString());
    expect(refreshed!.version).toBe(first.customer.version + 1);
  });

  it('reads a lastSeenAt in another ISO form by its time', async () => {
    const { desk, advance, now } = testDesk();
    const { customer } = await desk.receive(sms('+14155550100'));
    // A record another writer stored with an offset instead of Z: 30 s before now, then 90 s.
    const rewrite = async (ms: number) => {
      const held = (await desk.store.getCustomer(customer.id))!;
      const lastSeenAt = new Date(ms).toISOString().replace('Z', '+00:00');
      const identities = [{ ...held.identities[0]!, lastSeenAt }];
      await desk.store.commit({
        customers: [
          { record: { ...held, identities, version: held.version + 1 }, expectedVersion: held.version },
        ],
      });
      return lastSeenAt;
    };
    advance(120_000);
    const recent = await rewrite(now() - 30_000);
    await desk.receive(sms('+14155550100'));
    expect((await desk.store.getCustomer(customer.id))!.identities[0]!.lastSeenAt).toBe(recent);
    await rewrite(now() - 90_000);
    await desk.receive(sms('+14155550100'));
    expect((await desk.store.getCustomer(customer.id))!.identities[0]!.lastSeenAt).toBe(
      new Date(now()).toISOString(),
    );
  });

  it('identify merges two customers automatically when both sides are verified', async () => {
    const { desk, types } = testDesk();
    const phoneSide = await desk.receive(sms('+14155550100'));
    const mailSide = await desk.receive(email('ann@example.com'));
    const result = await desk.identify(
      phoneSide.customer.id,
      { kind: 'email', value: 'ann@example.com', verified: true },
      { reason: 'login' },
    );
    expect(result.merge).toMatchObject({
      keptId: mailSide.customer.id,
      mergedId: phoneSide.customer.id,
      reason: 'login',
    });
    expect(result.customer.id).toBe(mailSide.customer.id);
    expect(types()).toContain('customer.merged');
    const context = await desk.context({ customerId: phoneSide.customer.id });
    expect(context.customer.id).toBe(mailSide.customer.id);
    expect(context.counts.messages).toBe(2);
  });

  it('an unverified claim only suggests a merge and moves nothing', async () => {
    const { desk, events } = testDesk();
    const owner = await desk.receive(email('ann@example.com', 'my invoice'));
    const visitor = await desk.receive(webchat('visitor-1'));
    const result = await desk.identify(visitor.customer.id, { kind: 'email', value: 'ann@example.com' });
    expect(result.merge).toBeUndefined();
    expect(result.suggestedMergeWith).toBe(owner.customer.id);
    expect(events.filter((e) => e.type === 'customer.merge_suggested')).toMatchObject([
      { customerId: visitor.customer.id, otherCustomerId: owner.customer.id, reason: 'unverified' },
    ]);
    const visitorContext = await desk.context({ customerId: visitor.customer.id });
    expect(visitorContext.messages.map((m) => m.channel)).toEqual(['webchat']);
    expect((await desk.customers.get(owner.customer.id)).mergedInto).toBeUndefined();
  });

  it("a self-claimed email never takes over the real owner's history", async () => {
    const { desk } = testDesk();
    const visitor = await desk.receive(webchat('visitor-1', 'hi, I am ann@example.com'));
    await desk.identify(visitor.customer.id, { kind: 'email', value: 'ann@example.com' });
    const real = await desk.receive(email('ann@example.com', 'real Ann here'));
    expect(real.customer.id).not.toBe(visitor.customer.id);
    expect(real.conversation.id).not.toBe(visitor.conversation.id);
    const claimant = await desk.customers.get(visitor.customer.id);
    expect(claimant.identities.map((i) => i.kind)).toEqual(['webchat']);
    const again = await desk.receive(email('ann@example.com', 'second mail'));
    expect(again.customer.id).toBe(real.customer.id);
  });

  it('policy never only suggests, even for two verified sides; always merges unverified ones', async () => {
    const never = testDesk({ identity: { autoMerge: 'never' } });
    const a = await never.desk.receive(sms('+14155550100'));
    await never.desk.receive(email('ann@example.com'));
    const r1 = await never.desk.identify(a.customer.id, {
      kind: 'email',
      value: 'ann@example.com',
      verified: true,
    });
    expect(r1.merge).toBeUndefined();
    expect(never.events.at(-1)).toMatchObject({ type: 'customer.merge_suggested', reason: 'policy' });
    const always = testDesk({ identity: { autoMerge: 'always' } });
    const b = await always.desk.receive(webchat('v1'));
    await always.desk.receive(webchat('v2'));
    const r2 = await always.desk.identify(b.customer.id, { kind: 'webchat', value: 'v2' });
    expect(r2.merge).toBeDefined();
  });

  it('national numbers use the configured default country', async () => {
    const { desk } = testDesk({ identity: { defaultCountry: 'US' } });
    const a = await desk.receive(sms('(415) 555-0100'));
    const b = await desk.receive(whatsapp('+14155550100'));
    expect(a.customer.id).toBe(b.customer.id);
  });

  it('extra identities on an inbound message attach, or suggest a merge on collision', async () => {
    const { desk, events } = testDesk();
    const owner = await desk.receive(sms('+14155550100'));
    const form = await desk.receive({
      channel: 'webform',
      from: { kind: 'email', value: 'bob@example.com' },
      identities: [
        { kind: 'phone', value: '+14155550100' },
        { kind: 'phone', value: '+14155550199' },
      ],
      parts: [{ type: 'form', fields: [{ name: 'message', value: 'call me' }] }],
    });
    expect(form.customer.identities.map((i) => i.value)).toEqual(['bob@example.com', '+14155550199']);
    expect(
      events.some((e) => e.type === 'customer.merge_suggested' && e.otherCustomerId === owner.customer.id),
    ).toBe(true);
  });
});
