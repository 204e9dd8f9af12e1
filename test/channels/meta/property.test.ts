import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instagram, messenger, whatsappCloud } from '../../../src/channels/meta/index.js';
import type { ChannelAdapter } from '../../../src/core/channel.js';
import { epochMs } from '../../../src/core/runtime.js';
import { ValidationError } from '../../../src/model/errors.js';
import { normalizeIdentityValue } from '../../../src/model/identity.js';
import { InboundMessage, StatusUpdate } from '../../../src/model/inbound.js';
import { post } from './helpers.js';

const options = { appSecret: 's', verifyToken: 'v' };
const adapters: [ChannelAdapter, string][] = [
  [whatsappCloud({ ...options, accessToken: 't', phoneNumberId: '1' }), 'whatsapp_business_account'],
  [messenger({ ...options, pageAccessToken: 't' }), 'page'],
  [instagram({ ...options, pageAccessToken: 't' }), 'instagram'],
];

const value = fc.jsonValue({ maxDepth: 3 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Mostly the plausible shape, sometimes arbitrary JSON instead. */
const noisy = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: arb, weight: 30 }, { arbitrary: value, weight: 1 });
const waTypes = fc.constantFrom(
  'text',
  'image',
  'audio',
  'video',
  'document',
  'sticker',
  'location',
  'contacts',
  'interactive',
  'button',
  'reaction',
  'order',
  'unsupported',
);

/** A WhatsApp message whose every field is either plausible or arbitrary JSON. */
const waMessage = fc.record(
  {
    // Mostly possible numbers (the adapter skips a message from an impossible one), some random digits.
    from: noisy(
      fc.oneof(
        fc.constantFrom('447700900123', '14155550100', '5511987654321', '250788123200'),
        fc.stringMatching(/^\d{1,20}$/),
      ),
    ),
    id: noisy(fc.string({ minLength: 1, maxLength: 30 })),
    timestamp: noisy(fc.integer({ min: 0, max: 2e9 }).map(String)),
    type: noisy(waTypes),
    text: noisy(fc.record({ body: fc.string() })),
    image: noisy(
      fc.record({
        id: maybe(fc.string({ minLength: 1 })),
        caption: maybe(fc.string()),
        mime_type: maybe(fc.string()),
      }),
    ),
    location: noisy(
      fc.record({
        latitude: fc.double({ min: -90, max: 90, noNaN: true }),
        longitude: fc.double({ min: -180, max: 180, noNaN: true }),
        name: maybe(fc.string()),
      }),
    ),
    contacts: noisy(
      fc.array(
        fc.record({
          name: fc.record({ formatted_name: fc.string() }),
          phones: fc.array(fc.record({ phone: fc.string({ maxLength: 20 }) }), { maxLength: 2 }),
        }),
        { maxLength: 2 },
      ),
    ),
    interactive: noisy(
      fc.record({ type: fc.string(), button_reply: fc.record({ id: fc.string(), title: fc.string() }) }),
    ),
    reaction: noisy(fc.record({ message_id: fc.string({ minLength: 1 }), emoji: maybe(fc.string()) })),
    context: noisy(fc.record({ id: maybe(fc.string({ minLength: 1 })) })),
  },
  { requiredKeys: ['from', 'id', 'timestamp', 'type'] },
);

const waBody = fc.record({
  object: fc.constant('whatsapp_business_account'),
  entry: fc.array(
    fc.record({
      changes: fc.array(
        fc.record({
          field: fc.constantFrom('messages', 'other'),
          value: fc.record(
            {
              contacts: noisy(
                fc.array(fc.record({ wa_id: fc.string(), profile: fc.record({ name: fc.string() }) })),
              ),
              messages: noisy(fc.array(waMessage, { maxLength: 3 })),
              statuses: noisy(
                fc.array(
                  fc.record({ id: fc.string(), status: fc.string(), timestamp: noisy(fc.nat().map(String)) }),
                  {
                    maxLength: 3,
                  },
                ),
              ),
            },
            { requiredKeys: [] },
          ),
        }),
        { maxLength: 2 },
      ),
    }),
    { maxLength: 2 },
  ),
});

const attachment = fc.record({
  type: noisy(
    fc.constantFrom('image', 'file', 'location', 'fallback', 'like_heart', 'story_mention', 'reel'),
  ),
  payload: noisy(fc.record({ url: maybe(fc.string()), sticker_id: maybe(fc.integer()) })),
});

const messagingEvent = fc.record(
  {
    sender: noisy(fc.record({ id: fc.string({ minLength: 1 }) })),
    timestamp: noisy(fc.nat()),
    message: noisy(
      fc.record(
        {
          mid: fc.string({ minLength: 1 }),
          text: maybe(fc.string()),
          is_echo: maybe(fc.boolean()),
          is_deleted: maybe(fc.boolean()),
          metadata: maybe(fc.string()),
          attachments: maybe(fc.array(attachment, { maxLength: 3 })),
        },
        { requiredKeys: ['mid'] },
      ),
    ),
    postback: noisy(fc.record({ title: maybe(fc.string()), payload: maybe(fc.string()) })),
    delivery: noisy(fc.record({ mids: fc.array(fc.string()) })),
    read: noisy(fc.record({ mid: maybe(fc.string()), watermark: maybe(fc.nat()) })),
    reaction: noisy(
      fc.record({ mid: fc.string(), action: fc.constantFrom('react', 'unreact'), emoji: maybe(fc.string()) }),
    ),
  },
  { requiredKeys: ['sender', 'timestamp'] },
);

const messagingBody = (object: string) =>
  fc.record({
    object: fc.constant(object),
    entry: fc.array(fc.record({ messaging: fc.array(messagingEvent, { maxLength: 3 }) }), { maxLength: 2 }),
  });

/**
 * Checks one body; returns how many events it produced, skipped items not counted (0 when it was
 * rejected). Every message must also pass what the desk checks beyond the schema (the sender
 * normalizes, the time is a valid date): the desk refuses a whole delivery for one event it
 * cannot take, so only the adapter's skipping keeps a bad item from costing its siblings.
 */
function check(adapter: ChannelAdapter, body: string): number {
  let events: Awaited<ReturnType<ChannelAdapter['parse']>>;
  try {
    events = adapter.parse(post(body, undefined)) as typeof events;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return 0;
  }
  for (const event of events) {
    if (event.type === 'message') {
      const result = InboundMessage.safeParse(event.message);
      if (!result.success) throw new Error(`invalid message from ${body}: ${result.error.message}`);
      const { from, createdAt } = result.data;
      expect(() => normalizeIdentityValue(from.kind, from.value), body).not.toThrow();
      expect(epochMs(createdAt ?? 0), body).toBeDefined();
    }
    if (event.type === 'status') {
      const result = StatusUpdate.safeParse(event.status);
      expect(result.success).toBe(true);
      if (result.data?.at !== undefined) expect(epochMs(result.data.at), body).toBeDefined();
    }
    if (event.type === 'echo') expect(event.externalId.length).toBeGreaterThan(0);
    if (event.type === 'skipped') {
      expect(event.reason).toMatch(/^Invalid /);
      expect(event.field).toMatch(/^entry\[\d+\]/);
    }
  }
  return events.filter((event) => event.type !== 'skipped').length;
}

describe('meta: parse never crashes', () => {
  for (const [adapter, object] of adapters) {
    it(`${adapter.id}: arbitrary JSON yields valid events or a ValidationError`, () => {
      fc.assert(
        fc.property(fc.jsonValue(), (json) => void check(adapter, JSON.stringify(json))),
        { numRuns: 300 },
      );
      fc.assert(
        fc.property(fc.string(), (text) => void check(adapter, text)),
        { numRuns: 100 },
      );
    });

    it(`${adapter.id}: near-valid ${object} bodies yield valid events or a ValidationError`, () => {
      const body = object === 'whatsapp_business_account' ? waBody : messagingBody(object);
      let accepted = 0;
      fc.assert(
        fc.property(body, (json) => {
          if (check(adapter, JSON.stringify(json)) > 0) accepted += 1;
        }),
        { numRuns: 500, seed: 20261125 },
      );
      // The generator must reach the mapping code, not only the schema's rejections.
      console.info(`${adapter.id}: ${accepted}/500 near-valid bodies produced events`);
      expect(accepted).toBeGreaterThan(10);
    });
  }
});
