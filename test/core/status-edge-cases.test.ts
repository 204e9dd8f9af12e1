import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryError, ValidationError } from '../../src/model/errors.js';
import { closeServers, manualAdapter, scriptedAdapter, statusMoves } from './delivery-helpers.js';
import { email, sms, T0, testDesk } from './helpers.js';

// Status callbacks and echoes at their edges: order, errors and times, fallback on a late failure,
// echoes and callbacks that arrive before the send's answer.

afterEach(closeServers);

describe('status callbacks', () => {
  async function sentMessage(fallback?: string[]) {
    const smsA = scriptedAdapter('sms', 'sms');
    const mailA = scriptedAdapter('email', 'email');
    const t = testDesk({ channels: [smsA.adapter, mailA.adapter], outbox: { autoStart: false } });
    const { conversation, customer } = await t.desk.receive(sms('+14155550123'));
    await t.desk.identify(customer.id, { kind: 'email', value: 'ann@example.com', verified: true });
    const message = await t.desk.reply(conversation.id, { text: 'hi', ...(fallback && { fallback }) });
    await t.desk.outbox.flush();
    return { ...t, message, conversation, mailA };
  }

  it('a failed callback follows the fallback chain once, however often it is repeated', async () => {
    const { desk, events, message, mailA } = await sentMessage(['email']);
    const update = {
      channel: 'sms',
      externalId: 'sms-1',
      status: 'failed' as const,
      error: { code: '30003', message: 'Unreachable destination handset' },
    };
    await desk.updateStatus(update);
    await desk.updateStatus(update);
    await desk.outbox.flush();
    expect(await desk.store.getMessage(message.id)).toMatchObject({ status: 'failed', error: update.error });
    expect(mailA.sent).toHaveLength(1);
    expect(mailA.sent[0]!.message.meta).toMatchObject({ fallbackOf: message.id });
    expect(statusMoves(events)).toEqual([['sms', 'sent', 'failed']]);
  });

  it('follows the documented order: no failed after delivered, nothing after failed, one event per move', async () => {
    const { desk, events, message } = await sentMessage();
    const update = (status: 'delivered' | 'failed') =>
      desk.updateStatus({
        channel: 'sms',
        externalId: 'sms-1',
        status,
        ...(status === 'failed' && { error: { code: '30008', message: 'Unknown error' } }),
      });
    await update('delivered');
    await update('delivered');
    expect(await update('failed')).toMatchObject({ status: 'delivered' });
    expect((await desk.store.getMessage(message.id))?.error).toBeUndefined();
    expect(statusMoves(events)).toEqual([['sms', 'sent', 'delivered']]);

    const other = await sentMessage();
    await other.desk.updateStatus({ channel: 'sms', externalId: 'sms-1', status: 'failed' });
    await other.desk.updateStatus({ channel: 'sms', externalId: 'sms-1', status: 'delivered' });
    await other.desk.updateStatus({ channel: 'sms', externalId: 'sms-1', status: 'read' });
    expect((await other.desk.store.getMessage(other.message.id))?.status).toBe('failed');
    expect(statusMoves(other.events)).toEqual([['sms', 'sent', 'failed']]);
  });

  it("a status naming an inbound message's id changes nothing and emits nothing", async () => {
    const { desk, types } = testDesk();
    const { message } = await desk.receive(
      email('ann@example.com', 'hi', { externalId: '<in-1@mail.example>' }),
    );
    const before = types().length;
    const result = await desk.updateStatus({
      channel: 'email',
      externalId: '<in-1@mail.example>',
      status: 'read',
    });
    expect(result).toMatchObject({ id: message.id, status: 'received', version: message.version });
    expect(types()).toHaveLength(before);
  });

  it('an echo that beats the API answer records the send: a lost answer is not sent again', async () => {
    const slow = manualAdapter('sms', 'sms');
    const { desk, types, advance } = testDesk({
      channels: [slow.adapter],
      outbox: { autoStart: false, retryBaseMs: 1 },
    });
    const { conversation, customer } = await desk.receive(sms('+14155550123'));
    const message = await desk.reply(conversation.id, { text: 'hi' });
    const round = desk.outbox.flush();
    const call = await slow.nextCall();
    const count = await desk.store.countMessages({ customerId: customer.id });
    const [early] = await desk.ingest('sms', [
      { type: 'echo', channel: 'sms', externalId: 'SM-echo', idempotencyKey: call.delivery.idempotencyKey },
    ]);
    expect(early).toMatchObject({ type: 'echo', message: { id: message.id, status: 'sent' } });
    // The API's own answer is lost (a timeout): the message must not go out a second time.
    call.reject(new DeliveryError('sms: request timed out', { retryable: true }));
    await round;
    advance(60_000);
    await desk.outbox.flush();
    expect(slow.calls).toHaveLength(1);
    expect(await desk.store.getMessage(message.id)).toMatchObject({ status: 'sent', externalId: 'SM-echo' });
    expect(types().filter((type) => type === 'message.sent')).toHaveLength(1);
    const [late] = await desk.ingest('sms', [{ type: 'echo', channel: 'sms', externalId: 'SM-echo' }]);
    expect(late).toMatchObject({ type: 'echo', message: { id: message.id, status: 'sent' } });
    expect(await desk.store.countMessages({ customerId: customer.id })).toBe(count);
    expect(await desk.store.listOutbox()).toEqual([]);
  });
});

describe('status updates: errors, times and repeats in the chain', () => {
  async function sent() {
    const smsA = scriptedAdapter('sms', 'sms');
    const t = testDesk({ channels: [smsA.adapter], outbox: { autoStart: false } });
    const { conversation } = await t.desk.receive(sms('+14155550123'));
    const message = await t.desk.reply(conversation.id, { text: 'hi' });
    await t.desk.outbox.flush();
    return { ...t, message };
  }

  it('an error is kept on failed only, and the provider time of each move goes to meta.statusAt', async () => {
    const { desk, message, now } = await sent();
    const warning = { code: '30007', message: 'Carrier violation' };
    await desk.updateStatus({
      channel: 'sms',
      externalId: 'sms-1',
      status: 'delivered',
      error: warning,
      at: T0 - 2_000,
    });
    const delivered = await desk.store.getMessage(message.id);
    expect(delivered!.error).toBeUndefined();
    expect(delivered!.meta).toEqual({ statusAt: { delivered: new Date(T0 - 2_000).toISOString() } });
    await desk.updateStatus({ channel: 'sms', externalId: 'sms-1', status: 'read' });
    expect((await desk.store.getMessage(message.id))!.meta).toEqual({
      statusAt: { delivered: new Date(T0 - 2_000).toISOString(), read: new Date(now()).toISOString() },
    });

    const other = await sent();
    await other.desk.updateStatus({
      channel: 'sms',
      externalId: 'sms-1',
      status: 'failed',
      error: warning,
      at: '2026-11-01T08:59:00Z',
    });
    expect(await other.desk.store.getMessage(other.message.id)).toMatchObject({
      status: 'failed',
      error: warning,
      meta: { statusAt: { failed: '2026-11-01T08:59:00.000Z' } },
    });
  });

  it('an unreadable time is a ValidationError naming `at`, and a webhook carrying one stores nothing', async () => {
    const { desk, message, types } = await sent();
    const bad = { channel: 'sms', externalId: 'sms-1', status: 'delivered' as const, at: 'yesterday' };
    await expect(desk.updateStatus(bad)).rejects.toMatchObject({ name: 'ValidationError', field: 'at' });
    const before = types().length;
    await expect(
      desk.ingest('sms', [
        { type: 'status', status: { channel: 'sms', externalId: 'sms-1', status: 'read' } },
        { type: 'status', status: bad },
      ]),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(types()).toHaveLength(before);
    expect((await desk.store.getMessage(message.id))?.status).toBe('sent');
  });

  it('a chain listing a channel twice tries it once', async () => {
    const final = (text: string) => new DeliveryError(text, { retryable: false, status: 400 });
    const smsA = scriptedAdapter('sms', 'sms', [final('landline')]);
    const mailA = scriptedAdapter('email', 'email', [final('bounced'), final('bounced')]);
    const { desk, events } = testDesk({
      channels: [smsA.adapter, mailA.adapter],
      outbox: { autoStart: false },
    });
    const { conversation, customer } = await desk.receive(sms('+14155550123'));
    await desk.identify(customer.id, { kind: 'email', value: 'ann@example.com', verified: true });
    const message = await desk.reply(conversation.id, { text: 'hi', fallback: ['email', 'email', 'sms'] });
    expect(message.meta).toEqual({ fallback: ['email'] });
    for (let i = 0; i < 3; i++) await desk.outbox.flush();
    expect([smsA.sent.length, mailA.sent.length]).toEqual([1, 1]);
    expect(statusMoves(events)).toEqual([
      ['sms', 'queued', 'failed'],
      ['email', 'queued', 'failed'],
    ]);
  });

  it("a stored chain naming the message's own channel or a repeat falls back to each other channel once", async () => {
    const final = (text: string) => new DeliveryError(text, { retryable: false, status: 400 });
    const smsA = scriptedAdapter('sms', 'sms', [final('landline'), final('landline')]);
    const mailA = scriptedAdapter('email', 'email', [final('bounced'), final('bounced')]);
    const { desk } = testDesk({ channels: [smsA.adapter, mailA.adapter], outbox: { autoStart: false } });
    const { conversation, customer } = await desk.receive(sms('+14155550123'));
    await desk.identify(customer.id, { kind: 'email', value: 'ann@example.com', verified: true });
    // A host's meta is no chain; a chain as an older release may have stored it is cleaned when used.
    const message = await desk.reply(conversation.id, { text: 'hi', meta: { fallback: ['sms'], ticket: 7 } });
    expect(message.meta).toEqual({ ticket: 7 });
    const legacy = { ...message, meta: { fallback: ['sms', 'email', 'email', 'sms'] }, version: 2 };
    await desk.store.commit({ messages: [{ record: legacy, expectedVersion: 1 }] });
    for (let i = 0; i < 3; i++) await desk.outbox.flush();
    expect([smsA.sent.length, mailA.sent.length]).toEqual([1, 1]);
    expect(await desk.store.listOutbox()).toEqual([]);
  });
});

describe('status updates before the send answer', () => {
  async function inFlight() {
    const slow = manualAdapter('sms', 'sms');
    const mailA = scriptedAdapter('email', 'email');
    const t = testDesk({ channels: [slow.adapter, mailA.adapter], outbox: { autoStart: false } });
    const { conversation, customer } = await t.desk.receive(sms('+14155550123'));
    await t.desk.identify(customer.id, { kind: 'email', value: 'ann@example.com', verified: true });
    const message = await t.desk.reply(conversation.id, { text: 'hi', fallback: ['email'] });
    return { ...t, slow, mailA, message };
  }

  it('a failed callback that beats the API answer is applied when the send records its id, and falls back', async () => {
    const { desk, slow, mailA, message, events } = await inFlight();
    // No send in flight: an unknown id is dropped, as before.
    expect(await desk.updateStatus({ channel: 'sms', externalId: 'SM-fast', status: 'delivered' })).toBe(
      undefined,
    );
    const round = desk.outbox.flush();
    const call = await slow.nextCall();
    const error = { code: '30003', message: 'Unreachable destination handset' };
    const [early] = await desk.ingest('sms', [
      { type: 'status', status: { channel: 'sms', externalId: 'SM-fast', status: 'failed', error } },
    ]);
    expect(early).toEqual({ type: 'status', message: undefined });
    call.resolve({ externalId: 'SM-fast' });
    await round;
    await desk.outbox.flush();
    expect(await desk.store.getMessage(message.id)).toMatchObject({
      status: 'failed',
      externalId: 'SM-fast',
      error,
    });
    expect(statusMoves(events)).toEqual([['sms', 'sent', 'failed']]);
    expect(mailA.sent.map((d) => d.message.meta)).toEqual([{ fallbackOf: message.id }]);
  });

  it('an early update is applied when an echo records the id', async () => {
    const { desk, slow, message } = await inFlight();
    const round = desk.outbox.flush();
    const call = await slow.nextCall();
    await desk.updateStatus({ channel: 'sms', externalId: 'SM-echo', status: 'delivered' });
    const [echo] = await desk.ingest('sms', [
      { type: 'echo', channel: 'sms', externalId: 'SM-echo', idempotencyKey: message.id },
    ]);
    expect(echo).toMatchObject({ type: 'echo', message: { id: message.id, status: 'delivered' } });
    call.resolve({ externalId: 'SM-echo' });
    await round;
    expect(await desk.store.getMessage(message.id)).toMatchObject({
      status: 'delivered',
      externalId: 'SM-echo',
    });
  });

  it('an early update is kept no longer than the outbox lease', async () => {
    const { desk, slow, message, advance } = await inFlight();
    const round = desk.outbox.flush();
    const call = await slow.nextCall();
    await desk.updateStatus({ channel: 'sms', externalId: 'SM-slow', status: 'read' });
    advance(60_001);
    call.resolve({ externalId: 'SM-slow' });
    await round;
    expect(await desk.store.getMessage(message.id)).toMatchObject({ status: 'sent', externalId: 'SM-slow' });
  });
});
