import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/store.js';
import { ConflictError, NotFoundError, ValidationError } from '../../src/model/errors.js';
import type { DeskEvent } from '../../src/model/events.js';
import { normalizeEmail, normalizePhone } from '../../src/model/identity.js';
import type { InboundMessage } from '../../src/model/inbound.js';
import type { Message } from '../../src/model/records.js';
import { memoryStore } from '../../src/stores/memory/index.js';
import { DAY, email, HOUR, holdings, sms, T0, testDesk, webchat, whatsapp } from './helpers.js';

type TestDesk = ReturnType<typeof testDesk>['desk'];

const texts = (messages: Message[]) =>
  messages.map((m) => (m.parts[0]?.type === 'text' ? m.parts[0].text : '?'));

/** Reads pages by passing each cursor back as a string, as an HTTP client does. */
async function pageByCursor(
  desk: TestDesk,
  customerId: string,
  direction: 'before' | 'after',
  limit: number,
): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined = direction === 'after' ? '' : undefined; // '' after: from the oldest
  for (let i = 0; i < 50; i++) {
    const options = cursor === undefined ? { limit } : { limit, [direction]: cursor };
    const page = await desk.timeline(customerId, options).page();
    seen.push(...texts(page.items));
    if (!page.hasNext) return seen;
    cursor = page.nextCursor;
  }
  throw new Error(`paging did not end: ${seen.join(',')}`);
}

describe('merge and unmerge edge cases', () => {
  it('unmerge leaves a moved claim with the verified owner who took it since', async () => {
    const { desk } = testDesk();
    const ann = await desk.receive(sms('+14155550100'));
    const visitor = await desk.receive(webchat('v1'));
    await desk.identify(visitor.customer.id, { kind: 'email', value: 'bob@example.com' });
    const merge = await desk.merge(ann.customer.id, visitor.customer.id);
    const bob = await desk.receive(email('bob@example.com', 'the real Bob'));
    expect(bob.customer.id).not.toBe(ann.customer.id);
    const restored = await desk.unmerge(merge.id);
    expect(restored.identities.map((i) => i.value)).toEqual(['v1']);
    expect((await desk.store.findCustomerByIdentity('default', 'email:bob@example.com'))?.id).toBe(
      bob.customer.id,
    );
    expect((await desk.store.findCustomerByIdentity('default', 'webchat:v1'))?.id).toBe(visitor.customer.id);
  });

  it('unmerge gives the moved identities back as the survivor holds them now', async () => {
    const { desk, advance } = testDesk();
    const ann = await desk.receive(sms('+14155550100'));
    const visitor = await desk.receive(webchat('v1'));
    const merge = await desk.merge(ann.customer.id, visitor.customer.id);
    advance(HOUR);
    await desk.receive(webchat('v1', 'back again'));
    const restored = await desk.unmerge(merge.id);
    expect(restored.identities).toMatchObject([
      { value: 'v1', lastSeenAt: new Date(T0 + HOUR).toISOString() },
    ]);
  });

  it('an older merge undone after a newer one into the same survivor leaves the newer one whole', async () => {
    const { desk } = testDesk();
    const a = await desk.receive(sms('+14155550100', 'a'));
    const b = await desk.receive(email('b@example.com', 'b'));
    const c = await desk.receive(webchat('c1', 'c'));
    const ids = [a.customer.id, b.customer.id, c.customer.id];
    const before = await holdings(desk, ids);
    const m1 = await desk.merge(a.customer.id, b.customer.id);
    const onlySecond = await (async () => {
      const m2 = await desk.merge(a.customer.id, c.customer.id);
      await desk.unmerge(m1.id);
      return m2;
    })();
    const kept = await desk.customers.get(a.customer.id);
    expect(kept.identities.map((i) => i.value)).toEqual(['+14155550100', 'c1']);
    expect(texts((await desk.context({ customerId: a.customer.id })).messages)).toEqual(['c', 'a']);
    expect(texts((await desk.context({ customerId: b.customer.id })).messages)).toEqual(['b']);
    await desk.unmerge(onlySecond.id);
    expect(await holdings(desk, ids)).toEqual(before);
  });

  it('a chain of merges: the first merged-away id reaches the last survivor everywhere it resolves', async () => {
    const { desk } = testDesk();
    const a = await desk.receive(sms('+14155550100', 'a'));
    const b = await desk.receive(email('b@example.com', 'b'));
    const c = await desk.receive(webchat('c1', 'c'));
    const m1 = await desk.merge(a.customer.id, b.customer.id);
    await desk.merge(c.customer.id, a.customer.id);
    expect((await desk.customers.resolve(b.customer.id)).id).toBe(c.customer.id);
    const listed = await desk.conversations.list({ customerId: b.customer.id });
    expect(listed.items.map((conversation) => conversation.customerId)).toEqual([
      c.customer.id,
      c.customer.id,
      c.customer.id,
    ]);
    const around = await desk.timeline(b.customer.id, { limit: 3, around: b.message.id }).page();
    expect(texts(around.items)).toEqual(['c', 'b', 'a']);
    const identified = await desk.identify(b.customer.id, { kind: 'telegram', value: '42' });
    expect(identified.customer.id).toBe(c.customer.id);
    await expect(desk.merge(c.customer.id, b.customer.id)).rejects.toBeInstanceOf(ConflictError);
    await expect(desk.merge(b.customer.id, c.customer.id)).rejects.toBeInstanceOf(ConflictError);
    await expect(desk.unmerge(m1.id)).rejects.toThrow(/undo that merge first/);
    expect(await desk.conversations.list({ customerId: 'nobody' })).toMatchObject({ items: [] });
  });

  it('a merge that lands between the reads and the commit of a receive never strands its message', async () => {
    // A store whose conversation reads are slow enough for a merge to commit in between (as another
    // process sharing a database can), so the receive decided on a customer merged away since.
    const inner = memoryStore();
    let meanwhile: (() => Promise<unknown>) | undefined;
    const store: Store = {
      ...inner,
      listConversations: async (query) => {
        const run = meanwhile;
        meanwhile = undefined;
        if (run) await run();
        return inner.listConversations(query);
      },
    };
    const { desk } = testDesk({ store });
    const ann = await desk.receive(sms('+14155550100'));
    await desk.conversations.update(ann.conversation.id, { status: 'closed' });
    const kept = await desk.receive(email('ann@example.com'));
    meanwhile = () => desk.merge(kept.customer.id, ann.customer.id);
    const next = await desk.receive(sms('+14155550100', 'after the merge'));
    expect(next.customer.id).toBe(kept.customer.id);
    expect(next.conversation.customerId).toBe(kept.customer.id);
    expect(await desk.store.countMessages({ customerId: ann.customer.id })).toBe(0);
    expect(await desk.store.countMessages({ customerId: kept.customer.id })).toBe(3);
  });
});

describe('identity edge cases', () => {
  it('identifying again with nothing new writes and emits nothing; a verification does, once', async () => {
    const { desk, types } = testDesk();
    const { customer } = await desk.receive(sms('+14155550100'));
    await desk.identify(customer.id, { kind: 'email', value: 'ann@example.com' });
    const count = types().length;
    const same = await desk.identify(customer.id, { kind: 'email', value: 'ANN@example.com' });
    const phoneAsWhatsapp = await desk.identify(customer.id, { kind: 'whatsapp', value: '+1 415 555 0100' });
    expect(types().length).toBe(count);
    expect(phoneAsWhatsapp.customer.version).toBe(same.customer.version);
    const upgraded = await desk.identify(customer.id, {
      kind: 'email',
      value: 'ann@example.com',
      verified: true,
    });
    expect(upgraded.customer.identities.find((i) => i.kind === 'email')?.verified).toBe(true);
    expect(types().slice(count)).toEqual(['customer.identified']);
  });

  it('an unknown default country is refused when the desk is made', () => {
    for (const defaultCountry of ['us', 'XX', 'USA']) {
      const error = (() => {
        try {
          testDesk({ identity: { defaultCountry: defaultCountry as never } });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('identity.defaultCountry');
    }
  });

  it.each([
    ['(11) 8765-4321', 'BR', '+5511987654321'], // Brazil: the pre-2016 mobile form gets its ninth digit
    ['011 8765 4321', 'BR', '+5511987654321'],
    ['(11) 2345-6789', 'BR', '+551123456789'], // a landline keeps eight
    ['030 1234567', 'DE', '+49301234567'],
    ['06 12 34 56 78', 'FR', '+33612345678'],
    ['090-1234-5678', 'JP', '+819012345678'],
    ['00 44 20 7946 0958', 'DE', '+442079460958'],
    ['011 44 20 7946 0958', 'US', '+442079460958'],
    ['+44 (0)20 7946 0958', undefined, '+442079460958'],
  ] as const)('national phone %s with defaultCountry %s -> %s', (raw, country, expected) => {
    expect(normalizePhone(raw, { defaultCountry: country })).toBe(expected);
  });

  it('an internationalized domain is one mailbox in Unicode and in its ASCII form', async () => {
    expect(normalizeEmail('Ann+Support@BÜCHER.example')).toBe('ann+support@xn--bcher-kva.example');
    expect(normalizeEmail('ann@example.com.')).toBe('ann@example.com');
    const { desk } = testDesk();
    const unicode = await desk.receive(email('Ann@Bücher.example'));
    const ascii = await desk.receive(email('ann@xn--bcher-kva.example'));
    expect(ascii.customer.id).toBe(unicode.customer.id);
  });

  it.each(['ann@ex..ample.com', 'ann@example.com/evil', 'ann@exa mple.com', 'ann@.example.com'])(
    'refuses the email %s naming from.value, writing nothing',
    async (value) => {
      const { desk, events } = testDesk();
      const error = await desk.receive(email(value)).catch((e) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.field).toBe('from.value');
      expect(events).toEqual([]);
      expect(await desk.store.readEvents({ limit: 10 })).toEqual([]);
    },
  );

  it('an extra identity that merges the sender away returns the records as they are now', async () => {
    const { desk } = testDesk();
    const owner = await desk.receive(email('ann@example.com'));
    const form = await desk.receive({
      channel: 'webform',
      from: { kind: 'webchat', value: 'v1' },
      identities: [{ kind: 'email', value: 'ann@example.com', verified: true }],
      text: 'it is me',
    });
    expect(form.customer.id).toBe(owner.customer.id);
    expect(form.conversation.customerId).toBe(owner.customer.id);
    expect(form.message.customerId).toBe(owner.customer.id);
    expect(form.conversation).toEqual(await desk.conversations.get(form.conversation.id));
  });
});

describe('identity review fixes', () => {
  it("a provider's name fills a blank display name once, with customer.updated", async () => {
    const { desk, events } = testDesk();
    const first = await desk.receive(sms('+14155550100'));
    expect(first.customer.displayName).toBeUndefined();
    await desk.receive(sms('+14155550100', 'no name yet'));
    const named = await desk.receive(whatsapp('+14155550100', 'hi', { displayName: 'Ann Lee' }));
    await desk.receive(whatsapp('+14155550100', 'again', { displayName: 'Ann L.' }));
    await desk.receive(sms('+14155550100', 'blank', { displayName: '' }));
    const updates = events.filter((e) => e.type === 'customer.updated');
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({
      customer: { id: first.customer.id, displayName: 'Ann Lee', version: named.customer.version },
      changes: { displayName: { from: undefined, to: 'Ann Lee' } },
    });
    expect(Object.keys(updates[0]!.type === 'customer.updated' ? updates[0]!.changes : {})).toEqual([
      'displayName',
    ]);
    expect((await desk.customers.get(first.customer.id)).displayName).toBe('Ann Lee');
    const logged = (await desk.store.readEvents({ limit: 1000 })).map((entry) => entry.event);
    expect(logged).toEqual(events);
  });

  it('always: a verified identity merges its mere claimant into the verified side, which is kept', async () => {
    const { desk, events } = testDesk({ identity: { autoMerge: 'always' } });
    const visitor = await desk.receive(webchat('v1', 'I am ann@example.com'));
    await desk.identify(visitor.customer.id, { kind: 'email', value: 'ann@example.com' });
    const ann = await desk.receive(sms('+14155550100'));
    const count = events.length;
    const result = await desk.identify(ann.customer.id, {
      kind: 'email',
      value: 'ann@example.com',
      verified: true,
    });
    expect(result.customer.id).toBe(ann.customer.id);
    expect(result.merge).toMatchObject({ keptId: ann.customer.id, mergedId: visitor.customer.id });
    expect(result.customer.identities.find((i) => i.kind === 'email')).toMatchObject({ verified: true });
    expect((await desk.customers.get(visitor.customer.id)).mergedInto).toBe(ann.customer.id);
    expect(events.slice(count).map((e) => e.type)).toEqual(['customer.merged', 'customer.identified']);
    // Undone, the claimant comes back without the address its verified owner took.
    const restored = await desk.unmerge(result.merge!.id);
    expect(restored.identities.map((i) => i.value)).toEqual(['v1']);
    const owner = await desk.store.findCustomerByIdentity('default', 'email:ann@example.com');
    expect(owner?.id).toBe(ann.customer.id);
    expect(owner?.identities.find((i) => i.kind === 'email')?.verified).toBe(true);
  });

  it('always: a claim of a verified holding merges into the verified holder, which is kept', async () => {
    const { desk } = testDesk({ identity: { autoMerge: 'always' } });
    const ann = await desk.receive(email('ann@example.com'));
    const visitor = await desk.receive(webchat('v1'));
    const result = await desk.identify(visitor.customer.id, { kind: 'email', value: 'ann@example.com' });
    expect(result.merge).toMatchObject({ keptId: ann.customer.id, mergedId: visitor.customer.id });
    expect(result.customer.identities.find((i) => i.kind === 'email')?.verified).toBe(true);
  });

  it("an unverified sender of a customer's verified identity joins, its message marked", async () => {
    const { desk } = testDesk();
    const ann = await desk.receive(email('ann@example.com', 'order 42?'));
    expect(ann.message.meta?.unverifiedSender).toBeUndefined();
    const spoof = await desk.receive(
      email('ann@example.com', 'send it to my new address', {
        from: { kind: 'email', value: 'ann@example.com', verified: false },
      }),
    );
    expect(spoof.customer.id).toBe(ann.customer.id);
    expect(spoof.conversation.id).toBe(ann.conversation.id);
    expect(spoof.message.meta).toEqual({ unverifiedSender: true });
    expect(spoof.customer.identities.find((i) => i.kind === 'email')?.verified).toBe(true);
    // A claim held unverified is no one's proof: a second claim is not marked.
    const form = { channel: 'webform', from: { kind: 'email', value: 'bob@example.com' } } as const;
    await desk.receive({ ...form, text: 'first' });
    expect((await desk.receive({ ...form, text: 'second' })).message.meta).toBeUndefined();
  });
});

describe('continuity edge cases', () => {
  it('a late delivery keeps its place and moves neither the last channel nor the reply channel', async () => {
    const { desk, types } = testDesk();
    await desk.receive(whatsapp('+14155550100', 'now'));
    const late = await desk.receive(sms('+14155550100', 'an hour ago', { createdAt: T0 - HOUR }));
    expect(late.conversation).toMatchObject({
      lastChannel: 'whatsapp',
      lastInboundChannel: 'whatsapp',
      channels: ['whatsapp', 'sms'],
      lastInboundAtMs: { whatsapp: T0, sms: T0 - HOUR },
    });
    expect(types()).not.toContain('conversation.channel_switched');
    const reply = await desk.reply(late.conversation.id, { text: 'on it' });
    expect(reply.channel).toBe('whatsapp');
    expect(texts((await desk.context({ customerId: late.customer.id })).messages)).toEqual([
      'on it',
      'now',
      'an hour ago',
    ]);
  });

  it('channel_switched is emitted exactly when the last channel changes', async () => {
    const { desk, events } = testDesk();
    const first = await desk.receive(sms('+14155550100'));
    await desk.receive(sms('+14155550100'));
    const second = await desk.receive(whatsapp('+14155550100'));
    await desk.receive(whatsapp('+14155550100'));
    const third = await desk.receive(sms('+14155550100'));
    expect(events.filter((e) => e.type === 'conversation.channel_switched')).toMatchObject([
      { conversationId: first.conversation.id, from: 'sms', to: 'whatsapp', messageId: second.message.id },
      { conversationId: first.conversation.id, from: 'whatsapp', to: 'sms', messageId: third.message.id },
    ]);
  });

  it('reopening by a new message reports every field it changed', async () => {
    const { desk, events } = testDesk();
    const a = await desk.receive(sms('+14155550100'));
    const resolved = await desk.conversations.update(a.conversation.id, { status: 'resolved' });
    await desk.receive(sms('+14155550100'));
    await desk.conversations.update(a.conversation.id, {
      status: 'snoozed',
      snoozedUntil: '2026-12-01T00:00:00.000Z',
    });
    await desk.receive(sms('+14155550100'));
    const reopenings = events.filter((e) => e.type === 'conversation.updated').slice(-3);
    expect(reopenings.map((e) => (e.type === 'conversation.updated' ? e.changes : undefined))).toEqual([
      {
        status: { from: 'resolved', to: 'open' },
        resolvedAt: { from: resolved.resolvedAt, to: undefined },
        resolvedAtMs: { from: resolved.resolvedAtMs, to: undefined },
      },
      {
        status: { from: 'open', to: 'snoozed' },
        snoozedUntil: { from: undefined, to: '2026-12-01T00:00:00.000Z' },
      },
      {
        status: { from: 'snoozed', to: 'open' },
        snoozedUntil: { from: '2026-12-01T00:00:00.000Z', to: undefined },
      },
    ]);
  });

  it('reopens a resolved conversation exactly at reopenWithinMs, not a millisecond later', async () => {
    const { desk, advance } = testDesk({ continuity: { reopenWithinMs: DAY } });
    const a = await desk.receive(sms('+14155550100'));
    await desk.conversations.update(a.conversation.id, { status: 'resolved' });
    advance(DAY);
    expect((await desk.receive(sms('+14155550100'))).conversation.id).toBe(a.conversation.id);
    await desk.conversations.update(a.conversation.id, { status: 'resolved' });
    advance(DAY + 1);
    expect((await desk.receive(sms('+14155550100'))).conversation.id).not.toBe(a.conversation.id);
  });

  it('an old conversation reopened by an agent is joined, however many newer ones ended', async () => {
    const { desk, advance } = testDesk();
    const first = await desk.receive(sms('+14155550100', 'first'));
    await desk.conversations.update(first.conversation.id, { status: 'resolved' });
    for (let i = 0; i < 30; i++) {
      advance(8 * DAY);
      const r = await desk.receive(sms('+14155550100', `issue ${i}`));
      expect(r.conversation.id).not.toBe(first.conversation.id);
      await desk.conversations.update(r.conversation.id, { status: i % 2 ? 'resolved' : 'closed' });
    }
    advance(8 * DAY);
    await desk.conversations.update(first.conversation.id, { status: 'open' });
    const again = await desk.receive(whatsapp('+14155550100', 'about the first one'));
    expect(again.conversation.id).toBe(first.conversation.id);
  });

  it('multichannel: an open conversation on a channel is found behind many closed ones on another', async () => {
    const { desk } = testDesk({ continuity: { mode: 'multichannel' } });
    const first = await desk.receive(sms('+14155550100'));
    for (let i = 0; i < 26; i++) {
      const r = await desk.receive(whatsapp('+14155550100'));
      await desk.conversations.update(r.conversation.id, { status: 'closed' });
    }
    expect((await desk.receive(sms('+14155550100'))).conversation.id).toBe(first.conversation.id);
  });
});

describe('paging edge cases', () => {
  it('an unknown conversation is NotFoundError, as for timeline and context', async () => {
    const reads = { getConversation: 0 };
    const store = memoryStore();
    const counted: Store = {
      ...store,
      name: store.name,
      getConversation: (id) => {
        reads.getConversation++;
        return store.getConversation(id);
      },
    };
    const { desk } = testDesk({ store: counted });
    await expect(desk.conversations.messages('01UNKNOWN').page()).rejects.toBeInstanceOf(NotFoundError);
    await expect(desk.timeline('01UNKNOWN').page()).rejects.toBeInstanceOf(NotFoundError);
    await expect(desk.context({ conversationId: '01UNKNOWN' })).rejects.toBeInstanceOf(NotFoundError);
    const iterate = async () => {
      for await (const _ of desk.conversations.messages('01UNKNOWN')) return;
    };
    await expect(iterate()).rejects.toBeInstanceOf(NotFoundError);
    const { conversation } = await desk.receive(sms('+14155550100'));
    reads.getConversation = 0;
    const page = await desk.conversations.messages(conversation.id, { limit: 1 }).page();
    expect(page.items).toHaveLength(1);
    expect(await page.next()).toMatchObject({ items: [], hasNext: false });
    expect(reads.getConversation).toBe(0); // a page with messages proves the conversation exists
    const past = await desk.conversations.messages(conversation.id, { before: page.nextCursor! }).page();
    expect(past.items).toEqual([]);
  });

  it('cursors of messages with a fractional provider time page without repeats or gaps', async () => {
    const { desk } = testDesk();
    const a = await desk.receive(sms('+14155550100', 'a', { createdAt: T0 - 60_000.5 }));
    await desk.receive(sms('+14155550100', 'b', { createdAt: T0 - 60_000.25 }));
    await desk.receive(sms('+14155550100', 'c', { createdAt: T0 - 59_999.75 }));
    expect(a.message.at).toBe(T0 - 60_001);
    expect(await pageByCursor(desk, a.customer.id, 'after', 1)).toEqual(['a', 'b', 'c']);
    expect(await pageByCursor(desk, a.customer.id, 'before', 1)).toEqual(['c', 'b', 'a']);
  });

  it('a clock with fractions of a millisecond still gives cursors that page exactly', async () => {
    let now = T0 + 0.25;
    const { desk } = testDesk({ clock: () => now });
    let customerId = '';
    for (const text of ['a', 'b', 'c', 'd']) {
      customerId = (await desk.receive(sms('+14155550100', text))).customer.id;
      now += 0.5;
    }
    expect(await pageByCursor(desk, customerId, 'after', 1)).toEqual(['a', 'b', 'c', 'd']);
    expect(await pageByCursor(desk, customerId, 'before', 1)).toEqual(['d', 'c', 'b', 'a']);
  });

  it('messages at the same millisecond page by id in both directions and around', async () => {
    const { desk } = testDesk();
    const ids: string[] = [];
    let customerId = '';
    for (let i = 0; i < 7; i++) {
      const r = await desk.receive(sms('+14155550100', `m${i}`));
      ids.push(r.message.id);
      customerId = r.customer.id;
    }
    const all = ['m6', 'm5', 'm4', 'm3', 'm2', 'm1', 'm0'];
    expect(await pageByCursor(desk, customerId, 'before', 2)).toEqual(all);
    expect(await pageByCursor(desk, customerId, 'after', 2)).toEqual([...all].reverse());
    const around = await desk.timeline(customerId, { limit: 3, around: ids[3]! }).page();
    expect(texts(around.items)).toEqual(['m4', 'm3', 'm2']);
    expect(texts((await around.next()).items)).toEqual(['m1', 'm0']);
    const newer = await desk.timeline(customerId, { limit: 3, after: around.previousCursor! }).page();
    expect(texts(newer.items)).toEqual(['m5', 'm6']);
  });
});

describe('conversations.update edge cases', () => {
  it('closing a resolved conversation keeps when it was resolved, and reports only the status', async () => {
    const { desk, events, advance } = testDesk();
    const { conversation } = await desk.receive(sms('+14155550100'));
    const resolved = await desk.conversations.update(conversation.id, { status: 'resolved' });
    advance(HOUR);
    const closed = await desk.conversations.update(conversation.id, { status: 'closed' });
    expect(closed).toMatchObject({ resolvedAt: resolved.resolvedAt, resolvedAtMs: T0 });
    const last = events.at(-1);
    expect(last?.type === 'conversation.updated' ? last.changes : undefined).toEqual({
      status: { from: 'resolved', to: 'closed' },
    });
    const other = await desk.receive(email('bob@example.com'));
    const closedAtOnce = await desk.conversations.update(other.conversation.id, { status: 'closed' });
    expect(closedAtOnce).toMatchObject({
      resolvedAt: new Date(T0 + HOUR).toISOString(),
      resolvedAtMs: T0 + HOUR,
    });
  });

  it('reopening and clearing list the removed fields as changed', async () => {
    const { desk, events } = testDesk();
    const { conversation } = await desk.receive(sms('+14155550100'));
    await desk.conversations.update(conversation.id, { assigneeId: 'agent-1' });
    const resolved = await desk.conversations.update(conversation.id, { status: 'resolved' });
    await desk.conversations.update(conversation.id, { status: 'open', assigneeId: null });
    const last = events.at(-1);
    expect(last?.type === 'conversation.updated' ? last.changes : undefined).toEqual({
      status: { from: 'resolved', to: 'open' },
      assigneeId: { from: 'agent-1', to: undefined },
      resolvedAt: { from: resolved.resolvedAt, to: undefined },
      resolvedAtMs: { from: resolved.resolvedAtMs, to: undefined },
    });
  });

  it('a snooze time with a zone offset is taken, and kept in UTC', async () => {
    const { desk } = testDesk();
    const { conversation } = await desk.receive(sms('+14155550100'));
    const snoozed = await desk.conversations.update(conversation.id, {
      status: 'snoozed',
      snoozedUntil: '2026-12-01T09:00:00+01:00',
    });
    expect(snoozed.snoozedUntil).toBe('2026-12-01T08:00:00.000Z');
  });

  it.each([
    [{ tags: ['ok', ''] }, 'tags[1]'],
    [{ snoozedUntil: 'next tuesday' }, 'snoozedUntil'],
    [{ status: null }, 'status'],
    [{ priority: 'asap' }, 'priority'],
    [{ assigneeId: 7 }, 'assigneeId'],
  ])('refuses %j naming %s, changing nothing', async (patch, field) => {
    const { desk, events } = testDesk();
    const { conversation } = await desk.receive(sms('+14155550100'));
    const count = events.length;
    const error = await desk.conversations.update(conversation.id, patch as never).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.field).toBe(field);
    expect(await desk.conversations.get(conversation.id)).toEqual(conversation);
    expect(events).toHaveLength(count);
  });
});

describe('events', () => {
  it('the event log holds exactly what was emitted, in order', async () => {
    const { desk, events } = testDesk();
    const ann = await desk.receive(sms('+14155550100'));
    await desk.receive(sms('+14155550100', 'dup', { externalId: 'SMsame' }));
    await desk.receive(sms('+14155550100', 'dup', { externalId: 'SMsame' }));
    const other = await desk.receive(email('ann@example.com'));
    await desk.identify(ann.customer.id, { kind: 'email', value: 'ann@example.com' });
    const merge = await desk.merge(ann.customer.id, other.customer.id);
    await desk.unmerge(merge.id);
    await desk.conversations.update(ann.conversation.id, { status: 'resolved', tags: ['x'] });
    await desk.receive(whatsapp('+14155550100') as InboundMessage);
    await desk.customers.update(ann.customer.id, { traits: { plan: 'pro' } });
    const logged = (await desk.store.readEvents({ limit: 1000 })).map((entry) => entry.event);
    expect(logged).toEqual(events);
    expect(new Set(events.map((e: DeskEvent) => e.id)).size).toBe(events.length);
    expect(events.filter((e) => e.type === 'message.received')).toHaveLength(4);
  });
});
