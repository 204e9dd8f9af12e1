import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { telegram } from '../../../src/channels/telegram/index.js';
import { createWebhookHandler } from '../../../src/http/handler.js';
import { createDesk } from '../../../src/index.js';
import { type ScriptedApiServer, startScriptedApi } from '../scripted-api-server.js';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/telegram');
const secretToken = 'desk_secret';
let api: ScriptedApiServer | undefined;

afterEach(async () => {
  await api?.close();
  api = undefined;
});

function webhook(file: string, secret = secretToken): Request {
  return new Request('https://support.example/webhooks/telegram', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
    body: readFileSync(path.join(fixtures, file), 'utf8'),
  });
}

async function setup() {
  api = await startScriptedApi(() => ({
    json: { ok: true, result: { message_id: 501, chat: { id: 424242001 } } },
  }));
  const channel = telegram({
    botToken: '6000000001:AAE-desk',
    secretToken,
    apiBaseUrl: api.url,
    delivery: { retries: 0 },
  });
  const desk = createDesk({ channels: [channel], outbox: { autoStart: false } });
  return { desk, handler: createWebhookHandler(desk) };
}

describe('telegram through the desk and the webhook handler', () => {
  it('stores a webhook once, links the shared phone, and replies through sendMessage', async () => {
    const { desk, handler } = await setup();
    expect((await handler(webhook('contact_self.json'))).status).toBe(200);
    expect((await handler(webhook('contact_self.json'))).status).toBe(200);
    expect((await handler(webhook('text_private.json'))).status).toBe(200);
    const [conversation] = (await desk.conversations.list()).items;
    expect(conversation?.messageCount).toBe(2);
    const customer = await desk.customers.get(conversation!.customerId);
    expect(customer.displayName).toBe('Ann Lee');
    expect(customer.identities.map((i) => [i.kind, i.value, i.verified])).toEqual([
      ['telegram', '424242001', true],
      ['phone', '+4915112345678', true],
    ]);

    const reply = await desk.reply(conversation!.id, { text: 'We are on it' });
    await desk.outbox.flush();
    expect(api!.requests.map((r) => [r.path, r.json])).toEqual([
      ['/bot6000000001:AAE-desk/sendMessage', { chat_id: '424242001', text: 'We are on it' }],
    ]);
    const sent = (await desk.timeline(customer.id).page()).items.find((m) => m.id === reply.id);
    expect(sent).toMatchObject({ status: 'sent', externalId: '424242001:501' });
    await desk.close();
  });

  it('refuses a wrong secret with 401 and stores nothing', async () => {
    const { desk, handler } = await setup();
    expect((await handler(webhook('text_private.json', 'wrong'))).status).toBe(401);
    expect((await desk.conversations.list()).items).toEqual([]);
    await desk.close();
  });

  it('answers a button press with answerCallbackQuery in the webhook response', async () => {
    const { desk, handler } = await setup();
    const response = await handler(webhook('callback_query.json'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      method: 'answerCallbackQuery',
      callback_query_id: '4382bfdwdsb323b2d9',
    });
    await desk.close();
  });
});
