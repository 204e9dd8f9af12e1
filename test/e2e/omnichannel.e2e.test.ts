import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postmarkInbound } from '../../src/channels/email/index.js';
import { twilioSms, twilioWhatsApp } from '../../src/channels/twilio/index.js';
import { createWebhookHandler, toNodeListener } from '../../src/http/index.js';
import { createDesk } from '../../src/index.js';
import { type ScriptedApiServer, startScriptedApi } from '../channels/scripted-api-server.js';

// One customer, three channels, every hop over real HTTP: provider webhooks into a node:http
// server running the Fetch-API handler, and replies out to provider-shaped APIs on 127.0.0.1.
const ACCOUNT_SID = `AC${'1a'.repeat(16)}`;
const AUTH_TOKEN = 'e2e-twilio-auth-token';
const ANN = '+14155550100';

let providers: ScriptedApiServer;
let server: Server;
let base: string;
let liveDesk: ReturnType<typeof createDesk>;

function twilioSignature(url: string, params: Record<string, string>): string {
  const data =
    url +
    Object.keys(params)
      .sort()
      .map((key) => key + params[key])
      .join('');
  return createHmac('sha1', AUTH_TOKEN).update(data).digest('base64');
}

async function postTwilio(channel: string, params: Record<string, string>) {
  const url = `${base}/webhooks/${channel}`;
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(url, params),
    },
    body: new URLSearchParams(params).toString(),
  });
}

beforeAll(async () => {
  let sid = 0;
  providers = await startScriptedApi((request) => {
    if (request.path.startsWith('/twilio/'))
      return { status: 201, json: { sid: `SM${String(++sid).padStart(32, '0')}`, status: 'queued' } };
    return {
      status: 200,
      json: { To: 'ann@example.com', MessageID: `pm-${++sid}`, ErrorCode: 0, Message: 'OK' },
    };
  });
  const twilio = {
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    apiBaseUrl: `${providers.url}/twilio`,
    delivery: { retries: 0 },
  };
  liveDesk = createDesk({
    outbox: { autoStart: false },
    channels: [
      twilioSms({ ...twilio, from: '+14155550000' }),
      twilioWhatsApp({ ...twilio, from: 'whatsapp:+14155550000' }),
      postmarkInbound({
        serverToken: 'pm-token',
        baseUrl: `${providers.url}/postmark`,
        from: { address: 'help@shop.example' },
        domain: 'shop.example',
      }),
    ],
  });
  server = createServer(toNodeListener(createWebhookHandler(liveDesk, { basePath: '/webhooks' })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await providers.close();
  await liveDesk.close();
});

it('SMS, then WhatsApp, then an email reply threaded by In-Reply-To: one conversation; replies follow the latest channel', async () => {
  const sms = await postTwilio('twilio-sms', {
    MessageSid: 'SM000000000000000000000000000000a1',
    AccountSid: ACCOUNT_SID,
    From: ANN,
    To: '+14155550000',
    Body: 'My order has not arrived',
    NumMedia: '0',
  });
  expect(sms.status).toBe(204);
  const whatsapp = {
    MessageSid: 'SM000000000000000000000000000000a2',
    AccountSid: ACCOUNT_SID,
    From: `whatsapp:${ANN}`,
    To: 'whatsapp:+14155550000',
    Body: 'Photo of the label coming',
    NumMedia: '0',
    ProfileName: 'Ann Lee',
  };
  expect((await postTwilio('twilio-whatsapp', whatsapp)).status).toBe(204);
  // A provider retry of the same delivery stores nothing new.
  const retry = await postTwilio('twilio-whatsapp', whatsapp);
  expect(retry.status).toBe(204);

  const [conversation] = (await liveDesk.conversations.list()).items;
  expect(conversation?.channels).toEqual(['twilio-sms', 'twilio-whatsapp']);
  const customerId = conversation!.customerId;
  expect((await liveDesk.customers.get(customerId)).displayName).toBe('Ann Lee');

  // The shop's login vouches for Ann's email; the agent answers by email.
  await liveDesk.identify(
    customerId,
    { kind: 'email', value: 'ann@example.com', verified: true },
    { reason: 'login' },
  );
  const byEmail = await liveDesk.reply(conversation!.id, {
    text: 'Could you send the invoice?',
    channel: 'postmark',
  });
  await liveDesk.outbox.flush();
  const sent = await liveDesk.store.getMessage(byEmail.id);
  expect(sent?.status).toBe('sent');
  const ourMessageId = sent!.externalId!;
  const firstMail = providers.requests.find((r) => r.path === '/postmark/email')!.json as {
    To: string;
    Headers: { Name: string; Value: string }[];
  };
  expect(firstMail.To).toContain('ann@example.com');

  const mail = await fetch(`${base}/webhooks/postmark`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      FromFull: { Email: 'ann@example.com', Name: 'Ann Lee' },
      From: 'ann@example.com',
      To: 'help@shop.example',
      Subject: 'Re: Your order',
      MessageID: 'b7bc2f4a-e38e-4336-af7d-e6c392c2f817',
      TextBody: 'Invoice attached.\n\nOn Mon, Support wrote:\n> Could you send the invoice?',
      StrippedTextReply: 'Invoice attached.',
      Headers: [
        { Name: 'Message-ID', Value: '<ann-reply-1@mail.example.com>' },
        { Name: 'In-Reply-To', Value: `<${ourMessageId}>` },
        { Name: 'References', Value: `<${ourMessageId}>` },
        { Name: 'Received-SPF', Value: 'Pass (sender SPF authorized)' },
      ],
      Attachments: [],
    }),
  });
  expect(mail.status).toBe(200);

  const context = await liveDesk.context({ customerId });
  expect(context.counts).toMatchObject({ conversations: 1, messages: 4 });
  expect(context.conversations[0]!.channels).toEqual(['twilio-sms', 'twilio-whatsapp', 'postmark']);
  expect(context.messages[0]).toMatchObject({
    channel: 'postmark',
    direction: 'inbound',
    parts: [{ type: 'text', text: 'Invoice attached.' }],
  });

  // No channel given: the reply goes out on the customer's latest channel, threaded.
  const answer = await liveDesk.reply(conversation!.id, { text: 'Thanks, a replacement ships today.' });
  expect(answer.channel).toBe('postmark');
  await liveDesk.outbox.flush();
  const mails = providers.requests.filter((r) => r.path === '/postmark/email');
  expect(mails).toHaveLength(2);
  const headers = (mails[1]!.json as { Headers: { Name: string; Value: string }[] }).Headers;
  expect(headers.find((h) => h.Name === 'In-Reply-To')?.Value).toBe('<ann-reply-1@mail.example.com>');
  expect(providers.requests.filter((r) => r.path.startsWith('/twilio/'))).toHaveLength(0);
});
