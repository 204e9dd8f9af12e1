import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryOptions } from '../../src/channels/shared/provider-client.js';
import { twilioSms } from '../../src/channels/twilio/index.js';
import type { ChannelAdapter, OutboundDelivery, SendResult } from '../../src/core/channel.js';
import { DeliveryError, StorageError, ValidationError } from '../../src/model/errors.js';
import type { DeskEvent } from '../../src/model/events.js';
import { memoryStore } from '../../src/stores/memory/index.js';
import {
  type ScriptedApiServer,
  type ScriptedResponse,
  startScriptedApi,
} from '../channels/scripted-api-server.js';
import { email, HOUR, sms, T0, testDesk, whatsapp } from './helpers.js';

const ACCOUNT_SID = `AC${'0f'.repeat(16)}`;
const sid = (n: number) => `SM${String(n).padStart(32, '0')}`;
const created = (n: number): ScriptedResponse => ({ status: 201, json: { sid: sid(n), status: 'queued' } });

let api: ScriptedApiServer | undefined;
const rawServers: Server[] = [];
afterEach(async () => {
  await api?.close();
  api = undefined;
  for (const server of rawServers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A Twilio SMS adapter sending to `url`: fast retries, 1 s max in-send Retry-After unless overridden. */
function twilioAt(url: string, delivery: DeliveryOptions = {}): ChannelAdapter {
  return twilioSms({
    id: 'sms',
    accountSid: ACCOUNT_SID,
    authToken: 'token',
    from: '+14155550100',
    apiBaseUrl: url,
    delivery: { retries: 2, backoffLimitMs: 20, timeoutMs: 2000, maxRetryAfterMs: 1000, ...delivery },
  });
}

/** A Twilio SMS adapter against a scripted 127.0.0.1 API. */
async function twilioAgainst(
  respond: Parameters<typeof startScriptedApi>[0],
  delivery: DeliveryOptions = {},
): Promise<ChannelAdapter> {
  api = await startScriptedApi(respond);
  return twilioAt(api.url, delivery);
}

/** A bare node:http server on 127.0.0.1, for answers a script cannot give: silence, resets, endless bodies. */
async function rawServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  rawServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Sends one SMS through a desk's outbox, as a host would: receive, reply, flush. */
async function sendOne(adapter: ChannelAdapter) {
  const t = testDesk({ channels: [adapter], outbox: { autoStart: false, retryBaseMs: 1 } });
  const { conversation } = await t.desk.receive(sms('+14155550123'));
  const message = await t.desk.reply(conversation.id, { text: 'hi' });
  return { ...t, message };
}

/** An in-process adapter whose sends the test controls one by one. */
function manualAdapter(id: string, kind: ChannelAdapter['kind']) {
  const calls: {
    delivery: OutboundDelivery;
    resolve: (r: SendResult) => void;
    reject: (e: unknown) => void;
  }[] = [];
  let arrived: (() => void) | undefined;
  const adapter: ChannelAdapter = {
    id,
    kind,
    capabilities: {
      parts: ['text'],
      recipientKinds: kind === 'email' ? ['email'] : kind === 'whatsapp' ? ['whatsapp', 'phone'] : ['phone'],
    },
    verify: async () => {},
    parse: () => [],
    send: (delivery) =>
      new Promise<SendResult>((resolve, reject) => {
        calls.push({ delivery, resolve, reject });
        arrived?.();
      }),
  };
  const nextCall = async () => {
    const seen = calls.length;
    while (calls.length <= seen) await new Promise<void>((resolve) => (arrived = resolve));
    return calls[seen]!;
  };
  return { adapter, calls, nextCall };
}

/** An in-process adapter answering each send from a script (default: success). */
function scriptedAdapter(id: string, kind: ChannelAdapter['kind'], outcomes: (Error | 'ok')[] = []) {
  const sent: OutboundDelivery[] = [];
  const adapter: ChannelAdapter = {
    ...manualAdapter(id, kind).adapter,
    send: async (delivery) => {
      sent.push(delivery);
      const outcome = outcomes.shift() ?? 'ok';
      if (outcome !== 'ok') throw outcome;
      return { externalId: `${id}-${sent.length}` };
    },
  };
  return { adapter, sent };
}

const statusMoves = (events: DeskEvent[]) =>
  events.flatMap((e) =>
    e.type === 'message.status' ? [[e.message.channel, e.previous, e.message.status]] : [],
  );

describe('provider client: Retry-After and odd answers (real HTTP on 127.0.0.1)', () => {
  it.each([
    ['seconds', () => String(365 * 24 * 3600), 365 * 24 * HOUR],
    ['an HTTP date', () => new Date(Date.now() + 2 * HOUR).toUTCString(), 2 * HOUR],
  ])(
    'a Retry-After in %s longer than maxRetryAfterMs goes back to the outbox at once',
    async (_form, header, expected) => {
      const adapter = await twilioAgainst(() => ({
        status: 429,
        headers: { 'retry-after': header() },
        json: { code: 20429, message: 'Too Many Requests', status: 429 },
      }));
      const { desk, message, now } = await sendOne(adapter);
      await desk.outbox.flush();
      expect(api!.requests).toHaveLength(1);
      const [entry] = await desk.store.listOutbox();
      expect(entry).toMatchObject({ messageId: message.id, attempts: 1 });
      // Honoured by the outbox (capped at a day: a longer Retry-After is a provider's bug).
      expect(entry!.notBefore - now()).toBeGreaterThanOrEqual(Math.min(expected, 24 * HOUR) - 5_000);
      expect(entry!.notBefore - now()).toBeLessThanOrEqual(24 * HOUR);
      expect((await desk.store.getMessage(message.id))?.status).toBe('queued');
    },
  );

  it('a malformed Retry-After is ignored: backoff applies, not a maxRetryAfterMs wait', async () => {
    const respond = (_r: unknown, i: number) =>
      i === 0 ? { status: 503, headers: { 'retry-after': 'soon' } } : created(1);
    const adapter = await twilioAgainst(respond, { maxRetryAfterMs: 60_000 });
    const { desk, message } = await sendOne(adapter);
    await desk.outbox.flush(); // ky alone would wait the full 60 s here
    expect(await desk.store.getMessage(message.id)).toMatchObject({ status: 'sent', externalId: sid(1) });
  }, 5_000);

  it('Retry-After 0, negative or past, and a 429 without it, are retried at once with the same idempotency key', async () => {
    const past = new Date(Date.now() - HOUR).toUTCString();
    const adapter = await twilioAgainst(
      (_r, i) =>
        [
          { status: 429, headers: { 'retry-after': '0' } },
          { status: 429, headers: { 'retry-after': '-30' } },
          { status: 503, headers: { 'retry-after': past } },
          { status: 429 },
        ][i] ?? created(7),
      { retries: 4 },
    );
    const { desk, message } = await sendOne(adapter);
    await desk.outbox.flush();
    expect(await desk.store.getMessage(message.id)).toMatchObject({ status: 'sent', externalId: sid(7) });
    expect(new Set(api!.requests.map((r) => r.headers['i-twilio-idempotency-token']))).toEqual(
      new Set([message.id]),
    );
    expect(api!.requests).toHaveLength(5);
  });

  it('a timeout, then a reset connection, then success: one message, one idempotency key', async () => {
    const keys: string[] = [];
    const url = await rawServer((req, res) => {
      keys.push(String(req.headers['i-twilio-idempotency-token']));
      if (keys.length === 1) return; // never answers: the client times out
      if (keys.length === 2) return req.socket.destroy();
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sid: sid(3) }));
    });
    const { desk, message } = await sendOne(twilioAt(url, { timeoutMs: 200 }));
    await desk.outbox.flush();
    expect(await desk.store.getMessage(message.id)).toMatchObject({ status: 'sent', externalId: sid(3) });
    expect(keys).toEqual([message.id, message.id, message.id]);
  });

  it.each([
    [
      'HTML',
      { 'content-type': 'text/html' },
      `<html><body>${'<p>Bad gateway</p>'.repeat(50_000)}</body></html>`,
    ],
    ['empty', {}, ''],
  ])('a 400 with a %s body fails for good with a short message', async (_kind, headers, body) => {
    const adapter = await twilioAgainst(() => ({ status: 400, headers, body }));
    const { desk, message } = await sendOne(adapter);
    await desk.outbox.flush();
    const stored = await desk.store.getMessage(message.id);
    expect(stored).toMatchObject({ status: 'failed', error: { code: '400' } });
    expect(stored!.error!.message).toMatch(/^sms: provider answered 400: /);
    expect(stored!.error!.message.length).toBeLessThan(300);
    expect(api!.requests).toHaveLength(1);
  });

  it('a 200 whose body is HTML (a proxy, a captive portal) fails for good, not retried as a network error', async () => {
    const adapter = await twilioAgainst(() => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html>hi</html>',
    }));
    const { desk, message } = await sendOne(adapter);
    await desk.outbox.flush();
    const stored = await desk.store.getMessage(message.id);
    expect(stored).toMatchObject({ status: 'failed' });
    expect(stored!.error!.message).not.toMatch(/network error/);
    expect(api!.requests).toHaveLength(1);
  });

  it('an error answer whose body never ends does not hang the send past its timeout', async () => {
    const url = await rawServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.write('{"code": 20500,'); // and never ends
    });
    const { desk, message } = await sendOne(twilioAt(url, { retries: 0, timeoutMs: 300 }));
    await desk.outbox.flush();
    expect(await desk.store.getMessage(message.id)).toMatchObject({ status: 'queued' });
    expect(await desk.store.listOutbox()).toMatchObject([{ messageId: message.id, attempts: 1 }]);
  }, 10_000);
});

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
