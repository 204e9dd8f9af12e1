import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConversationPatch } from '../../src/core/types.js';
import { isThreadlineError, StorageError, ValidationError } from '../../src/model/errors.js';
import { type Conversation, conversationStatuses } from '../../src/model/records.js';
import { memoryStore } from '../../src/stores/memory/index.js';
import { DAY, HOUR, sms, T0, testDesk } from './helpers.js';

/** A desk with one SMS conversation, its events and its clock. */
async function oneConversation() {
  const t = testDesk();
  const { conversation, customer } = await t.desk.receive(sms('+14155550100'));
  return { ...t, conversation, customer };
}

const at = (ms: number) => new Date(ms).toISOString();

/** Asserts the call rejects with a ValidationError naming `field`, and that it wrote nothing. */
async function refusesUnchanged(
  t: Awaited<ReturnType<typeof oneConversation>>,
  call: () => Promise<unknown>,
  field: string,
) {
  const before = await t.desk.conversations.get(t.conversation.id);
  const count = t.events.length;
  const error = await call().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).field).toBe(field);
  expect(await t.desk.conversations.get(t.conversation.id)).toEqual(before);
  expect(t.events).toHaveLength(count);
}

describe('conversations.update: options', () => {
  it('an expectedVersion that is no version is a ValidationError, not a conflict', async () => {
    const t = await oneConversation();
    const update = (expectedVersion: unknown) => () =>
      t.desk.conversations.update(
        t.conversation.id,
        { priority: 'high' },
        { expectedVersion: expectedVersion as number },
      );
    for (const bad of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY, '1', null])
      await refusesUnchanged(t, update(bad), 'expectedVersion');
    // A stale but well-formed version stays a ConflictError; the current one applies.
    await expect(update(t.conversation.version + 1)()).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await update(t.conversation.version)()).priority).toBe('high');
  });

  it('null options are a ValidationError, not a TypeError', async () => {
    const t = await oneConversation();
    await refusesUnchanged(
      t,
      () => t.desk.conversations.update(t.conversation.id, { priority: 'high' }, null as never),
      '(root)',
    );
  });
});

describe('conversations.update: snooze', () => {
  it('a snooze time on a conversation the patch leaves open is refused, not stored', async () => {
    const t = await oneConversation();
    const later = at(T0 + DAY);
    const update = (patch: ConversationPatch) => () => t.desk.conversations.update(t.conversation.id, patch);
    await refusesUnchanged(t, update({ snoozedUntil: later }), 'snoozedUntil');
    await refusesUnchanged(t, update({ status: 'open', snoozedUntil: later }), 'snoozedUntil');
    await refusesUnchanged(t, update({ status: 'resolved', snoozedUntil: later }), 'snoozedUntil');
    const snoozed = await update({ status: 'snoozed', snoozedUntil: later })();
    expect(snoozed).toMatchObject({ status: 'snoozed', snoozedUntil: later });
    // Waking it with a new time at once is refused too: the time would be dropped silently.
    await refusesUnchanged(t, update({ status: 'open', snoozedUntil: at(T0 + 2 * DAY) }), 'snoozedUntil');
    const woken = await update({ status: 'open' })();
    expect(woken.snoozedUntil).toBeUndefined();
  });

  it('a snooze time not after now is refused; the stored one given again is no change', async () => {
    const t = await oneConversation();
    const update = (patch: ConversationPatch) => () => t.desk.conversations.update(t.conversation.id, patch);
    await refusesUnchanged(t, update({ status: 'snoozed', snoozedUntil: at(T0 - 1) }), 'snoozedUntil');
    await refusesUnchanged(t, update({ status: 'snoozed', snoozedUntil: at(T0) }), 'snoozedUntil');
    const snoozed = await update({ status: 'snoozed', snoozedUntil: at(T0 + HOUR) })();
    t.advance(2 * HOUR);
    const count = t.events.length;
    expect(await update({ status: 'snoozed', snoozedUntil: at(T0 + HOUR) })()).toEqual(snoozed);
    expect(t.events).toHaveLength(count);
    // Snoozed with no time: until the customer writes again (an inbound message reopens it).
    const untimed = await update({ snoozedUntil: null })();
    expect(untimed).toMatchObject({ status: 'snoozed' });
    expect(untimed.snoozedUntil).toBeUndefined();
  });
});

describe('conversations.update: tags', () => {
  it('tags are trimmed and deduplicated; a blank one is refused', async () => {
    const t = await oneConversation();
    const updated = await t.desk.conversations.update(t.conversation.id, {
      tags: [' vip ', 'vip', 'billing'],
    });
    expect(updated.tags).toEqual(['vip', 'billing']);
    await refusesUnchanged(
      t,
      () => t.desk.conversations.update(t.conversation.id, { tags: ['ok', ' \n '] }),
      'tags[1]',
    );
  });
});

const ENDED = new Set(['resolved', 'closed']);
const FIELDS = ['status', 'assigneeId', 'teamId', 'tags', 'priority', 'subject', 'snoozedUntil'] as const;

const patchArbitrary = fc.record(
  {
    status: fc.constantFrom(...conversationStatuses),
    assigneeId: fc.option(fc.constantFrom('agent-1', 'agent-2'), { nil: null }),
    teamId: fc.option(fc.constantFrom('team-1'), { nil: null }),
    tags: fc.array(fc.constantFrom('vip', ' vip', 'billing', '', 'x'.repeat(129)), { maxLength: 4 }),
    priority: fc.constantFrom('low', 'normal', 'high', 'urgent'),
    subject: fc.option(fc.constantFrom('', 'Refund'), { nil: null }),
    snoozedUntil: fc.option(fc.constantFrom(at(T0 - DAY), at(T0 + 3 * HOUR), at(T0 + 30 * DAY)), {
      nil: null,
    }),
  },
  { requiredKeys: [] },
);

/** What differs between two records, over every key but the ones an update always bumps. */
function diff(before: Conversation, after: Conversation): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof Conversation>;
  for (const key of keys) {
    if (key === 'updatedAt' || key === 'version') continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key]))
      out[key] = { from: before[key], to: after[key] };
  }
  return out;
}

describe('conversations.update: any sequence of patches (property)', () => {
  it('throws only typed errors, writes all or nothing, and reports exactly what changed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(patchArbitrary, { minLength: 1, maxLength: 12 }), async (patches) => {
        const t = await oneConversation();
        for (const patch of patches) {
          t.advance(HOUR);
          const before = await t.desk.conversations.get(t.conversation.id);
          const count = t.events.length;
          let after: Conversation;
          try {
            after = await t.desk.conversations.update(t.conversation.id, patch);
          } catch (error) {
            expect(isThreadlineError(error) && error.code === 'VALIDATION').toBe(true);
            expect(await t.desk.conversations.get(t.conversation.id)).toEqual(before);
            expect(t.events).toHaveLength(count);
            continue;
          }
          expect(await t.desk.conversations.get(t.conversation.id)).toEqual(after);
          const changed = diff(before, after);
          if (Object.keys(changed).length === 0) {
            expect(after).toEqual(before);
            expect(t.events).toHaveLength(count);
          } else {
            expect(after.version).toBe(before.version + 1);
            expect(t.events).toHaveLength(count + 1);
            const event = t.events.at(-1)!;
            expect(event.type).toBe('conversation.updated');
            if (event.type === 'conversation.updated') expect(event.changes).toEqual(changed);
          }
          // Every field the patch gave holds what it gave (tags trimmed and deduplicated).
          for (const key of FIELDS) {
            const given = patch[key];
            if (given === undefined) continue;
            if (key === 'tags')
              expect(after.tags).toEqual([...new Set(patch.tags!.map((tag) => tag.trim()))]);
            else if (key !== 'snoozedUntil' || after.status === 'snoozed')
              expect(after[key]).toEqual(given ?? undefined);
          }
          expect(after.snoozedUntil === undefined || after.status === 'snoozed').toBe(true);
          expect(after.resolvedAt !== undefined).toBe(ENDED.has(after.status));
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('customers.update', () => {
  it('a trait named __proto__ is refused by name, not dropped silently', async () => {
    const t = await oneConversation();
    const patch = JSON.parse('{"traits":{"__proto__":{"isAdmin":true},"plan":"pro"}}');
    const error = await t.desk.customers.update(t.customer.id, patch).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('traits.__proto__');
    expect((await t.desk.customers.get(t.customer.id)).traits).toEqual({});
  });

  it("traits named like Object's members are traits like any other", async () => {
    const t = await oneConversation();
    const traits = { constructor: 'c', toString: 's', hasOwnProperty: 1, valueOf: null };
    const updated = await t.desk.customers.update(t.customer.id, { traits });
    expect(updated.traits).toEqual(traits);
    const removed = await t.desk.customers.update(t.customer.id, { traits: { constructor: undefined } });
    expect(Object.keys(removed.traits).sort()).toEqual(['hasOwnProperty', 'toString', 'valueOf']);
  });

  it("a store's failure reaches the caller as itself, not as NotFoundError", async () => {
    const store = memoryStore();
    let broken = false;
    const failing = {
      ...store,
      getCustomer: (id: string) => {
        if (broken) throw new StorageError('disk unreadable');
        return store.getCustomer(id);
      },
    };
    const { desk } = testDesk({ store: failing });
    const { customer } = await desk.receive(sms('+14155550100'));
    broken = true;
    await expect(desk.customers.update(customer.id, { displayName: 'Ann' })).rejects.toBeInstanceOf(
      StorageError,
    );
  });
});
