import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Page, PageOptions, Paginator } from '../../src/core/types.js';
import { NotFoundError, ValidationError } from '../../src/model/errors.js';
import type { Conversation, Message } from '../../src/model/records.js';
import { memoryStore } from '../../src/stores/memory/index.js';
import { makeConversation } from '../../src/testing/records.js';
import { email, HOUR, sms, testDesk, webchat } from './helpers.js';

const ids = (items: { id: string }[]) => items.map((item) => item.id);

/** The error a promise rejects with (a resolved promise fails the test). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value).slice(0, 200)}`);
    },
    (error: unknown) => error,
  );
}

async function expectInvalid(promise: Promise<unknown>, field: string): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).field).toBe(field);
}

async function collect<T>(paginator: Paginator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of paginator) out.push(item);
  return out;
}

/** Ann (sms then email, one customer) and Bob (web chat), each with a few messages an hour apart. */
async function twoCustomers() {
  const t = testDesk({ continuity: { mode: 'multichannel' } });
  const ann: Message[] = [];
  const bob: Message[] = [];
  for (let i = 0; i < 4; i++) {
    ann.push((await t.desk.receive(sms('+14155550100', `ann ${i}`))).message);
    t.advance(HOUR);
    bob.push((await t.desk.receive(webchat('bob-visitor', `bob ${i}`))).message);
    t.advance(HOUR);
  }
  await t.desk.identify(ann[0]!.customerId, { kind: 'email', value: 'ann@example.com', verified: true });
  ann.push((await t.desk.receive(email('ann@example.com', 'ann by mail'))).message);
  return { ...t, ann, bob, annId: ann[0]!.customerId, bobId: bob[0]!.customerId };
}

/** A real cursor of a listing: the `nextCursor` of its first page of one item. */
async function cursorOf(paginator: Paginator<Message>): Promise<string> {
  return (await paginator.page()).nextCursor!;
}

/** base64url of a string's UTF-8 bytes (how a client that decodes our cursors would write one). */
const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('cursors that come back from outside', () => {
  it('a truncated, edited or extended cursor is a ValidationError naming the option', async () => {
    const { desk, annId } = await twoCustomers();
    const real = await cursorOf(desk.timeline(annId, { limit: 1 }));
    const mutated = fc.oneof(
      fc.integer({ min: 1, max: real.length - 1 }).map((n) => real.slice(0, n)),
      fc
        .record({ at: fc.nat(real.length - 1), char: fc.string({ minLength: 1, maxLength: 1 }) })
        .map(({ at, char }) => real.slice(0, at) + char + real.slice(at + 1)),
      fc.string({ minLength: 1, maxLength: 8 }).map((tail) => real + tail),
      fc.nat(real.length).map((at) => real.slice(0, at) + real.slice(at).toUpperCase()),
    );
    await fc.assert(
      fc.asyncProperty(
        mutated.filter((cursor) => cursor !== real),
        async (cursor) => {
          await expectInvalid(desk.timeline(annId, { before: cursor }).page(), 'before');
          await expectInvalid(desk.timeline(annId, { after: cursor }).page(), 'after');
          const around = await rejection(desk.timeline(annId, { around: cursor }).page());
          // A cursor whose head is gone is taken for a message id: not found, never a page.
          expect(around instanceof ValidationError || around instanceof NotFoundError).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('garbage of any kind is a ValidationError naming the option, never a page or a crash', async () => {
    const { desk, annId } = await twoCustomers();
    const garbage = fc.oneof(
      fc.string({ minLength: 1 }),
      fc.base64String({ minLength: 1 }),
      fc.string({ unit: 'binary', minLength: 1 }),
      fc.tuple(fc.nat(), fc.string()).map(([at, id]) => `${at.toString(36)}.${id}`), // the old shape
      fc.jsonValue().map((value) => `tc1.${base64url(JSON.stringify(value))}`),
    );
    await fc.assert(
      fc.asyncProperty(garbage, async (cursor) => {
        await expectInvalid(desk.timeline(annId, { before: cursor }).page(), 'before');
        await expectInvalid(desk.conversations.list({ before: cursor }), 'before');
      }),
      { numRuns: 300 },
    );
  });

  it('a cursor decoded, edited (its time, its customer) and encoded again is refused', async () => {
    const { desk, annId, bobId } = await twoCustomers();
    const real = await cursorOf(desk.timeline(annId, { limit: 1 }));
    const head = real.slice(0, real.indexOf('.') + 1);
    const fields = JSON.parse(
      Buffer.from(real.slice(head.length), 'base64url').toString('utf8'),
    ) as unknown[];
    const edits = [
      fields.map((field) => (typeof field === 'number' ? field - 1 : field)),
      fields.map((field) => (field === annId ? bobId : field)),
      fields.slice(0, -1),
      [...fields, 'x'],
      { __proto__: { polluted: true }, 0: 't', length: 5 },
      JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
    ];
    for (const edit of edits) {
      const forged = head + base64url(JSON.stringify(edit));
      await expectInvalid(desk.timeline(annId, { before: forged }).page(), 'before');
      await expectInvalid(desk.timeline(bobId, { before: forged }).page(), 'before');
    }
    const raw = head + base64url('{"__proto__":{"polluted":true}}');
    await expectInvalid(desk.timeline(annId, { after: raw }).page(), 'after');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('values that are not strings, and very long strings, are a ValidationError, not a TypeError', async () => {
    const { desk, annId } = await twoCustomers();
    for (const value of [42, null, {}, ['x'], true, 'x'.repeat(1_000_000)]) {
      const options = { before: value } as unknown as PageOptions;
      await expectInvalid(desk.timeline(annId, options).page(), 'before');
      await expectInvalid(desk.timeline(annId, { around: value } as never).page(), 'around');
    }
    await expectInvalid(desk.conversations.list({ before: 'x'.repeat(100_000) }), 'before');
  });
});

describe('a cursor of another listing', () => {
  it("another customer's, another conversation's or another kind's cursor is refused, never paged", async () => {
    const { desk, annId, bobId, ann, bob } = await twoCustomers();
    const annTimeline = await cursorOf(desk.timeline(annId, { limit: 1 }));
    const bobTimeline = await cursorOf(desk.timeline(bobId, { limit: 1 }));
    const annSms = await cursorOf(desk.conversations.messages(ann[0]!.conversationId, { limit: 1 }));
    const annMail = await cursorOf(desk.conversations.messages(ann[4]!.conversationId, { limit: 1 }));
    const allConversations = (await desk.conversations.list({ limit: 1 })).nextCursor!;
    const annConversations = (await desk.conversations.list({ customerId: annId, limit: 1 })).nextCursor!;
    await expectInvalid(desk.timeline(bobId, { before: annTimeline }).page(), 'before');
    await expectInvalid(desk.timeline(annId, { after: bobTimeline }).page(), 'after');
    await expectInvalid(desk.timeline(annId, { around: bobTimeline }).page(), 'around');
    await expectInvalid(desk.timeline(annId, { before: annSms }).page(), 'before');
    await expectInvalid(
      desk.conversations.messages(ann[0]!.conversationId, { before: annMail }).page(),
      'before',
    );
    await expectInvalid(
      desk.conversations.messages(ann[0]!.conversationId, { before: annTimeline }).page(),
      'before',
    );
    await expectInvalid(
      desk.conversations.messages(bob[0]!.conversationId, { after: annSms }).page(),
      'after',
    );
    await expectInvalid(desk.timeline(annId, { before: allConversations }).page(), 'before');
    await expectInvalid(desk.conversations.list({ before: annTimeline }), 'before');
    await expectInvalid(desk.conversations.list({ before: annConversations }), 'before');
    await expectInvalid(desk.conversations.list({ customerId: bobId, before: annConversations }), 'before');
    await expectInvalid(desk.conversations.list({ customerId: annId, before: allConversations }), 'before');
    await expectInvalid(desk.conversations.list({ before: ann[0]!.conversationId }), 'before'); // a bare id
  });

  it("a cursor from another desk's store is refused", async () => {
    const here = await twoCustomers();
    const there = await twoCustomers();
    const foreign = await cursorOf(there.desk.timeline(there.annId, { limit: 1 }));
    await expectInvalid(here.desk.timeline(here.annId, { before: foreign }).page(), 'before');
  });

  it("whatever is passed as before, after or around, a page holds only the asked customer's messages", async () => {
    const { desk, annId, bobId, ann, bob } = await twoCustomers();
    const pool = [
      ...ids(ann),
      ...ids(bob),
      await cursorOf(desk.timeline(annId, { limit: 1 })),
      await cursorOf(desk.timeline(bobId, { limit: 2 })),
      await cursorOf(desk.conversations.messages(bob[0]!.conversationId, { limit: 1 })),
      ann[0]!.conversationId,
      '',
    ];
    const someValue = fc.oneof(fc.constantFrom(...pool), fc.string());
    const option = fc.constantFrom('before' as const, 'after' as const, 'around' as const);
    await fc.assert(
      fc.asyncProperty(someValue, option, fc.integer({ min: 1, max: 6 }), async (value, key, limit) => {
        const page = await desk
          .timeline(bobId, { limit, [key]: value })
          .page()
          .catch((error: unknown) => {
            expect(error instanceof ValidationError || error instanceof NotFoundError).toBe(true);
            return undefined;
          });
        for (const message of page?.items ?? []) expect(message.customerId).toBe(bobId);
      }),
      { numRuns: 200 },
    );
  });
});

describe('paging across a merge or an unmerge', () => {
  it("a merged-away customer's timeline continues with the survivor's older messages", async () => {
    const { desk, annId, bobId, ann, bob } = await twoCustomers();
    const first = await desk.timeline(bobId, { limit: 2 }).page();
    expect(ids(first.items)).toEqual([bob[3]!.id, bob[2]!.id]);
    await desk.merge(annId, bobId);
    const rest = [ann[2]!, bob[1]!, ann[1]!, bob[0]!, ann[0]!].map((m) => m.id);
    const viaNext: Message[] = [];
    for (let page = await first.next(); ; page = await page.next()) {
      viaNext.push(...page.items);
      if (!page.hasNext) break;
    }
    expect(ids(viaNext)).toEqual(rest);
    // The cursor works for the merged-away id and for the survivor's (a web chat that now sees Ann).
    for (const customerId of [bobId, annId]) {
      expect(ids(await collect(desk.timeline(customerId, { limit: 2, before: first.nextCursor! })))).toEqual(
        rest,
      );
    }
  });

  it("the survivor's timeline picks up the merged customer's older messages on later pages", async () => {
    const { desk, annId, bobId, ann, bob } = await twoCustomers();
    const first = await desk.timeline(annId, { limit: 2 }).page(); // ann by mail, ann 3
    await desk.merge(annId, bobId);
    const rest: Message[] = [];
    for await (const message of iterate(first)) rest.push(message);
    expect(ids(rest)).toEqual([bob[2]!, ann[2]!, bob[1]!, ann[1]!, bob[0]!, ann[0]!].map((m) => m.id));
    expect(ids(rest)).not.toContain(bob[3]!.id); // newer than the cursor: behind the reader already
  });

  it("after an unmerge, a pager of the restored customer sees only that customer's messages", async () => {
    const { desk, annId, bobId, bob } = await twoCustomers();
    const merge = await desk.merge(annId, bobId);
    const first = await desk.timeline(bobId, { limit: 2 }).page();
    expect(first.items.every((message) => message.customerId === annId)).toBe(true);
    await desk.unmerge(merge.id);
    const rest: Message[] = [];
    for await (const message of iterate(first)) rest.push(message);
    expect(rest.every((message) => message.customerId === bobId)).toBe(true);
    expect(ids(rest)).toEqual(ids(bob.filter((m) => m.at < first.items[1]!.at)).reverse());
    // Its cursor, issued for Bob, still pages Bob; Ann's timeline refuses it now.
    expect((await desk.timeline(bobId, { before: first.nextCursor! }).page()).items.length).toBeGreaterThan(
      0,
    );
    await expectInvalid(desk.timeline(annId, { before: first.nextCursor! }).page(), 'before');
  });

  it('merges and unmerges between any pages never throw, repeat or reorder', async () => {
    const step = fc.constantFrom('merge bob into ann', 'merge ann into bob', 'unmerge', 'nothing');
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 8 }),
        fc.integer({ min: 1, max: 3 }),
        async (steps, limit) => {
          const { desk, annId, bobId } = await twoCustomers();
          const merges: string[] = [];
          const seen: Message[] = [];
          let page = await desk.timeline(bobId, { limit }).page();
          for (const action of steps) {
            seen.push(...page.items);
            if (action === 'unmerge' && merges.length > 0) await desk.unmerge(merges.pop()!);
            else if (action.startsWith('merge') && merges.length === 0) {
              const [keep, away] = action === 'merge bob into ann' ? [annId, bobId] : [bobId, annId];
              merges.push((await desk.merge(keep, away)).id);
            }
            page = await page.next();
          }
          seen.push(...page.items);
          for (let i = 1; i < seen.length; i++) {
            const [a, b] = [seen[i - 1]!, seen[i]!];
            expect(a.at > b.at || (a.at === b.at && a.id > b.id)).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a customer conversation list continues across a merge with the survivor', async () => {
    const { desk, annId, bobId } = await twoCustomers();
    const first = await desk.conversations.list({ customerId: bobId, limit: 1 });
    await desk.merge(annId, bobId);
    const second = await first.next();
    expect(second.items.every((conversation) => conversation.customerId === annId)).toBe(true);
    const listed = await desk.conversations.list({ customerId: annId, before: first.nextCursor! });
    expect(ids(listed.items)).toEqual(ids(second.items));
  });
});

/** Iterates on from a page, as the paginator's own iterator would. */
async function* iterate(first: Page<Message>): AsyncGenerator<Message> {
  let page = first;
  for (;;) {
    page = await page.next();
    yield* page.items;
    if (!page.hasNext) return;
  }
}

describe('conversations.list', () => {
  it('pages every conversation with every limit, newest first, each once', async () => {
    const { desk } = await twoCustomers();
    const all = ids((await desk.conversations.list({ limit: 500 })).items);
    expect(all).toHaveLength(3);
    for (let limit = 1; limit <= 4; limit++) {
      const seen: Conversation[] = [];
      let page = await desk.conversations.list({ limit });
      for (;;) {
        seen.push(...page.items);
        if (!page.hasNext) break;
        page = await desk.conversations.list({ limit, before: page.nextCursor! });
      }
      expect(ids(seen)).toEqual(all);
      expect((await page.next()).items).toEqual([]);
    }
  });

  it('reads only as far back as a page needs: paging many conversations is linear', async () => {
    const store = memoryStore();
    let reads = 0;
    const counted = (conversation: Conversation) =>
      new Proxy(conversation, {
        get: (target, key) => {
          if (key === 'id') reads++;
          return target[key as keyof Conversation];
        },
      });
    const records = Array.from({ length: 400 }, (_, i) =>
      makeConversation('cus', { id: `con${String(i).padStart(4, '0')}` }),
    );
    await store.commit({
      conversations: records.map((record) => ({ record: counted(record), expectedVersion: null })),
    });
    const { desk } = testDesk({ store });
    reads = 0;
    let page = await desk.conversations.list({ limit: 2 });
    let count = page.items.length;
    while (page.hasNext) {
      page = await page.next();
      count += page.items.length;
    }
    expect(count).toBe(400);
    expect(reads).toBeLessThan(400 * 20); // the old scan read ~400 * 400 / 2 ids
  });
});

describe('context', () => {
  it('counts every conversation, over a thousand too', async () => {
    const inner = memoryStore();
    const records = Array.from({ length: 1003 }, () => makeConversation('placeholder'));
    const { desk } = testDesk({ store: inner });
    const { customer } = await desk.receive(sms('+14155550100'));
    const closed = records.map((record) => ({
      ...record,
      customerId: customer.id,
      status: 'closed' as const,
    }));
    await inner.commit({ conversations: closed.map((record) => ({ record, expectedVersion: null })) });
    const context = await desk.context({ customerId: customer.id });
    expect(context.counts).toMatchObject({ conversations: 1004, open: 1 });
    expect(context.conversations).toHaveLength(1004);
  });
});
