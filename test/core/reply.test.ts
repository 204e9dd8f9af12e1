import { describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/core/channel.js';
import { DeliveryError, PolicyError, ValidationError } from '../../src/model/errors.js';
import { memoryStore } from '../../src/stores/memory/index.js';
import { scriptedAdapter } from './delivery-helpers.js';
import { DAY, email, HOUR, sms, testDesk, whatsapp } from './helpers.js';

/** A scripted adapter that also sends templates, with an optional reply window and text limit. */
function recordingAdapter(
  id: string,
  kind: ChannelAdapter['kind'],
  options: { windowMs?: number; maxTextLength?: number; outcomes?: (Error | 'ok')[] } = {},
) {
  return scriptedAdapter(id, kind, [...(options.outcomes ?? [])], {
    parts: ['text', 'template'],
    ...(options.windowMs ? { replyWindowMs: options.windowMs, templates: true } : {}),
    ...(options.maxTextLength ? { maxTextLength: options.maxTextLength } : {}),
  });
}

function deskWith(adapters: ChannelAdapter[], extra = {}) {
  return testDesk({ channels: adapters, outbox: { autoStart: false, retryBaseMs: 1 }, ...extra });
}

describe('reply and the outbox', () => {
  it('queues on the latest inbound channel, then delivers and records the provider id', async () => {
    const smsA = recordingAdapter('sms', 'sms');
    const waA = recordingAdapter('whatsapp', 'whatsapp', { windowMs: DAY });
    const { desk, types } = deskWith([smsA.adapter, waA.adapter]);
    await desk.receive(sms('+14155550100'));
    const { conversation } = await desk.receive(whatsapp('+14155550100'));
    const queued = await desk.reply(conversation.id, { text: 'On its way!' });
    expect(queued).toMatchObject({
      status: 'queued',
      channel: 'whatsapp',
      direction: 'outbound',
      to: 'phone:+14155550100',
      author: { type: 'agent' },
    });
    expect((await desk.store.listOutbox()).map((e) => e.messageId)).toEqual([queued.id]);
    await desk.outbox.flush();
    expect(waA.sent).toHaveLength(1);
    expect(waA.sent[0]).toMatchObject({
      idempotencyKey: queued.id,
      attempt: 1,
      to: { value: '+14155550100' },
    });
    const stored = await desk.store.getMessage(queued.id);
    expect(stored).toMatchObject({ status: 'sent', externalId: 'whatsapp-1' });
    expect(await desk.store.listOutbox()).toEqual([]);
    expect(types()).toContain('message.sent');
    expect((await desk.conversations.get(conversation.id)).firstResponseAt).toBeDefined();
  });

  it('enforces the reply window with a PolicyError that asks for a template; templates pass', async () => {
    const waA = recordingAdapter('whatsapp', 'whatsapp', { windowMs: DAY });
    const { desk, advance } = deskWith([waA.adapter]);
    const { conversation } = await desk.receive(whatsapp('+14155550100'));
    advance(DAY + HOUR);
    const error = await desk.reply(conversation.id, { text: 'late' }).catch((e) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect(error.message).toMatch(/24 h.*template/);
    expect(await desk.store.listOutbox()).toEqual([]);
    const template = await desk.reply(conversation.id, {
      parts: [{ type: 'template', name: 'order_update', language: 'en' }],
    });
    expect(template.status).toBe('queued');
  });

  it('follows the fallback chain when a channel refuses by policy', async () => {
    const waA = recordingAdapter('whatsapp', 'whatsapp', { windowMs: DAY });
    const smsA = recordingAdapter('sms', 'sms');
    const { desk, advance } = deskWith([waA.adapter, smsA.adapter], { fallback: { whatsapp: ['sms'] } });
    const { conversation } = await desk.receive(whatsapp('+14155550100'));
    advance(2 * DAY);
    const message = await desk.reply(conversation.id, { text: 'we shipped it' });
    expect(message.channel).toBe('sms');
  });

  it("refuses a text past the channel's maxTextLength before queueing, and falls back on it", async () => {
    const smsA = recordingAdapter('sms', 'sms', { maxTextLength: 1600 });
    const mailA = recordingAdapter('email', 'email');
    const { desk } = deskWith([smsA.adapter, mailA.adapter]);
    const { conversation, customer } = await desk.receive(sms('+14155550100'));
    const atLimit = await desk.reply(conversation.id, { text: 'x'.repeat(1600) });
    expect(atLimit.channel).toBe('sms');
    const error = await desk.reply(conversation.id, { text: 'y'.repeat(1601) }).catch((e) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect(error.message).toBe('channel "sms" accepts at most 1600 characters of text; this reply has 1601');
    expect((await desk.store.listOutbox()).map((e) => e.messageId)).toEqual([atLimit.id]);
    await desk.identify(customer.id, { kind: 'email', value: 'ann@example.com', verified: true });
    const long = await desk.reply(conversation.id, { text: 'z'.repeat(5000), fallback: ['email'] });
    expect(long.channel).toBe('email');
  });

  it('retries retryable failures with backoff, and fails for good on a final one, then falls back', async () => {
    const mailA = recordingAdapter('email', 'email');
    const smsA = recordingAdapter('sms', 'sms', {
      outcomes: [
        new DeliveryError('503', { retryable: true }),
        new DeliveryError('bad number', { retryable: false, status: 400, providerCode: '21211' }),
      ],
    });
    const { desk, advance, events } = deskWith([smsA.adapter, mailA.adapter]);
    const { conversation, customer } = await desk.receive(sms('+14155550100'));
    await desk.identify(customer.id, { kind: 'email', value: 'ann@example.com', verified: true });
    const message = await desk.reply(conversation.id, { text: 'hello', fallback: ['email'] });
    await desk.outbox.flush();
    expect((await desk.store.getMessage(message.id))?.status).toBe('queued');
    const [entry] = await desk.store.listOutbox();
    expect(entry).toMatchObject({ attempts: 1 });
    advance(1000);
    await desk.outbox.flush();
    expect(await desk.store.getMessage(message.id)).toMatchObject({
      status: 'failed',
      error: { code: '21211', message: 'bad number' },
    });
    const fallback = events.find((e) => e.type === 'message.queued' && e.message.channel === 'email');
    expect(fallback).toBeDefined();
    await desk.outbox.flush();
    expect(mailA.sent).toHaveLength(1);
    expect(mailA.sent[0]!.to.value).toBe('ann@example.com');
  });

  it("a crashed sender's claim expires and another desk resumes the delivery", async () => {
    const store = memoryStore();
    const first = deskWith([recordingAdapter('sms', 'sms').adapter], { store });
    const { conversation } = await first.desk.receive(sms('+14155550100'));
    const message = await first.desk.reply(conversation.id, { text: 'hi' });
    // The first process claims the entry, then dies before sending.
    await store.claimOutbox({ now: first.now(), leaseMs: 60_000, owner: 'dead-process', limit: 10 });
    const smsB = recordingAdapter('sms', 'sms');
    const second = deskWith([smsB.adapter], { store });
    await second.desk.outbox.flush();
    expect(smsB.sent).toHaveLength(0);
    second.advance(61_000);
    await second.desk.outbox.flush();
    expect(smsB.sent.map((d) => d.idempotencyKey)).toEqual([message.id]);
    expect((await store.getMessage(message.id))?.status).toBe('sent');
  });

  it('status callbacks only move forward; echoes are matched, never stored', async () => {
    const smsA = recordingAdapter('sms', 'sms');
    const { desk, events } = deskWith([smsA.adapter]);
    const { conversation, customer } = await desk.receive(sms('+14155550100'));
    const message = await desk.reply(conversation.id, { text: 'hi' });
    await desk.outbox.flush();
    const read = await desk.updateStatus({ channel: 'sms', externalId: 'sms-1', status: 'read' });
    expect(read?.status).toBe('read');
    const late = await desk.updateStatus({ channel: 'sms', externalId: 'sms-1', status: 'delivered' });
    expect(late?.status).toBe('read');
    expect(
      events
        .filter((e) => e.type === 'message.status')
        .map((e) => (e.type === 'message.status' ? [e.previous, e.message.status] : [])),
    ).toEqual([['sent', 'read']]);
    expect(
      await desk.updateStatus({ channel: 'sms', externalId: 'unknown', status: 'delivered' }),
    ).toBeUndefined();
    const before = await desk.store.countMessages({ customerId: customer.id });
    const [echo] = await desk.ingest('sms', [
      { type: 'echo', channel: 'sms', externalId: 'not-yet-known', idempotencyKey: message.id },
    ]);
    expect(echo).toMatchObject({ type: 'echo', message: { id: message.id } });
    expect(await desk.store.countMessages({ customerId: customer.id })).toBe(before);
  });

  it('internal notes are stored and never sent', async () => {
    const smsA = recordingAdapter('sms', 'sms');
    const { desk } = deskWith([smsA.adapter]);
    const { conversation } = await desk.receive(sms('+14155550100'));
    const note = await desk.reply(conversation.id, { text: 'customer is angry', direction: 'internal' });
    await desk.outbox.flush();
    expect(note).toMatchObject({ direction: 'internal', status: 'sent' });
    expect(smsA.sent).toHaveLength(0);
    expect((await desk.conversations.get(conversation.id)).channels).toEqual(['sms']);
  });

  it('refuses bad replies with typed errors and writes nothing', async () => {
    const { desk } = deskWith([recordingAdapter('sms', 'sms').adapter]);
    const { conversation } = await desk.receive(email('ann@example.com'));
    await expect(desk.reply(conversation.id, {})).rejects.toBeInstanceOf(ValidationError);
    const error = await desk.reply(conversation.id, { text: 'x' }).catch((e) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect(error.message).toContain('no adapter is registered for channel "email"');
    const noPhone = await desk.reply(conversation.id, { text: 'x', channel: 'sms' }).catch((e) => e);
    expect(noPhone.message).toContain('no phone identity');
    expect(await desk.store.listOutbox()).toEqual([]);
  });
});
