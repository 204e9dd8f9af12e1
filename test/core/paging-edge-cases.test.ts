import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Page, PageOptions, Paginator } from '../../src/core/types.js';
import { NotFoundError, ValidationError } from '../../src/model/errors.js';
import type { InboundMessage } from '../../src/model/inbound.js';
import type { Message } from '../../src/model/records.js';
import { testDesk } from './helpers.js';

type TestDesk = ReturnType<typeof testDesk>;

const PHONE = '+14155550100';
/** One customer's identities on four channels. */
const CHANNELS = [
  { channel: 'sms', from: { kind: 'phone', value: PHONE, verified: true } },
  { channel: 'whatsapp', from: { kind: 'whatsapp', value: PHONE, verified: true } },
  { channel: 'email', from: { kind: 'email', value: 'ann@example.com', verified: true } },
  { channel: 'telegram', from: { kind: 'telegram', value: '42', verified: true } },
] as const;

let serial = 0;
function inbound(channel: number, text: string, createdAt?: number): InboundMessage {
  const { channel: id, from } = CHANNELS[channel]!;
  const message: InboundMessage = { channel: id, from: { ...from }, text, externalId: `x${++serial}` };
  return createdAt === undefined ? message : { ...message, createdAt };
}

/** How one message arrives: on which channel, after how many ms, and how late (provider time, in s). */
interface Arrival {
  channel: number;
  step: number;
  lateBy: number | undefined;
}
const arrival: fc.Arbitrary<Arrival> = fc.record({
  channel: fc.integer({ min: 0, max: 3 }),
  step: fc.constantFrom(0, 0, 1, 1000, 5000), // 0: the same millisecond as the one before (a tie)
  lateBy: fc.option(fc.integer({ min: 6, max: 40 }), { nil: undefined, freq: 3 }),
});

/** A desk (each channel its own conversation) with one customer known on every channel. */
async function customerOnEveryChannel(t: TestDesk = testDesk({ continuity: { mode: 'multichannel' } })) {
  const first = await t.desk.receive(inbound(0, 'first'));
  for (const { from } of CHANNELS.slice(1)) await t.desk.identify(first.customer.id, from);
  return { ...t, customerId: first.customer.id, first: first.message };
}

async function deliver(t: TestDesk, { channel, step, lateBy }: Arrival): Promise<Message> {
  t.advance(step);
  const createdAt = lateBy === undefined ? undefined : t.now() - lateBy * 1000;
  return (await t.desk.receive(inbound(channel, `m${serial}`, createdAt))).message;
}

const byPosition = (a: Message, b: Message) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const ids = (messages: Message[]) => messages.map((message) => message.id);

async function collect(paginator: Paginator<Message>): Promise<Message[]> {
  const out: Message[] = [];
  for await (const message of paginator) out.push(message);
  return out;
}

/** Follows `next()` while `hasNext`; every page but the last must be full. */
async function byNext(paginator: Paginator<Message>, limit: number): Promise<Message[]> {
  let page = await paginator.page();
  const out = [...page.items];
  while (page.hasNext) {
    expect(page.items).toHaveLength(limit);
    page = await page.next();
    out.push(...page.items);
  }
  expect((await page.next()).items).toEqual([]);
  return out;
}

/** Passes each `nextCursor` back as a string, as an HTTP client does. */
async function byCursor(open: (cursor: string | undefined) => Paginator<Message>): Promise<Message[]> {
  const out: Message[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page: Page<Message> = await open(cursor).page();
    out.push(...page.items);
    if (!page.hasNext) return out;
    cursor = page.nextCursor;
  }
  throw new Error('paging did not end');
}

describe('paging a whole history', () => {
  it('every page size, newest first and oldest first, yields each message once in (time, id) order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arrival, { maxLength: 12 }), async (arrivals) => {
        const t = await customerOnEveryChannel();
        const all = [t.first];
        for (const a of arrivals) all.push(await deliver(t, a));
        const oldestFirst = ids(all.sort(byPosition));
        const newestFirst = [...oldestFirst].reverse();
        const timeline = (options: PageOptions) => t.desk.timeline(t.customerId, options);
        for (let limit = 1; limit <= all.length + 1; limit++) {
          expect(ids(await collect(timeline({ limit })))).toEqual(newestFirst);
          expect(ids(await byNext(timeline({ limit }), limit))).toEqual(newestFirst);
          expect(ids(await byCursor((before) => timeline(before ? { limit, before } : { limit })))).toEqual(
            newestFirst,
          );
          expect(ids(await collect(timeline({ limit, after: '' })))).toEqual(oldestFirst);
          expect(ids(await byNext(timeline({ limit, after: '' }), limit))).toEqual(oldestFirst);
          expect(ids(await byCursor((after) => timeline({ limit, after: after ?? '' })))).toEqual(
            oldestFirst,
          );
        }
        for (const conversationId of new Set(all.map((message) => message.conversationId))) {
          const mine = newestFirst.filter(
            (id) => all.find((m) => m.id === id)!.conversationId === conversationId,
          );
          const messages = (options: PageOptions) => t.desk.conversations.messages(conversationId, options);
          expect(ids(await collect(messages({ limit: 2 })))).toEqual(mine);
          expect(ids(await byCursor((after) => messages({ limit: 1, after: after ?? '' })))).toEqual(
            [...mine].reverse(),
          );
        }
      }),
      { numRuns: 30 },
    );
  });

  it('a thousand messages in one millisecond page by id, with no repeat at page edges', async () => {
    const t = await customerOnEveryChannel();
    const all = [t.first];
    for (let i = 0; i < 999; i++) all.push(await deliver(t, { channel: i % 4, step: 0, lateBy: undefined }));
    const newestFirst = ids(all).reverse();
    for (const limit of [1, 7, 500]) {
      expect(ids(await collect(t.desk.timeline(t.customerId, { limit })))).toEqual(newestFirst);
    }
  });
});

describe('messages that arrive while a history is paged', () => {
  /**
   * The guarantee (see `PageOptions`): every message stored when paging started comes exactly once;
   * one that arrives during paging comes (once, in order) exactly when it lands beyond the last
   * item read so far, in the direction of paging, and is never seen otherwise.
   */
  it('never repeat or skip a message, and appear exactly when they land beyond the last item read', async () => {
    const scheduled = fc.record({ afterPage: fc.nat(6), message: arrival });
    await fc.assert(
      fc.asyncProperty(
        fc.array(arrival, { maxLength: 10 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom('before' as const, 'after' as const),
        fc.boolean(),
        fc.array(scheduled, { maxLength: 8 }),
        async (initial, limit, direction, viaCursor, during) => {
          const t = await customerOnEveryChannel();
          const existing = [t.first];
          for (const a of initial) existing.push(await deliver(t, a));
          const open = (cursor?: string) =>
            t.desk.timeline(t.customerId, {
              limit,
              [direction]: cursor ?? (direction === 'after' ? '' : undefined),
            });
          const beyond = (m: Message, last: Message) =>
            direction === 'before' ? byPosition(m, last) < 0 : byPosition(m, last) > 0;
          const seen: Message[] = [];
          const arrived: { message: Message; shouldCome: boolean }[] = [];
          let page = await open().page();
          for (let index = 0; ; index++) {
            seen.push(...page.items);
            if (!page.hasNext) break;
            const last = seen[seen.length - 1]!;
            for (const { message } of during.filter((d) => d.afterPage === index)) {
              const stored = await deliver(t, message);
              arrived.push({ message: stored, shouldCome: beyond(stored, last) });
            }
            page = viaCursor ? await open(page.nextCursor).page() : await page.next();
          }
          for (let i = 1; i < seen.length; i++) expect(beyond(seen[i]!, seen[i - 1]!)).toBe(true);
          const seenIds = new Set(ids(seen));
          for (const message of existing) expect(seenIds.has(message.id)).toBe(true);
          for (const { message, shouldCome } of arrived) expect(seenIds.has(message.id)).toBe(shouldCome);
          expect(seen).toHaveLength(existing.length + arrived.filter((a) => a.shouldCome).length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a message whose stored time is corrected is paged once, at its new place, as its new record', async () => {
    const t = await customerOnEveryChannel();
    const all = [t.first];
    for (let i = 0; i < 5; i++) all.push(await deliver(t, { channel: 0, step: 1000, lateBy: undefined }));
    const moved = all[1]!;
    const at = all[4]!.at + 1;
    const record = { ...moved, at, createdAt: new Date(at).toISOString(), version: moved.version + 1 };
    await t.desk.store.commit({ messages: [{ record, expectedVersion: moved.version }] });
    const newestFirst = ids([...all.filter((m) => m !== moved), record].sort(byPosition)).reverse();
    for (let limit = 1; limit <= all.length; limit++) {
      const open = (scope: 'timeline' | 'conversation') => (before: string | undefined) =>
        scope === 'timeline'
          ? t.desk.timeline(t.customerId, before ? { limit, before } : { limit })
          : t.desk.conversations.messages(moved.conversationId, before ? { limit, before } : { limit });
      expect(ids(await byCursor(open('timeline')))).toEqual(newestFirst);
      expect(ids(await byCursor(open('conversation')))).toEqual(newestFirst);
    }
    const listed = (await t.desk.timeline(t.customerId).page()).items.find((m) => m.id === moved.id);
    expect(listed?.at).toBe(at);
  });

  it('next() on the last page reads again from its last item: empty, then what arrived beyond it', async () => {
    const t = await customerOnEveryChannel();
    for (let i = 0; i < 3; i++) await deliver(t, { channel: i, step: 1000, lateBy: undefined });
    const oldest = await t.desk.timeline(t.customerId, { limit: 3, before: undefined }).page();
    const last = await oldest.next();
    expect(last).toMatchObject({ hasNext: false });
    expect(last.items).toHaveLength(1);
    expect(last.nextCursor).toEqual(expect.any(String));
    expect(await last.next()).toMatchObject({ items: [], hasNext: false });
    const late = await deliver(t, { channel: 2, step: 0, lateBy: 3600 });
    expect(ids((await last.next()).items)).toEqual([late.id]);
    expect(ids((await t.desk.timeline(t.customerId, { before: last.nextCursor! }).page()).items)).toEqual([
      late.id,
    ]);

    // Oldest first, the last page's cursor follows what arrives later (a poll, or an HTTP client).
    const end = (await t.desk.timeline(t.customerId, { after: '' }).page()) as Page<Message>;
    expect(end).toMatchObject({ hasNext: false, nextCursor: expect.any(String) });
    expect((await end.next()).items).toEqual([]);
    const newer = await deliver(t, { channel: 3, step: 1, lateBy: undefined });
    expect(ids((await end.next()).items)).toEqual([newer.id]);
    const polled = await t.desk.timeline(t.customerId, { after: end.nextCursor! }).page();
    expect(ids(polled.items)).toEqual([newer.id]);
    expect((await polled.next()).items).toEqual([]);
  });
});

describe('around', () => {
  /** The documented window: up to ⌊limit/2⌋ newer, the message and older ones; a short side fills up. */
  function expectedWindow(length: number, center: number, limit: number) {
    const newerThere = center;
    const olderThere = length - center; // the message itself and older ones
    const older = Math.min(olderThere, limit - Math.min(newerThere, Math.floor(limit / 2)));
    const newer = Math.min(newerThere, limit - older);
    return {
      start: center - newer,
      end: center + older,
      hasNext: olderThere > older,
      more: newerThere > newer,
    };
  }

  it('opens at any message with any limit, and its two continuations cover the rest once', async () => {
    const t = await customerOnEveryChannel();
    const steps = [0, 0, 1, 0, 1000, 0, 0, 1, 1];
    const all = [t.first];
    for (const [i, step] of steps.entries())
      all.push(await deliver(t, { channel: i % 4, step, lateBy: undefined }));
    const newestFirst = ids(all.sort(byPosition)).reverse();
    for (let limit = 1; limit <= all.length + 1; limit++) {
      for (let center = 0; center < newestFirst.length; center++) {
        const want = expectedWindow(newestFirst.length, center, limit);
        const page = await t.desk.timeline(t.customerId, { limit, around: newestFirst[center]! }).page();
        expect(ids(page.items)).toEqual(newestFirst.slice(want.start, want.end));
        expect(page.items).toHaveLength(Math.min(limit, newestFirst.length));
        expect(page.hasNext).toBe(want.hasNext);
        expect(page.previousCursor !== undefined).toBe(want.more);
        const older = page.hasNext
          ? await byNext({ page: () => page.next() } as Paginator<Message>, limit)
          : [];
        const newer = page.previousCursor
          ? await collect(t.desk.timeline(t.customerId, { limit, after: page.previousCursor }))
          : [];
        expect([...ids(newer).reverse(), ...ids(page.items), ...ids(older)]).toEqual(newestFirst);
      }
    }
  });

  it('opens at a cursor as at the message it was read at', async () => {
    const t = await customerOnEveryChannel();
    for (let i = 0; i < 6; i++) await deliver(t, { channel: i % 4, step: i % 2, lateBy: undefined });
    const upToThird = await t.desk.timeline(t.customerId, { limit: 3 }).page();
    const third = upToThird.items[2]!;
    const byId = await t.desk.timeline(t.customerId, { limit: 4, around: third.id }).page();
    const byCursorPage = await t.desk
      .timeline(t.customerId, { limit: 4, around: upToThird.nextCursor! })
      .page();
    expect(ids(byCursorPage.items)).toEqual(ids(byId.items));
    expect(ids(byId.items)).toContain(third.id);
  });

  it('includes the message exactly once when one id is the start of another (custom ids)', async () => {
    // Ids that sort in creation order, each one the start of the next: 'id-a' < 'id-aa' < 'id-aaa'.
    let n = 0;
    const t = testDesk({ idGenerator: () => `id-${'a'.repeat(++n)}` });
    let customerId = '';
    const messages: Message[] = [];
    for (let i = 0; i < 5; i++) {
      const result = await t.desk.receive(inbound(0, `m${i}`));
      customerId = result.customer.id;
      messages.push(result.message);
    }
    const page = await t.desk.timeline(customerId, { limit: 3, around: messages[2]!.id }).page();
    expect(ids(page.items)).toEqual([messages[3]!.id, messages[2]!.id, messages[1]!.id]);
    expect(ids((await page.next()).items)).toEqual([messages[0]!.id]);
  });

  it('fills the page from the newer side around the oldest message', async () => {
    const t = await customerOnEveryChannel();
    for (let i = 0; i < 6; i++) await deliver(t, { channel: 0, step: 1, lateBy: undefined });
    const page = await t.desk.timeline(t.customerId, { limit: 4, around: t.first.id }).page();
    expect(page.items).toHaveLength(4);
    expect(page.items[3]!.id).toBe(t.first.id);
    expect(page.hasNext).toBe(false);
  });

  it('an id that is no message, or a message of another customer or conversation, is a NotFoundError', async () => {
    const t = await customerOnEveryChannel();
    const mine = await deliver(t, { channel: 2, step: 1, lateBy: undefined });
    const other = await t.desk.receive({
      channel: 'sms',
      from: { kind: 'phone', value: '+14155550199' },
      text: 'x',
    });
    const around = (id: string) => t.desk.timeline(t.customerId, { around: id }).page();
    await expect(around('01NOSUCHMESSAGE')).rejects.toBeInstanceOf(NotFoundError);
    await expect(around('a.b')).rejects.toBeInstanceOf(NotFoundError); // an id with a dot is no cursor
    await expect(around(other.message.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.desk.timeline(other.customer.id, { around: mine.id }).page()).rejects.toBeInstanceOf(
      NotFoundError,
    );
    // t.first is on sms, `mine` on email: separate conversations in multichannel mode.
    const sms = t.desk.conversations.messages(t.first.conversationId, { around: mine.id });
    await expect(sms.page()).rejects.toBeInstanceOf(NotFoundError);
    await expect(around('')).rejects.toMatchObject({ name: 'ValidationError', field: 'around' });
  });
});

describe('limits', () => {
  const bad = [0, -1, Number.NaN, 1.5, 501, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '10', 1e21];

  it('a limit that is not an integer from 1 to 500 is a ValidationError naming limit, everywhere', async () => {
    const t = await customerOnEveryChannel();
    for (const limit of bad) {
      const options = { limit } as unknown as PageOptions;
      const thrown = [
        () => t.desk.timeline(t.customerId, options),
        () => t.desk.conversations.messages(t.first.conversationId, options),
      ];
      for (const open of thrown) expect(open).toThrow(expect.objectContaining({ field: 'limit' }));
      await expect(t.desk.conversations.list(options as never)).rejects.toMatchObject({ field: 'limit' });
    }
    for (const limit of [-1, Number.NaN, 0.5, 501, '10']) {
      const context = t.desk.context({ customerId: t.customerId }, { limit } as never);
      await expect(context).rejects.toBeInstanceOf(ValidationError);
    }
    expect((await t.desk.timeline(t.customerId, { limit: 500 }).page()).items).toHaveLength(1);
    expect((await t.desk.context({ customerId: t.customerId }, { limit: 0 })).messages).toEqual([]);
  });

  it('options that are not an object, or more than one starting point, are a ValidationError', async () => {
    const t = await customerOnEveryChannel();
    expect(() => t.desk.timeline(t.customerId, 'limit=5' as never)).toThrow(ValidationError);
    expect(() => t.desk.timeline(t.customerId, { before: 'x', around: 'y' })).toThrow(
      expect.objectContaining({ field: 'around' }),
    );
    expect((await t.desk.timeline(t.customerId, null as never).page()).items).toHaveLength(1);
  });
});
