import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isThreadlineError } from '../../src/model/errors.js';
import { identityKey } from '../../src/model/identity.js';
import type { InboundMessage } from '../../src/model/inbound.js';
import { testDesk } from './helpers.js';

const people = ['+14155550100', '+14155550101', '+14155550102', '+14155550103'];
const channels = ['sms', 'whatsapp', 'email', 'webchat'] as const;

function inbound(channel: (typeof channels)[number], person: number, externalId: number): InboundMessage {
  const phone = people[person]!;
  const from =
    channel === 'email'
      ? { kind: 'email' as const, value: `p${person}@example.com`, verified: true }
      : channel === 'webchat'
        ? { kind: 'webchat' as const, value: `visitor-${person}` }
        : {
            kind: channel === 'sms' ? ('phone' as const) : ('whatsapp' as const),
            value: phone,
            verified: true,
          };
  return { channel, from, text: `${channel} from ${person}`, externalId: `x${externalId}` };
}

const op = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('receive' as const),
      channel: fc.constantFrom(...channels),
      person: fc.nat(3),
      externalId: fc.nat(30),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('identify' as const),
      target: fc.nat(20),
      person: fc.nat(3),
      verified: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('merge' as const), a: fc.nat(20), b: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unmerge' as const), which: fc.nat(10) }) },
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

describe('the core under random interleavings (property)', () => {
  it('never loses, duplicates or misplaces a message', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 25 }),
        fc.constantFrom('omnichannel', 'multichannel'),
        async (rounds, mode) => {
          const { desk, events, advance } = testDesk({ continuity: { mode: mode as 'omnichannel' } });
          const customers: string[] = [];
          const merges: string[] = [];
          const stored = new Set<string>();
          desk.on('customer.created', (e) => customers.push(e.customer.id));
          const run = async (o: Op) => {
            if (o.kind === 'receive') {
              const r = await desk.receive(inbound(o.channel, o.person, o.externalId));
              if (r.created) stored.add(`${o.channel}/x${o.externalId}`);
            } else if (o.kind === 'identify') {
              const target = customers[o.target % Math.max(1, customers.length)];
              if (target)
                await desk.identify(target, {
                  kind: 'email',
                  value: `p${o.person}@example.com`,
                  verified: o.verified,
                });
            } else if (o.kind === 'merge') {
              const [a, b] = [
                customers[o.a % Math.max(1, customers.length)],
                customers[o.b % Math.max(1, customers.length)],
              ];
              if (a && b && a !== b) merges.push((await desk.merge(a, b)).id);
            } else if (merges.length > 0) {
              await desk.unmerge(merges[o.which % merges.length]!);
            }
          };
          for (const round of rounds) {
            const results = await Promise.allSettled(round.map(run));
            for (const result of results) {
              if (result.status === 'rejected' && !isThreadlineError(result.reason)) throw result.reason;
            }
            advance(60_000);
          }
          // Every stored message is in exactly one live customer's timeline, and nowhere else.
          const seen = new Map<string, string>();
          for (const id of customers) {
            const customer = (await desk.store.getCustomer(id))!;
            const messages = await desk.store.listMessages({ customerId: id }, { limit: 10_000 });
            if (customer.mergedInto !== undefined) {
              expect(messages).toEqual([]);
              continue;
            }
            for (const message of messages) {
              expect(seen.has(message.id)).toBe(false);
              seen.set(message.id, id);
              const conversation = await desk.store.getConversation(message.conversationId);
              expect(conversation?.customerId).toBe(id);
            }
            for (const identity of customer.identities) {
              expect(
                (
                  await desk.store.findCustomerByIdentity(
                    'default',
                    identityKey(identity.kind, identity.value),
                  )
                )?.id,
              ).toBe(id);
            }
          }
          expect(seen.size).toBe(stored.size);
          const received = events.filter((e) => e.type === 'message.received');
          expect(new Set(received.map((e) => (e.type === 'message.received' ? e.message.id : ''))).size).toBe(
            stored.size,
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});
