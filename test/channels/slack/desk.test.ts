import { afterEach, describe, expect, it } from 'vitest';
import { slack } from '../../../src/channels/slack/index.js';
import { createWebhookHandler } from '../../../src/http/handler.js';
import { createDesk } from '../../../src/index.js';
import { type ScriptedApiServer, startScriptedApi } from '../scripted-api-server.js';
import { signedHeaders, slackFixture } from './signed-request.js';

const signingSecret = 'desk-signing-secret';
const now = 1767226000;
let api: ScriptedApiServer | undefined;

afterEach(async () => {
  await api?.close();
  api = undefined;
});

function webhook(body: string, timestamp = String(now)): Request {
  const headers = signedHeaders(signingSecret, timestamp, body);
  return new Request('https://support.example/webhooks/slack', { method: 'POST', headers, body });
}
const file = slackFixture;

async function setup() {
  api = await startScriptedApi(() => ({ json: { ok: true, channel: 'C0SHARED', ts: '1767226200.000800' } }));
  const channel = slack({
    signingSecret,
    botToken: 'xoxb-desk',
    botUserId: 'U0BOT',
    apiBaseUrl: api.url,
    clock: () => now * 1000,
  });
  const desk = createDesk({ channels: [channel], outbox: { autoStart: false } });
  return { desk, handler: createWebhookHandler(desk) };
}

describe('slack through the desk and the webhook handler', () => {
  it('answers the url_verification handshake with its challenge', async () => {
    const { desk, handler } = await setup();
    const response = await handler(webhook(file('url_verification.json')));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ challenge: 'p4Qx7eVzN1a9-challenge-from-slack' });
    await desk.close();
  });

  it('stores a shared-channel message, replies in that channel, and matches the echo of the reply', async () => {
    const { desk, handler } = await setup();
    expect((await handler(webhook(file('message_channel.json')))).status).toBe(200);
    const [conversation] = (await desk.conversations.list()).items;
    const customer = await desk.customers.get(conversation!.customerId);
    expect(customer.identities.map((i) => `${i.kind}:${i.value}`)).toEqual(['slack:T0CUST:U0CUSTANN']);

    await desk.reply(conversation!.id, { text: 'Thanks, we are looking into it' });
    await desk.outbox.flush();
    expect(api!.requests.map((r) => [r.path, r.json])).toEqual([
      ['/chat.postMessage', { channel: 'C0SHARED', text: 'Thanks, we are looking into it' }],
    ]);
    // Slack sends our own post back as an event: it must not become a customer message.
    expect((await handler(webhook(file('message_own_bot.json')))).status).toBe(200);
    const after = await desk.conversations.get(conversation!.id);
    expect(after.messageCount).toBe(2);
    await desk.close();
  });

  it('refuses a stale signature with 401', async () => {
    const { desk, handler } = await setup();
    const response = await handler(webhook(file('message_channel.json'), String(now - 600)));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'SIGNATURE' } });
    expect((await desk.conversations.list()).items).toEqual([]);
    await desk.close();
  });
});
