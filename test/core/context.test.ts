import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../src/model/errors.js';
import type { Message } from '../../src/model/records.js';
import { email, HOUR, sms, testDesk, whatsapp } from './helpers.js';

async function seeded(count: number) {
  const t = testDesk();
  const makers = [sms, whatsapp, email];
  const ids: string[] = [];
  let customerId = '';
  for (let i = 0; i < count; i++) {
    const maker = makers[i % 3]!;
    const value = maker === email ? 'ann@example.com' : '+14155550100';
    if (i === 2)
      await t.desk.identify(customerId, { kind: 'email', value: 'ann@example.com', verified: true });
    const r = await t.desk.receive(maker(value, `m${i}`));
    customerId = r.customer.id;
    ids.push(r.message.id);
    t.advance(1000);
  }
  return { ...t, ids, customerId };
}

const texts = (messages: Message[]) =>
  messages.map((m) => (m.parts[0]?.type === 'text' ? m.parts[0].text : '?'));

describe('context', () => {
  it('gives the customer, conversations, newest messages across channels, channels used and counts', async () => {
    const { desk, customerId, advance } = await seeded(9);
    advance(HOUR);
    const context = await desk.context({ customerId }, { limit: 4 });
    expect(context.customer.identities.map((i) => i.kind).sort()).toEqual(['email', 'phone']);
    expect(texts(context.messages)).toEqual(['m8', 'm7', 'm6', 'm5']);
    expect(context.channels).toEqual(['email', 'whatsapp', 'sms']);
    expect(Object.keys(context.lastContact)).toEqual(['email', 'whatsapp', 'sms']);
    expect(context.counts).toEqual({ conversations: 1, open: 1, messages: 9 });
    const byConversation = await desk.context({ conversationId: context.conversations[0]!.id });
    expect(byConversation.conversation?.id).toBe(context.conversations[0]!.id);
    expect(byConversation.messages).toHaveLength(9);
  });

  it('rejects unknown ids and bad limits', async () => {
    const { desk } = testDesk();
    await expect(desk.context({ customerId: 'nobody' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(desk.context({ conversationId: 'nothing' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(desk.context({ customerId: 'x' }, { limit: -1 })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('timeline paging', () => {
  it('iterates the whole history newest first across channels', async () => {
    const { desk, customerId } = await seeded(23);
    const all: Message[] = [];
    for await (const message of desk.timeline(customerId, { limit: 5 })) all.push(message);
    expect(texts(all)).toEqual(Array.from({ length: 23 }, (_, i) => `m${22 - i}`));
  });

  it('pages with cursors: before, after and around', async () => {
    const { desk, customerId, ids } = await seeded(12);
    const first = await desk.timeline(customerId, { limit: 5 }).page();
    expect(texts(first.items)).toEqual(['m11', 'm10', 'm9', 'm8', 'm7']);
    expect(first.hasNext).toBe(true);
    const second = await desk.timeline(customerId, { limit: 5, before: first.nextCursor! }).page();
    expect(texts(second.items)).toEqual(['m6', 'm5', 'm4', 'm3', 'm2']);
    const third = await second.next();
    expect(texts(third.items)).toEqual(['m1', 'm0']);
    expect(third.hasNext).toBe(false);
    expect((await third.next()).items).toEqual([]);
    const forward = await desk.timeline(customerId, { limit: 4, after: second.nextCursor! }).page();
    expect(texts(forward.items)).toEqual(['m3', 'm4', 'm5', 'm6']);
    const around = await desk.timeline(customerId, { limit: 5, around: ids[6]! }).page();
    expect(texts(around.items)).toEqual(['m8', 'm7', 'm6', 'm5', 'm4']);
    expect(around.previousCursor).toBeDefined();
    const newer = await desk.timeline(customerId, { limit: 5, after: around.previousCursor! }).page();
    expect(texts(newer.items)).toEqual(['m9', 'm10', 'm11']);
  });

  it('rejects malformed cursors and conflicting options', async () => {
    const { desk, customerId } = await seeded(2);
    await expect(desk.timeline(customerId, { before: 'garbage' }).page()).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(() => desk.timeline(customerId, { before: 'a.b', after: 'c.d' })).toThrow(ValidationError);
    expect(() => desk.timeline(customerId, { limit: 0 })).toThrow(ValidationError);
    await expect(desk.timeline(customerId, { around: 'no-such-message' }).page()).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it("pages one conversation's messages", async () => {
    const { desk, customerId } = await seeded(6);
    const [conversation] = (await desk.conversations.list({ customerId })).items;
    const page = await desk.conversations.messages(conversation!.id, { limit: 4 }).page();
    expect(texts(page.items)).toEqual(['m5', 'm4', 'm3', 'm2']);
  });
});
