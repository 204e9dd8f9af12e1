import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/core/channel.js';
import { DeliveryError, StorageError, ValidationError } from '../../src/model/errors.js';
import { memoryStore } from '../../src/stores/memory/index.js';
import {
  closeServers,
  manualAdapter,
  rawServer,
  scriptedAdapter,
  statusMoves,
  twilioAt,
} from './delivery-helpers.js';
import { HOUR, sms, testDesk, whatsapp } from './helpers.js';

// The outbox at its edges: waits, leases, attempts, fallback chains, provider ids and channels
// without an adapter (the provider client's own edges are in delivery-provider-client.test.ts,
// status callbacks in status-edge-cases.test.ts).

afterEach(closeServers);

describe('outbox: waits, leases and attempts', () => {
  it("honours an adapter's retryAfterMs as the entry's notBefore, capped at a day", async () => {
    const smsA = scriptedAdapter('sms', 'sms', [
      new DeliveryError('429', { retryable: true, status: 429, retryAfterMs: 10 * 60_000 }),
      new DeliveryError('429', { retryable: true, status: 429, retryAfterMs: 365 * 24 * HOUR }),
    ]);
    const { desk, advance, now } = testDesk({
      channels: [smsA.adapter],
      outbox: { autoStart: false, retryBaseMs: 1 },
    });
    const { conversation } = await desk.receive(sms('+14155550123'));
    const message = await desk.reply(conversation.id, { text: 'hi' });
    await desk.outbox.flush();
    expect((await desk.store.listOutbox())[0]!.notBefore).toBe(now() + 10 * 60_000);
    advance(9 * 60_000);
    await desk.outbox.flush();
    expect(smsA.sent).toHaveLength(1);
    advance(60_000);
    await desk.outbox.flush();
    expect(smsA.sent).toHaveLength(2);
    const [entry] = await desk.store.listOutbox();
    expect(entry!.notBefore - now()).toBe(24 * HOUR);
    advance(24 * HOUR);
    await desk.outbox.flush();
    expect(await desk.store.getMessage(message.id)).toMatchObject({ status: 'sent', externalId: 'sms-3' });
  });

  it('a send that outlives its lease is resent with the same key, and the late answer changes nothing', async () => {
    const store = memoryStore();
    const slow = manualAdapter('sms', 'sms');
    const a = testDesk({ store, channels: [slow.adapter], outbox: { autoStart: false } });
    const { conversation } = await a.desk.receive(sms('+14155550123'));
    const message = await a.desk.reply(conversation.id, { text: 'hi' });
    const roundA = a.desk.outbox.flush();
    const first = await slow.nextCall();

    const fast = scriptedAdapter('sms', 'sms');
    const b = testDesk({ store, channels: [fast.adapter], outbox: { autoStart: false } });
    b.advance(61_000);
    await b.desk.outbox.flush();
    expect(fast.sent.map((d) => d.idempotencyKey)).toEqual([first.delivery.idempotencyKey]);
    expect(first.delivery.idempotencyKey).toBe(message.id);
    await b.desk.updateStatus({ channel: 'sms', externalId: 'sms-1', status: 'delivered' });

    first.resolve({ externalId: 'SM-late' });
    await roundA;
    expect(await store.getMessage(message.id)).toMatchObject({ status: 'delivered', externalId: 'sms-1' });
    const logged = (await store.readEvents({ limit: 100 })).map((l) => l.event.type);
    expect(logged.filter((type) => type === 'message.sent')).toHaveLength(1);
    expect(await store.listOutbox()).toEqual([]);
  });

  it('a final failure answered after another desk sent the message neither fails it nor falls back', async () => {
    const store = memoryStore();
    const slow = manualAdapter('sms', 'sms');
    const mailA = scriptedAdapter('email', 'email');
    const a = testDesk({ store, channels: [slow.adapter, mailA.adapter], outbox: { autoStart: false } });
    const { conversation, customer } = await a.desk.receive(sms('+14155550123'));
    await a.desk.identify(customer.id, { kind: 'email', value: 'ann@example.com', verified: true });
    const message = await a.desk.reply(conversation.id, { text: 'hi', fallback: ['email'] });
    const roundA = a.desk.outbox.flush();
    const first = await slow.nextCall();

    const b = testDesk({
      store,
      channels: [scriptedAdapter('sms', 'sms').adapter],
      outbox: { autoStart: false },
    });
    b.advance(61_000);
    await b.desk.outbox.flush();
    first.reject(new DeliveryError('invalid To', { retryable: false, status: 400 }));
    await roundA;
    expect(await store.getMessage(message.id)).toMatchObject({ status: 'sent', externalId: 'sms-1' });
    expect(await store.countMessages({ conversationId: conversation.id })).toBe(2);
    expect(await store.listOutbox()).toEqual([]);
  });

  it('hands the adapter a signal that aborts before the lease runs out, and retries later', async () => {
    let signal: AbortSignal | undefined;
    const adapter: ChannelAdapter = {
      ...manualAdapter('sms', 'sms').adapter,
      send: (delivery) => {
        signal = delivery.signal;
        return new Promise((resolve, reject) => {
          if (!signal) setTimeout(() => resolve({ externalId: 'too-late' }), 600);
          else signal.addEventListener('abort', () => reject(signal!.reason));
        });
      },
    };
    const { desk } = testDesk({
      channels: [adapter],
      outbox: { autoStart: false, leaseMs: 300, retryBaseMs: 1 },
    });
    const { conversation } = await desk.receive(sms('+14155550123'));
    const message = await desk.reply(conversation.id, { text: 'hi' });
    await desk.outbox.flush();
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toMatchObject({ name: 'DeliveryError', retryable: true });
    expect((await desk.store.getMessage(message.id))?.status).toBe('queued');
    expect(await desk.store.listOutbox()).toMatchObject([
      { messageId: message.id, attempts: 1, leaseOwner: undefined },
    ]);
  });

  it('a 201 whose body never ends is cut off by the lease, not left hanging (real HTTP)', async () => {
    const url = await rawServer((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.write('{"sid": "SM'); // and never ends: ky's timeout covers the headers only
    });
    const { desk } = testDesk({
      channels: [twilioAt(url, { retries: 0, timeoutMs: 200 })],
      outbox: { autoStart: false, leaseMs: 400, retryBaseMs: 1 },
    });
    const { conversation } = await desk.receive(sms('+14155550123'));
    const message = await desk.reply(conversation.id, { text: 'hi' });
    await desk.outbox.flush();
    expect(await desk.store.listOutbox()).toMatchObject([{ messageId: message.id, attempts: 1 }]);
  }, 10_000);

  it('concurrent flushes send each message once; close() waits for the send in flight', async () => {
    const slow = manualAdapter('sms', 'sms');
    const { desk, types } = testDesk({ channels: [slow.adapter], outbox: { autoStart: true } });
    const { conversation } = await desk.receive(sms('+14155550123'));
    const message = await desk.reply(conversation.id, { text: 'hi' });
    const call = await slow.nextCall();
    const flushes = Promise.all([desk.outbox.flush(), desk.outbox.flush()]);
    const closed = desk.close();
    call.resolve({ externalId: 'SM1' });
    await closed;
    await flushes.catch(() => undefined);
    expect(slow.calls.map((c) => c.delivery.message.id)).toEqual([message.id]);
    expect(types().filter((type) => type === 'message.sent')).toHaveLength(1);
  });

  it("a third-party adapter's DeliveryError from its own copy of threadline is retried, its code kept", async () => {
    // @ts-expect-error a second instance of the module, as a bundle with its own copy of threadline has
    const copy: typeof import('../../src/model/errors.js') = await import('../../src/model/errors.js?copy');
    const smsA = scriptedAdapter('sms', 'sms', [
      new copy.DeliveryError('busy', { retryable: true, status: 503 }),
      new copy.DeliveryError('bad number', { retryable: false, status: 400, providerCode: '21211' }),
    ]);
    const { desk, advance } = testDesk({
      channels: [smsA.adapter],
      outbox: { autoStart: false, retryBaseMs: 1 },
    });
    const { conversation } = await desk.receive(sms('+14155550123'));
    const message = await desk.reply(conversation.id, { text: 'hi' });
    await desk.outbox.flush();
    expect(await desk.store.listOutbox()).toMatchObject([{ messageId: message.id, attempts: 1 }]);
    advance(1000);
    await desk.outbox.flush();
    expect(await desk.store.getMessage(message.id)).toMatchObject({
      status: 'failed',
      error: { code: '21211', message: 'bad number' },
    });
  });

  it('maxAttempts is the number of sends: the last retryable failure is final and falls back once', async () => {
    const retry = () => new DeliveryError('503', { retryable: true, status: 503 });
    const smsA = scriptedAdapter('sms', 'sms', [retry(), retry(), retry(), retry()]);
    const mailA = scriptedAdapter('email', 'email');
    const { desk, advance, events } = testDesk({
      channels: [smsA.adapter, mailA.adapter],
      outbox: { autoStart: false, retryBaseMs: 1, maxAttempts: 3 },
    });
    const { conversation, customer } = await desk.receive(sms('+14155550123'));
    await desk.identify(customer.id, { kind: 'email', value: 'ann@example.com', verified: true });
    const message = await desk.reply(conversation.id, { text: 'hi', fallback: ['email'] });
    for (let i = 0; i < 5; i++) {
      await desk.outbox.flush();
      advance(1000);
    }
    expect(smsA.sent.map((d) => d.attempt)).toEqual([1, 2, 3]);
    expect(await desk.store.getMessage(message.id)).toMatchObject({
      status: 'failed',
      error: { code: '503' },
    });
    expect(mailA.sent).toHaveLength(1);
    expect(
      events
        .filter((e) => e.type === 'message.queued')
        .map((e) => e.type === 'message.queued' && e.message.channel),
    ).toEqual(['sms', 'email']);
  });
});

describe('outbox: fallback chains', () => {
  it('a chain where every channel fails ends with each message failed once and nothing queued', async () => {
    const final = (text: string) => new DeliveryError(text, { retryable: false, status: 400 });
    const waA = scriptedAdapter('whatsapp', 'whatsapp', [final('not on WhatsApp')]);
    const smsA = scriptedAdapter('sms', 'sms', [final('landline')]);
    const mailA = scriptedAdapter('email', 'email', [final('bounced')]);
    const { desk, events } = testDesk({
      channels: [waA.adapter, smsA.adapter, mailA.adapter],
      outbox: { autoStart: false },
      fallback: { whatsapp: ['sms', 'email'] },
    });
    const { conversation, customer } = await desk.receive(whatsapp('+14155550123'));
    await desk.identify(customer.id, { kind: 'email', value: 'ann@example.com', verified: true });
    await desk.reply(conversation.id, { text: 'hi' });
    for (let i = 0; i < 4; i++) await desk.outbox.flush();
    expect([waA.sent.length, smsA.sent.length, mailA.sent.length]).toEqual([1, 1, 1]);
    expect(statusMoves(events)).toEqual([
      ['whatsapp', 'queued', 'failed'],
      ['sms', 'queued', 'failed'],
      ['email', 'queued', 'failed'],
    ]);
    expect(await desk.store.listOutbox()).toEqual([]);
    expect((await desk.conversations.get(conversation.id)).messageCount).toBe(4);
  });

  it('two messages of one conversation failing together both get their fallback', async () => {
    const final = () => new DeliveryError('invalid', { retryable: false, status: 400 });
    const smsA = scriptedAdapter('sms', 'sms', [final(), final()]);
    const mailA = scriptedAdapter('email', 'email');
    const { desk } = testDesk({ channels: [smsA.adapter, mailA.adapter], outbox: { autoStart: false } });
    const { conversation, customer } = await desk.receive(sms('+14155550123'));
    await desk.identify(customer.id, { kind: 'email', value: 'ann@example.com', verified: true });
    await desk.reply(conversation.id, { text: 'one', fallback: ['email'] });
    await desk.reply(conversation.id, { text: 'two', fallback: ['email'] });
    await desk.outbox.flush();
    await desk.outbox.flush();
    expect(mailA.sent.map((d) => d.message.parts)).toEqual([
      [{ type: 'text', text: 'one' }],
      [{ type: 'text', text: 'two' }],
    ]);
    expect(await desk.store.listOutbox()).toEqual([]);
  });

  it('a send the provider accepted is never failed nor re-sent on a fallback when storing its outcome fails', async () => {
    const store = memoryStore();
    let failNext = true;
    const flaky = {
      ...store,
      commit: (batch: Parameters<typeof store.commit>[0]) => {
        if (failNext && batch.events?.some((e) => e.type === 'message.sent')) {
          failNext = false;
          throw new StorageError('disk full');
        }
        return store.commit(batch);
      },
    };
    const smsA = scriptedAdapter('sms', 'sms');
    const mailA = scriptedAdapter('email', 'email');
    const logged: unknown[] = [];
    const { desk, advance } = testDesk({
      store: flaky,
      channels: [smsA.adapter, mailA.adapter],
      outbox: { autoStart: false },
      logger: { warn() {}, error: (...args: unknown[]) => void logged.push(args) },
    });
    const { conversation, customer } = await desk.receive(sms('+14155550123'));
    await desk.identify(customer.id, { kind: 'email', value: 'ann@example.com', verified: true });
    const message = await desk.reply(conversation.id, { text: 'hi', fallback: ['email'] });
    await desk.outbox.flush();
    expect((await store.getMessage(message.id))?.status).toBe('queued');
    expect(logged).toHaveLength(1);
    advance(61_000);
    await desk.outbox.flush();
    expect(smsA.sent.map((d) => d.idempotencyKey)).toEqual([message.id, message.id]);
    expect(await store.getMessage(message.id)).toMatchObject({ status: 'sent', externalId: 'sms-2' });
    expect(mailA.sent).toHaveLength(0);
    expect(await store.listOutbox()).toEqual([]);
  });
});

describe('desk options: the outbox', () => {
  it.each([
    ['leaseMs', 0],
    ['leaseMs', -1],
    ['leaseMs', Number.NaN],
    ['leaseMs', Number.POSITIVE_INFINITY],
    ['maxAttempts', 0],
    ['maxAttempts', 2.5],
    ['maxAttempts', Number.NaN],
    ['retryBaseMs', 0],
    ['retryBaseMs', -1_000],
    ['retryBaseMs', '1000'],
  ])('outbox.%s = %s is a ValidationError naming the option', (option, value) => {
    const create = () => testDesk({ outbox: { autoStart: false, [option]: value } });
    expect(create).toThrow(ValidationError);
    expect(create).toThrow(`outbox.${option}`);
  });

  it('whole, positive values are accepted', () => {
    expect(() => testDesk({ outbox: { leaseMs: 1, maxAttempts: 1, retryBaseMs: 0.5 } })).not.toThrow();
  });
});

describe('outbox: provider ids', () => {
  it('a send answered with an id another message holds is recorded as sent without it, once', async () => {
    const smsA = scriptedAdapter('sms', 'sms');
    const logged: unknown[] = [];
    const { desk, advance } = testDesk({
      channels: [smsA.adapter],
      outbox: { autoStart: false },
      logger: { warn: (...args: unknown[]) => void logged.push(args), error() {} },
    });
    // The customer's own message carries the id the provider will give our send.
    const { conversation, message: inbound } = await desk.receive(
      sms('+14155550123', 'hi', { externalId: 'sms-1' }),
    );
    const message = await desk.reply(conversation.id, { text: 'hello' });
    await desk.outbox.flush();
    const stored = await desk.store.getMessage(message.id);
    expect(stored).toMatchObject({ status: 'sent' });
    expect(stored!.externalId).toBeUndefined();
    expect((await desk.store.getMessageByExternalId('sms', 'sms-1'))?.id).toBe(inbound.id);
    expect(logged).toHaveLength(1);
    advance(61_000);
    await desk.outbox.flush();
    expect(smsA.sent).toHaveLength(1);
    expect(await desk.store.listOutbox()).toEqual([]);
  });
});

describe('outbox: channels without an adapter', () => {
  it('a desk leaves a message it has no adapter for to a desk sharing the store that has one', async () => {
    const store = memoryStore();
    const smsA = scriptedAdapter('sms', 'sms');
    const waA = scriptedAdapter('whatsapp', 'whatsapp');
    const a = testDesk({ store, channels: [smsA.adapter], outbox: { autoStart: false } });
    const b = testDesk({ store, channels: [waA.adapter], outbox: { autoStart: false } });
    const { conversation } = await b.desk.receive(whatsapp('+14155550123'));
    const message = await b.desk.reply(conversation.id, { text: 'hi' });
    const [queued] = await store.listOutbox();
    await a.desk.outbox.flush();
    await a.desk.outbox.flush();
    expect(await store.listOutbox()).toEqual([queued]);
    await b.desk.outbox.flush();
    expect(waA.sent.map((d) => d.message.id)).toEqual([message.id]);
    expect(await store.getMessage(message.id)).toMatchObject({ status: 'sent' });
  });

  it('a message on a channel no adapter serves stays queued, untouched, and start() warns about it', async () => {
    const store = memoryStore();
    const warned: string[] = [];
    const writer = testDesk({ store, outbox: { autoStart: false } });
    const { conversation } = await writer.desk.receive(sms('+14155550123'));
    // Stored by a desk without channels (which queues on any channel), under a mistyped id.
    const message = await writer.desk.reply(conversation.id, { text: 'hi', channel: 'smss' });
    const [queued] = await store.listOutbox();
    const smsA = scriptedAdapter('sms', 'sms');
    const { desk } = testDesk({
      store,
      channels: [smsA.adapter],
      outbox: { autoStart: false },
      logger: { warn: (text: string) => void warned.push(text), error() {} },
    });
    desk.outbox.start();
    await desk.outbox.flush();
    await desk.outbox.stop();
    expect(warned).toEqual([expect.stringContaining('1 queued message(s) on channel "smss"')]);
    expect(smsA.sent).toEqual([]);
    expect(await store.listOutbox()).toEqual([queued]);
    expect((await store.getMessage(message.id))?.status).toBe('queued');
  });
});
