import { afterEach, describe, expect, it } from 'vitest';
import { messenger, whatsappCloud } from '../../../src/channels/meta/index.js';
import type { Desk } from '../../../src/core/types.js';
import { createDesk } from '../../../src/index.js';
import { PolicyError } from '../../../src/model/errors.js';
import { memoryStore } from '../../../src/stores/memory/index.js';
import { startGraph } from './graph-server.js';
import { APP_SECRET, fixture, sign, VERIFY_TOKEN } from './helpers.js';

const SENT_AT = 1_764_057_600_000; // the fixtures' timestamp
let now = SENT_AT + 60_000;
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0)) await close();
});

function webhook(channelId: string, body: string): Request {
  return new Request(`https://desk.example.com/webhooks/${channelId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(APP_SECRET, body) },
    body,
  });
}

async function deskWith(
  api: 'whatsapp' | 'messaging',
  token: string,
): Promise<{ desk: Desk; graph: Awaited<ReturnType<typeof startGraph>> }> {
  const graph = await startGraph(token, api);
  const common = {
    appSecret: APP_SECRET,
    verifyToken: VERIFY_TOKEN,
    apiBaseUrl: graph.url,
    delivery: { retries: 0 },
  };
  const channel =
    api === 'whatsapp'
      ? whatsappCloud({ ...common, accessToken: token, phoneNumberId: '106540352242922' })
      : messenger({ ...common, pageAccessToken: token });
  const desk = createDesk({
    store: memoryStore(),
    channels: [channel],
    clock: () => now,
    outbox: { autoStart: false },
  });
  cleanup.push(graph.close, () => desk.close());
  return { desk, graph };
}

describe('meta adapters inside a desk', () => {
  it('WhatsApp: handshake, inbound, reply, status; the 24-hour window refuses free text but passes templates', async () => {
    now = SENT_AT + 60_000;
    const { desk, graph } = await deskWith('whatsapp', 'EAAG-desk');
    const challenge = await desk.handleWebhook(
      'whatsapp',
      new Request(
        `https://desk.example.com/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=42`,
      ),
    );
    expect([challenge.status, await challenge.text()]).toEqual([200, '42']);

    expect(
      (await desk.handleWebhook('whatsapp', webhook('whatsapp', fixture('whatsapp/text.json')))).status,
    ).toBe(200);
    const { items } = await desk.conversations.list();
    const conversation = items[0]!;
    const customer = await desk.customers.get(conversation.customerId);
    expect(customer.displayName).toBe('Maya Okafor');
    expect(customer.identities.map((i) => [i.kind, i.value, i.verified])).toEqual([
      ['whatsapp', '+447700900123', true],
    ]);

    const reply = await desk.reply(conversation.id, { text: 'Looking into it now.' });
    await desk.outbox.flush();
    expect(graph.requests.map((r) => r.body)).toMatchObject([
      { to: '447700900123', text: { body: 'Looking into it now.' } },
    ]);
    const status = fixture('whatsapp/status-read.json').replace('wamid.OUT0001', 'wamid.SENT1');
    await desk.handleWebhook('whatsapp', webhook('whatsapp', status));
    const stored = await desk.store.getMessage(reply.id);
    expect([stored?.externalId, stored?.status]).toEqual(['wamid.SENT1', 'read']);

    now = SENT_AT + 25 * 3_600_000;
    await expect(desk.reply(conversation.id, { text: 'Still there?' })).rejects.toBeInstanceOf(PolicyError);
    await desk.reply(conversation.id, {
      parts: [{ type: 'template', name: 'follow_up', language: 'en', params: ['Maya'] }],
    });
    await desk.outbox.flush();
    expect(graph.requests.at(-1)?.body).toMatchObject({ type: 'template', template: { name: 'follow_up' } });
  });

  it('Messenger: the echo of our own send is matched by metadata, not stored as a new message', async () => {
    now = SENT_AT + 60_000;
    const { desk, graph } = await deskWith('messaging', 'EAAP-desk');
    await desk.handleWebhook('messenger', webhook('messenger', fixture('messenger/text.json')));
    const conversation = (await desk.conversations.list()).items[0]!;
    const reply = await desk.reply(conversation.id, { text: 'Yes, we do.' });
    await desk.outbox.flush();
    const metadata = (graph.requests[0]!.body as { message: { metadata: string } }).message.metadata;
    expect(metadata).toBe(reply.id); // the outbox's idempotency key is the message id
    const echo = JSON.parse(fixture('messenger/echo.json'));
    echo.entry[0].messaging[0].message.metadata = metadata;
    echo.entry[0].messaging[0].message.mid = 'm_sent-1';
    const before = conversation.messageCount;
    expect((await desk.handleWebhook('messenger', webhook('messenger', JSON.stringify(echo)))).status).toBe(
      200,
    );
    const after = await desk.conversations.get(conversation.id);
    expect(after.messageCount).toBe(before + 1); // the reply, and no echo copy
    expect(reply.channel).toBe('messenger');
  });
});
