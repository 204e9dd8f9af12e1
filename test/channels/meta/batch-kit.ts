import { createHmac } from 'node:crypto';
import { instagram, messenger, whatsappCloud } from '../../../src/channels/meta/index.js';
import type { ChannelAdapter } from '../../../src/core/channel.js';
import type { Desk } from '../../../src/core/types.js';
import { createWebhookHandler } from '../../../src/http/handler.js';
import { createDesk } from '../../../src/index.js';
import { memoryStore } from '../../../src/stores/memory/index.js';
import { serve, type TestServer } from '../../http/helpers.js';

// Meta batches many items in one webhook delivery (WhatsApp: entry[].changes[].value.messages[] /
// statuses[]; Messenger and Instagram: entry[].messaging[]) and retries a refused delivery for up
// to 36 hours before dropping it. The payload builders, signing and desks of the batch tests: real-
// shaped batches, signed with X-Hub-Signature-256, posted through createWebhookHandler over
// 127.0.0.1 to a desk on the memory store.

export const APP_SECRET = 'meta-batch-app-secret';
export const WABA_ID = '102290129340398';
export const PHONE_NUMBER_ID = '106540352242922';
export const PAGE_ID = '109876543210987';
export const IG_ACCOUNT = '17841412345678901';
export const SENT_S = 1_764_057_600; // the deliveries' timestamp (unix seconds)
export const NOW_MS = SENT_S * 1000 + 60_000;
export const MAYA = '447700900123';
export const SAM = '14155550100';

const cleanup: (() => Promise<void>)[] = [];
/** Registers something to close after the test. */
export const onCleanup = (close: () => Promise<void>) => void cleanup.push(close);
/** Closes what the last test started (register with `afterEach(closeAll)`). */
export async function closeAll(): Promise<void> {
  for (const close of cleanup.splice(0).reverse()) await close();
}

export type Json = Record<string, unknown>;

export const sign = (body: string) => `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}`;

export interface Logs {
  warn: string[];
  error: unknown[][];
}

export function makeDesk(channels: ChannelAdapter[], logs: Logs): Desk {
  const desk = createDesk({
    store: memoryStore(),
    channels,
    clock: () => NOW_MS,
    outbox: { autoStart: false },
    logger: {
      warn: (message: string) => void logs.warn.push(message),
      error: (...a) => void logs.error.push(a),
    },
  });
  cleanup.push(() => desk.close());
  return desk;
}

export function channelsWith(apiBaseUrl?: string): ChannelAdapter[] {
  const common = { appSecret: APP_SECRET, verifyToken: 'v', apiBaseUrl, delivery: { retries: 0 } };
  return [
    whatsappCloud({ ...common, accessToken: 'EAAG-batch', phoneNumberId: PHONE_NUMBER_ID }),
    messenger({ ...common, pageAccessToken: 'EAAP-batch' }),
    instagram({ ...common, pageAccessToken: 'EAAI-batch' }),
  ];
}

/** A desk with the three Meta channels behind createWebhookHandler on a real HTTP server. */
export async function start(apiBaseUrl?: string) {
  const logs: Logs = { warn: [], error: [] };
  const desk = makeDesk(channelsWith(apiBaseUrl), logs);
  const server: TestServer = await serve(createWebhookHandler(desk));
  cleanup.push(server.close);
  const post = async (channel: string, payload: unknown) => {
    const body = JSON.stringify(payload);
    const response = await fetch(`${server.url}/webhooks/${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) },
      body,
    });
    const text = await response.text();
    return { status: response.status, error: text ? (JSON.parse(text).error as Json) : undefined };
  };
  return { desk, logs, post };
}

/** The provider ids of the inbound messages the desk stored, in order. */
export async function storedIds(desk: Desk): Promise<string[]> {
  const logged = await desk.store.readEvents({ limit: 100_000 });
  return logged.flatMap(({ event }) =>
    event.type === 'message.received' && event.message.direction === 'inbound'
      ? [event.message.externalId ?? '']
      : [],
  );
}

export const eventCount = async (desk: Desk) => (await desk.store.readEvents({ limit: 100_000 })).length;

// --- WhatsApp Cloud payloads, in the shape of Meta's Webhooks > Reference > messages -------------

export const waText = (id: string, body: unknown, from = MAYA): Json => ({
  from,
  id,
  timestamp: String(SENT_S),
  type: 'text',
  text: { body },
});

export const contact = (waId: string, name: unknown): Json => ({ profile: { name }, wa_id: waId });

export function waDelivery(...values: Json[]): Json {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: WABA_ID,
        changes: values.map((value) => ({
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550001111', phone_number_id: PHONE_NUMBER_ID },
            ...value,
          },
          field: 'messages',
        })),
      },
    ],
  };
}

export const waStatus = (id: string, status: string): Json => ({
  id,
  status,
  timestamp: String(SENT_S + 30),
  recipient_id: MAYA,
  conversation: { id: 'c0ffee', origin: { type: 'service' } },
  pricing: { billable: true, pricing_model: 'CBP', category: 'service' },
});

// --- Messenger Platform / Instagram payloads (Webhooks > Webhook events > messages) ---------------

export const PSID = '6823451098734521';
export const IGSID = '17841400000000001';

export const fbText = (mid: string, text: unknown, sender = PSID): Json => ({
  sender: { id: sender },
  recipient: { id: PAGE_ID },
  timestamp: SENT_S * 1000 + 123,
  message: { mid, text },
});

export function messagingDelivery(object: 'page' | 'instagram', ...entries: unknown[][]): Json {
  const id = object === 'page' ? PAGE_ID : IG_ACCOUNT;
  return { object, entry: entries.map((messaging) => ({ id, time: SENT_S * 1000 + 500, messaging })) };
}
