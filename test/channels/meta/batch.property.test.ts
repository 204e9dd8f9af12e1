import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookHandler, type FetchHandler } from '../../../src/http/handler.js';
import {
  channelsWith,
  closeAll,
  contact,
  fbText,
  type Json,
  type Logs,
  MAYA,
  makeDesk,
  messagingDelivery,
  SAM,
  sign,
  storedIds,
  waDelivery,
  waText,
} from './batch-kit.js';

afterEach(closeAll);

// Meta batches, property: random mixes of valid and corrupted items, exactly the valid ones stored.

/** Ways Meta (or a proxy) could send one WhatsApp message wrong; each makes it unreadable. */
const waCorruptions: ((message: Json) => unknown)[] = [
  (m) => ({ ...m, text: { body: 12 } }),
  (m) => ({ ...m, from: 'not-a-number' }),
  (m) => ({ ...m, from: '1' }),
  ({ id: _, ...m }) => m,
  (m) => ({ ...m, timestamp: '-5' }),
  (m) => ({ ...m, type: 'image' }),
  (m) => ({ ...m, type: 'location', location: { latitude: 200, longitude: 0 } }),
  () => null,
  () => 'wamid.just-a-string',
];

/** The same for one Messenger event. */
const fbCorruptions: ((event: Json) => unknown)[] = [
  ({ sender: _, ...e }) => e,
  (e) => ({ ...e, timestamp: String(e.timestamp) }),
  (e) => ({ ...e, timestamp: 1e300 }),
  (e) => ({ ...e, message: { ...(e.message as Json), mid: '' } }),
  (e) => ({ ...e, message: { ...(e.message as Json), text: { text: 'nested' } } }),
  () => [],
];

/** Items of a batch: each valid, or corrupted by the corruption of that index. */
const batchItems = (corruptions: number) =>
  fc.array(fc.option(fc.nat({ max: corruptions - 1 }), { nil: undefined, freq: 2 }), {
    minLength: 1,
    maxLength: 8,
  });

/** Splits `items` into groups of the given sizes (the rest in the last group). */
function grouped<T>(items: T[], sizes: number[]): T[][] {
  const groups: T[][] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= items.length) break;
    groups.push(items.slice(at, at + size));
    at += size;
  }
  if (at < items.length) groups.push(items.slice(at));
  return groups;
}

async function postDirect(handler: FetchHandler, channel: string, payload: unknown): Promise<number> {
  const body = JSON.stringify(payload);
  const response = await handler(
    new Request(`http://127.0.0.1/webhooks/${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) },
      body,
    }),
  );
  await response.text();
  return response.status;
}

/** Posts a batch to a fresh desk; the valid ids must be exactly what is stored (none when all are bad). */
async function checkBatch(channel: string, payload: unknown, valid: string[], total: number): Promise<void> {
  const logs: Logs = { warn: [], error: [] };
  const desk = makeDesk(channelsWith(), logs);
  const status = await postDirect(createWebhookHandler(desk), channel, payload);
  expect(status).toBe(valid.length > 0 ? 200 : 400);
  expect(await storedIds(desk)).toEqual(valid);
  expect(logs.warn).toHaveLength(valid.length > 0 ? total - valid.length : 0);
  expect(logs.error).toEqual([]);
  await desk.close();
}

describe('meta batches: property', () => {
  it('WhatsApp: for any mix of valid and corrupted messages over changes, exactly the valid ones are stored', async () => {
    await fc.assert(
      fc.asyncProperty(
        batchItems(waCorruptions.length),
        fc.array(fc.integer({ min: 1, max: 4 })),
        async (items, sizes) => {
          const messages = items.map((corruption, i) => {
            const message = waText(`wamid.P${i}`, `message ${i}`, i % 2 ? MAYA : SAM);
            return corruption === undefined ? message : waCorruptions[corruption]!(message);
          });
          const valid = items.flatMap((corruption, i) => (corruption === undefined ? [`wamid.P${i}`] : []));
          const contacts = [contact(MAYA, 'Maya Okafor'), contact(SAM, 'Sam Lee')];
          const payload = waDelivery(
            ...grouped(messages, sizes).map((group) => ({ contacts, messages: group })),
          );
          await checkBatch('whatsapp', payload, valid, items.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('Messenger: for any mix of valid and corrupted events over entries, exactly the valid ones are stored', async () => {
    await fc.assert(
      fc.asyncProperty(
        batchItems(fbCorruptions.length),
        fc.array(fc.integer({ min: 1, max: 3 })),
        async (items, sizes) => {
          const events = items.map((corruption, i) => {
            const event = fbText(`m_P${i}`, `event ${i}`);
            return corruption === undefined ? event : fbCorruptions[corruption]!(event);
          });
          const valid = items.flatMap((corruption, i) => (corruption === undefined ? [`m_P${i}`] : []));
          await checkBatch(
            'messenger',
            messagingDelivery('page', ...grouped(events, sizes)),
            valid,
            items.length,
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});
