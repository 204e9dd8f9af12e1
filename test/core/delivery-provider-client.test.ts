import { afterEach, describe, expect, it } from 'vitest';
import {
  closeServers,
  created,
  lastApi,
  rawServer,
  sendOne,
  sid,
  twilioAgainst,
  twilioAt,
} from './delivery-helpers.js';
import { HOUR } from './helpers.js';

// The shared provider client as the outbox sees it: Retry-After in its forms, odd and endless
// answers, over real HTTP on 127.0.0.1.

afterEach(closeServers);

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
      expect(lastApi().requests).toHaveLength(1);
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
    expect(new Set(lastApi().requests.map((r) => r.headers['i-twilio-idempotency-token']))).toEqual(
      new Set([message.id]),
    );
    expect(lastApi().requests).toHaveLength(5);
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
    expect(lastApi().requests).toHaveLength(1);
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
    expect(lastApi().requests).toHaveLength(1);
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
