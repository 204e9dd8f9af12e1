import { describe, expect, it } from 'vitest';
import { DAY, email, HOUR, sms, testDesk, whatsapp } from './helpers.js';

describe('continuity', () => {
  it('omnichannel: a message on any channel joins the active conversation and reports the switch', async () => {
    const { desk, events } = testDesk();
    const a = await desk.receive(sms('+14155550100'));
    const b = await desk.receive(whatsapp('+14155550100'));
    expect(b.conversation.id).toBe(a.conversation.id);
    expect(b.conversation.channels).toEqual(['sms', 'whatsapp']);
    expect(b.conversation.lastChannel).toBe('whatsapp');
    expect(events.filter((e) => e.type === 'conversation.channel_switched')).toMatchObject([
      { from: 'sms', to: 'whatsapp', conversationId: a.conversation.id, messageId: b.message.id },
    ]);
  });

  it('multichannel: each channel keeps its own conversation (silos)', async () => {
    const { desk, types } = testDesk({ continuity: { mode: 'multichannel' } });
    const a = await desk.receive(sms('+14155550100'));
    const b = await desk.receive(whatsapp('+14155550100'));
    const c = await desk.receive(sms('+14155550100'));
    expect(b.customer.id).toBe(a.customer.id);
    expect(b.conversation.id).not.toBe(a.conversation.id);
    expect(c.conversation.id).toBe(a.conversation.id);
    expect(types()).not.toContain('conversation.channel_switched');
  });

  it('reopens a resolved conversation within reopenWithinMs, and starts a new one after', async () => {
    const { desk, advance, events } = testDesk({ continuity: { reopenWithinMs: 2 * DAY } });
    const a = await desk.receive(sms('+14155550100'));
    await desk.conversations.update(a.conversation.id, { status: 'resolved' });
    advance(DAY);
    const b = await desk.receive(sms('+14155550100'));
    expect(b.conversation.id).toBe(a.conversation.id);
    expect(b.conversation.status).toBe('open');
    expect(b.conversation.resolvedAt).toBeUndefined();
    expect(events.filter((e) => e.type === 'conversation.updated').at(-1)).toMatchObject({
      changes: { status: { from: 'resolved', to: 'open' } },
    });
    await desk.conversations.update(a.conversation.id, { status: 'resolved' });
    advance(3 * DAY);
    const c = await desk.receive(sms('+14155550100'));
    expect(c.conversation.id).not.toBe(a.conversation.id);
    const closedAgain = await desk.conversations.update(c.conversation.id, { status: 'closed' });
    expect(closedAgain.status).toBe('closed');
    const d = await desk.receive(sms('+14155550100'));
    expect(d.conversation.id).not.toBe(c.conversation.id);
  });

  it('wakes a snoozed conversation', async () => {
    const { desk } = testDesk();
    const a = await desk.receive(sms('+14155550100'));
    await desk.conversations.update(a.conversation.id, {
      status: 'snoozed',
      snoozedUntil: '2026-12-01T00:00:00.000Z',
    });
    const b = await desk.receive(sms('+14155550100'));
    expect(b.conversation).toMatchObject({ id: a.conversation.id, status: 'open' });
    expect(b.conversation.snoozedUntil).toBeUndefined();
  });

  it('email replies thread by In-Reply-To, then References, before recency', async () => {
    const { desk, advance } = testDesk();
    const first = await desk.receive(
      email('ann@example.com', 'about order 1', { subject: 'Order 1', externalId: 'order1@mail' }),
    );
    await desk.conversations.update(first.conversation.id, { status: 'resolved' });
    advance(30 * DAY);
    const second = await desk.receive(
      email('ann@example.com', 'about order 2', { subject: 'Order 2', externalId: 'order2@mail' }),
    );
    expect(second.conversation.id).not.toBe(first.conversation.id);
    const reply = await desk.receive(email('ann@example.com', 'more on order 1', { replyTo: 'order1@mail' }));
    expect(reply.conversation.id).toBe(first.conversation.id);
    expect(reply.conversation.status).toBe('open');
    const viaRefs = await desk.receive(
      email('ann@example.com', 'still order 1', {
        replyTo: 'unknown@mail',
        references: ['order1@mail', 'unknown@mail'],
      }),
    );
    expect(viaRefs.conversation.id).toBe(first.conversation.id);
  });

  it("a Message-ID of someone else's thread does not let a sender in", async () => {
    const { desk } = testDesk();
    const ann = await desk.receive(email('ann@example.com', 'private', { externalId: 'secret@mail' }));
    const eve = await desk.receive(email('eve@example.com', 'let me in', { replyTo: 'secret@mail' }));
    expect(eve.conversation.id).not.toBe(ann.conversation.id);
    expect(eve.conversation.customerId).toBe(eve.customer.id);
  });

  it('keeps the conversation timestamps and counts', async () => {
    const { desk, advance } = testDesk();
    const a = await desk.receive(sms('+14155550100'));
    advance(HOUR);
    const b = await desk.receive(whatsapp('+14155550100'));
    expect(b.conversation.messageCount).toBe(2);
    expect(b.conversation.lastMessageAtMs).toBe(a.message.at + HOUR);
    expect(b.conversation.lastInboundAtMs).toEqual({ sms: a.message.at, whatsapp: a.message.at + HOUR });
    expect(b.conversation.version).toBe(a.conversation.version + 1);
  });

  it('joins a conversation the message names (reply+<id>@ addresses), only for its own customer', async () => {
    const { desk } = testDesk({ continuity: { mode: 'multichannel' } });
    const chat = await desk.receive(sms('+14155550100'));
    await desk.identify(chat.customer.id, { kind: 'email', value: 'ann@example.com', verified: true });
    const mail = await desk.receive(
      email('ann@example.com', 'answer by mail', { conversationId: chat.conversation.id }),
    );
    expect(mail.conversation.id).toBe(chat.conversation.id);
    const stranger = await desk.receive(
      email('eve@example.com', 'sneaky', { conversationId: chat.conversation.id }),
    );
    expect(stranger.conversation.id).not.toBe(chat.conversation.id);
  });
});
