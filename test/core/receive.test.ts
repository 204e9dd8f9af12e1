import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/model/errors.js';
import type { InboundMessage } from '../../src/model/inbound.js';
import { MAX_TEXT_LENGTH } from '../../src/model/parts.js';
import { email, sms, T0, testDesk, whatsapp } from './helpers.js';

async function snapshot(desk: ReturnType<typeof testDesk>['desk']) {
  return { events: await desk.store.readEvents({ limit: 1000 }), outbox: await desk.store.listOutbox() };
}

describe('receive', () => {
  it('creates a customer, a conversation and a message, and emits their events', async () => {
    const { desk, types } = testDesk();
    const result = await desk.receive(sms('+1 (415) 555-0100', 'Where is my order?'));
    expect(result.created).toBe(true);
    expect(result.customer.identities).toMatchObject([
      { kind: 'phone', value: '+14155550100', verified: true, source: 'sms' },
    ]);
    expect(result.conversation).toMatchObject({
      status: 'open',
      channels: ['sms'],
      lastChannel: 'sms',
      lastInboundChannel: 'sms',
      messageCount: 1,
    });
    expect(result.message).toMatchObject({
      direction: 'inbound',
      channel: 'sms',
      channelKind: 'sms',
      status: 'received',
      parts: [{ type: 'text', text: 'Where is my order?' }],
    });
    expect(result.message.at).toBe(T0);
    expect(types()).toEqual(['customer.created', 'conversation.created', 'message.received']);
    expect((await snapshot(desk)).events.map((e) => e.event.type)).toEqual(types());
  });

  it('a duplicate delivery returns the stored message and stores nothing', async () => {
    const { desk, events } = testDesk();
    const first = await desk.receive(sms('+14155550100', 'hi', { externalId: 'SMdup' }));
    const before = await snapshot(desk);
    const again = await desk.receive(sms('+14155550100', 'hi', { externalId: 'SMdup' }));
    expect(again.created).toBe(false);
    expect(again.message).toEqual(first.message);
    expect(await snapshot(desk)).toEqual(before);
    expect(events).toHaveLength(3);
  });

  it('concurrent duplicate deliveries store exactly one message', async () => {
    const { desk } = testDesk();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => desk.receive(sms('+14155550100', 'hi', { externalId: 'SMrace' }))),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
    expect(await desk.store.countMessages({ customerId: results[0]!.customer.id })).toBe(1);
  });

  it('infers the channel kind from a kind-named channel and requires it otherwise', async () => {
    const { desk } = testDesk();
    expect((await desk.receive(whatsapp('+14155550100'))).message.channelKind).toBe('whatsapp');
    const custom = await desk.receive({ ...sms('+14155550100'), channel: 'twilio-us', channelKind: 'sms' });
    expect(custom.message).toMatchObject({ channel: 'twilio-us', channelKind: 'sms' });
    const error = await desk.receive({ ...sms('+14155550100'), channel: 'twilio-eu' }).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain('channelKind');
  });

  it('uses the provider time for ordering when given', async () => {
    const { desk } = testDesk();
    const late = await desk.receive(
      sms('+14155550100', 'sent earlier', { createdAt: '2026-10-31T12:00:00Z' }),
    );
    expect(late.message.createdAt).toBe('2026-10-31T12:00:00.000Z');
    const epoch = await desk.receive(sms('+14155550100', 'epoch', { createdAt: T0 - 60_000 }));
    expect(epoch.message.at).toBe(T0 - 60_000);
    // Whole-second and skewed provider clocks within 5 s of now are taken as now, keeping arrival order.
    const truncated = await desk.receive(sms('+14155550100', 'same second', { createdAt: T0 - 900 }));
    expect(truncated.message.at).toBe(T0);
    const ahead = await desk.receive(sms('+14155550100', 'fast clock', { createdAt: T0 + 3_000 }));
    expect(ahead.message.at).toBe(T0);
    // A time in the future would sort the message after everything yet to come: it is taken as now.
    const future = await desk.receive(
      sms('+14155550100', 'from 2100', { createdAt: '2100-01-01T00:00:00Z' }),
    );
    expect(future.message.at).toBe(T0);
    expect(future.message.createdAt).toBe(new Date(T0).toISOString());
  });

  const bad: [string, unknown, string][] = [
    ['missing from', { channel: 'sms', text: 'x' }, 'from'],
    ['missing text and parts', { channel: 'sms', from: { kind: 'phone', value: '+14155550100' } }, 'parts'],
    [
      'a wrong type',
      { channel: 'sms', from: { kind: 'phone', value: 14155550100 }, text: 'x' },
      'from.value',
    ],
    [
      'an unknown identity kind',
      { channel: 'sms', from: { kind: 'fax', value: '1' }, text: 'x' },
      'from.kind',
    ],
    [
      'an unparseable phone',
      { channel: 'sms', from: { kind: 'phone', value: 'call me maybe' }, text: 'x' },
      'from.value',
    ],
    [
      'a national phone without a default country',
      { channel: 'sms', from: { kind: 'phone', value: '(415) 555-0100' }, text: 'x' },
      'from.value',
    ],
    [
      'an unparseable email',
      { channel: 'email', from: { kind: 'email', value: 'ann@' }, text: 'x' },
      'from.value',
    ],
    [
      'oversized text',
      {
        channel: 'sms',
        from: { kind: 'phone', value: '+14155550100' },
        text: 'x'.repeat(MAX_TEXT_LENGTH + 1),
      },
      'text',
    ],
    [
      'a bad part',
      {
        channel: 'sms',
        from: { kind: 'phone', value: '+14155550100' },
        parts: [{ type: 'location', latitude: 91, longitude: 0 }],
      },
      'parts[0].latitude',
    ],
    ['a bad time', { ...sms('+14155550100'), createdAt: 'yesterday-ish' }, 'createdAt'],
    [
      'a bad extra identity',
      { ...email('ann@example.com'), identities: [{ kind: 'phone', value: 'nope' }] },
      'identities[0].value',
    ],
  ];
  for (const [name, input, field] of bad) {
    it(`rejects ${name} with a ValidationError naming ${field}, changing nothing`, async () => {
      const { desk, events } = testDesk();
      const before = await snapshot(desk);
      const error = await desk.receive(input as never).catch((e) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.code).toBe('VALIDATION');
      expect(error.message).toContain(field);
      expect(await snapshot(desk)).toEqual(before);
      expect(events).toEqual([]);
    });
  }

  it('ingest validates every event before applying any: one bad event stores nothing', async () => {
    const { desk, events } = testDesk();
    const before = await snapshot(desk);
    const { channel: _channel, ...unnamed } = sms('+14155550100', 'first', { externalId: 'SMok' });
    const error = await desk
      .ingest('sms', [
        { type: 'message', message: unnamed as InboundMessage },
        { type: 'message', message: sms('+14155550101', '', { externalId: 'SMbad' }) },
      ])
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain('text');
    expect(await snapshot(desk)).toEqual(before);
    expect(events).toEqual([]);
    const [stored] = await desk.ingest('sms', [{ type: 'message', message: unnamed as InboundMessage }]);
    expect(stored).toMatchObject({ type: 'message', result: { created: true, message: { channel: 'sms' } } });
  });

  it('a listener that throws does not break receive', async () => {
    const { desk } = testDesk();
    desk.on('message.received', () => {
      throw new Error('listener bug');
    });
    const seen: string[] = [];
    desk.on('message.received', (event) => seen.push(event.message.id));
    const result = await desk.receive(sms('+14155550100'));
    expect(seen).toEqual([result.message.id]);
  });
});
