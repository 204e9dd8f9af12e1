import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/model/errors.js';
import type { InboundEvent } from '../../src/model/inbound.js';
import { MergeRecord } from '../../src/model/records.js';
import { holdings, sms, testDesk, webchat } from './helpers.js';

type TestDesk = ReturnType<typeof testDesk>;

/** The error a call rejects with (fails when it resolves). */
async function rejection(call: () => Promise<unknown>): Promise<unknown> {
  return call().then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

/** Asserts a ValidationError naming `field`, and that no event (so no write) followed. */
async function refuses(t: TestDesk, call: () => Promise<unknown>, field: string) {
  const count = t.events.length;
  const error = await rejection(call);
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).field).toBe(field);
  expect(t.events).toHaveLength(count);
}

async function twoCustomers() {
  const t = testDesk();
  const ann = await t.desk.receive(sms('+14155550100'));
  const visitor = await t.desk.receive(webchat('v1'));
  return { ...t, keptId: ann.customer.id, mergedId: visitor.customer.id };
}

const TRAIT_KEYS = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'plan'];
const traitsArbitrary = fc.dictionary(
  fc.constantFrom(...TRAIT_KEYS),
  fc.constantFrom<string | number | null>('a', 'b', '', null, 0),
);
const blank = (value: unknown) => value === undefined || value === null || value === '';
/** A trait's own value (`traits.constructor` of `{}` is Object's, no trait). */
const own = (traits: Record<string, unknown>, key: string) =>
  Object.hasOwn(traits, key) ? traits[key] : undefined;

describe('merge and unmerge with traits named like Object members (property)', () => {
  it('fills, keeps and records them as any trait, and an unmerge restores both exactly', async () => {
    await fc.assert(
      fc.asyncProperty(traitsArbitrary, traitsArbitrary, async (keptTraits, mergedTraits) => {
        const t = await twoCustomers();
        await t.desk.customers.update(t.keptId, { traits: keptTraits });
        await t.desk.customers.update(t.mergedId, { traits: mergedTraits });
        const before = await holdings(t.desk, [t.keptId, t.mergedId]);
        const merge = await t.desk.merge(t.keptId, t.mergedId);
        // The record is plain, valid JSON: no inherited function slipped into a conflict.
        expect(MergeRecord.parse(JSON.parse(JSON.stringify(merge)))).toEqual(merge);
        const expected: Record<string, unknown> = { ...keptTraits };
        for (const [key, value] of Object.entries(mergedTraits)) {
          if (blank(own(keptTraits, key)) && !blank(value)) expected[key] = value;
        }
        expect((await t.desk.customers.get(t.keptId)).traits).toEqual(expected);
        expect(merge.filledTraits.sort()).toEqual(
          Object.keys(mergedTraits)
            .filter((key) => blank(own(keptTraits, key)) && !blank(mergedTraits[key]))
            .sort(),
        );
        for (const conflict of merge.traitConflicts) {
          expect(conflict.kept).toEqual(own(keptTraits, conflict.key));
          expect(conflict.merged).toEqual(mergedTraits[conflict.key]);
        }
        await t.desk.unmerge(merge.id);
        expect(await holdings(t.desk, [t.keptId, t.mergedId])).toEqual(before);
      }),
      { numRuns: 80 },
    );
  });
});

describe('merge and identify options', () => {
  it('a merge reason outside api, identify and login is refused; nothing moves', async () => {
    const t = await twoCustomers();
    const before = await holdings(t.desk, [t.keptId, t.mergedId]);
    await refuses(t, () => t.desk.merge(t.keptId, t.mergedId, { reason: 'evil' as never }), 'options.reason');
    await refuses(t, () => t.desk.merge('', t.mergedId), 'keepId');
    await refuses(t, () => t.desk.merge(t.keptId, 42 as never), 'mergeId');
    expect(await holdings(t.desk, [t.keptId, t.mergedId])).toEqual(before);
  });

  it("identify's reason and source are checked before anything is stored", async () => {
    const t = await twoCustomers();
    const identity = { kind: 'email' as const, value: 'ann@example.com' };
    await refuses(t, () => t.desk.identify(t.keptId, identity, { reason: 'api' as never }), 'reason');
    await refuses(t, () => t.desk.identify(t.keptId, identity, { source: 5 as never }), 'source');
    await refuses(t, () => t.desk.identify(t.keptId, identity, { source: '' }), 'source');
    expect((await t.desk.customers.get(t.keptId)).identities).toHaveLength(1);
  });
});

describe('reply input', () => {
  it('meta must be JSON: a BigInt, a function or a Date is refused and nothing is queued', async () => {
    const t = testDesk();
    const { conversation } = await t.desk.receive(sms('+14155550100'));
    for (const value of [1n, () => 1, new Date(0), Number.NaN]) {
      await refuses(
        t,
        () => t.desk.reply(conversation.id, { text: 'hi', meta: { x: value } as never }),
        'meta.x',
      );
    }
    expect((await t.desk.conversations.get(conversation.id)).messageCount).toBe(1);
  });

  it('a reply is not authored by the customer, and takes parts or text, not both', async () => {
    const t = testDesk();
    const { conversation } = await t.desk.receive(sms('+14155550100'));
    await refuses(
      t,
      () => t.desk.reply(conversation.id, { text: 'hi', author: { type: 'customer' } }),
      'author.type',
    );
    await refuses(
      t,
      () => t.desk.reply(conversation.id, { text: 'hi', parts: [{ type: 'text', text: 'other' }] }),
      'text',
    );
    const sent = await t.desk.reply(conversation.id, { text: 'hi', author: { type: 'bot', id: 'b1' } });
    expect(sent.parts).toEqual([{ type: 'text', text: 'hi' }]);
  });
});

describe('context query', () => {
  it('null or both ids is a ValidationError; null options take the defaults', async () => {
    const t = testDesk();
    const { customer, conversation } = await t.desk.receive(sms('+14155550100'));
    await refuses(t, () => t.desk.context(null as never), '(root)');
    await refuses(
      t,
      () => t.desk.context({ customerId: customer.id, conversationId: conversation.id } as never),
      '(root)',
    );
    const context = await t.desk.context({ customerId: customer.id }, null as never);
    expect(context.messages).toHaveLength(1);
  });
});

describe('ingest input', () => {
  it('anything but a list of known events is refused by index, and nothing of it is stored', async () => {
    const t = testDesk();
    const good: InboundEvent = { type: 'message', message: sms('+14155550100') };
    const cases: [unknown, string][] = [
      [null, '(root)'],
      [{ length: 1 }, '(root)'],
      [[good, null], '[1].type'],
      [[good, { type: 'bogus' }], '[1].type'],
    ];
    for (const [events, field] of cases) {
      await refuses(t, () => t.desk.ingest('sms', events as InboundEvent[]), field);
    }
    await refuses(t, () => t.desk.ingest('sms', [good, { type: 'message', message: null as never }]), 'from');
    await refuses(
      t,
      () => t.desk.ingest('sms', [good, { type: 'echo', externalId: 5 } as unknown as InboundEvent]),
      'externalId',
    );
    expect(await t.desk.conversations.list()).toMatchObject({ items: [] });
  });
});
