import { afterEach, describe, expect, it } from 'vitest';
import { mailgunInbound, postmarkInbound, sendgridInbound } from '../../../src/channels/email/index.js';
import { signIdentityToken } from '../../../src/http/token.js';
import type { InboundEvent } from '../../../src/model/inbound.js';
import type { Message } from '../../../src/model/records.js';
import { rawRequest } from '../../channels/email/helpers.js';
import { type ChatFixture, post, SECRET, say, startChat, until } from './helpers.js';

let fx: ChatFixture;

const DELAY = 80;

/** Ann's identity token: a visitor it signed in sends it with every later request. */
const annToken = () =>
  signIdentityToken(
    { sub: 'user-42', email: 'ann@example.com', exp: Math.floor(Date.now() / 1000) + 600 },
    SECRET,
  );

async function identifiedVisitor(visitor: string, clientId = 'c1'): Promise<Message> {
  const response = await say(fx, visitor, { clientId, text: 'Is my order shipped?' }, await annToken());
  return ((await response.json()) as { message: Message }).message;
}

async function replyAndWaitDelivered(conversationId: string, text: string): Promise<Message> {
  const reply = await fx.desk.reply(conversationId, {
    text,
    channel: 'webchat',
    author: { type: 'agent', name: 'Sam' },
  });
  await until(async () => (await fx.desk.store.getMessage(reply.id))?.status === 'delivered');
  return reply;
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('email continuity', () => {
  afterEach(() => fx.close());

  it('emails an unread web-chat reply after the delay, with a reply+ Reply-To', async () => {
    fx = await startChat({
      emailFallback: { channel: 'postmark', delayMs: DELAY, replyDomain: 'inbound.example.com' },
    });
    const first = await identifiedVisitor('ann-browser');
    const reply = await replyAndWaitDelivered(first.conversationId, 'Yes, it ships today.');
    const request = await until(() => fx.postmark.requests[0]);
    expect(request.url).toBe('/email');
    expect(JSON.parse(request.body)).toMatchObject({
      To: 'ann@example.com',
      ReplyTo: `reply+${first.conversationId}@inbound.example.com`,
      TextBody: 'Yes, it ships today.',
    });
    const copy = (await fx.desk.timeline(first.customerId, { limit: 1 }).page()).items[0]!;
    expect(copy).toMatchObject({
      channel: 'postmark',
      conversationId: first.conversationId,
      author: { type: 'agent', name: 'Sam' },
      meta: { copyOf: reply.id, replyTo: `reply+${first.conversationId}@inbound.example.com` },
    });
    expect(fx.postmark.requests).toHaveLength(1);
  });

  it('sends no copy when the visitor reads the reply in time', async () => {
    fx = await startChat({ emailFallback: { channel: 'postmark', delayMs: DELAY } });
    const first = await identifiedVisitor('ann-browser');
    const reply = await replyAndWaitDelivered(first.conversationId, 'Seen in the widget');
    const read = await post(fx, '/chat/read', 'ann-browser', { messageId: reply.id }, await annToken());
    expect(read.status).toBe(204);
    await settle(DELAY * 3);
    expect(fx.postmark.requests).toEqual([]);
    expect((await fx.desk.store.getMessage(reply.id))?.status).toBe('read');
  });

  it('sends no copy to a customer without a verified email, nor after close()', async () => {
    fx = await startChat({ emailFallback: { channel: 'postmark', delayMs: DELAY } });
    const anonymous = await say(fx, 'anon', { clientId: 'c1', text: 'hi' });
    const { message } = (await anonymous.json()) as { message: Message };
    await fx.desk.identify(message.customerId, { kind: 'email', value: 'claimed@example.com' });
    await replyAndWaitDelivered(message.conversationId, 'to nobody');
    const first = await identifiedVisitor('ann-browser', 'c2');
    await replyAndWaitDelivered(first.conversationId, 'dropped by close');
    fx.chat.close();
    await settle(DELAY * 3);
    expect(fx.postmark.requests).toEqual([]);
  });

  it('an inbound email to reply+<conversationId>@ lands in that conversation', async () => {
    fx = await startChat({}, { continuity: { reopenWithinMs: 0 } });
    const first = await identifiedVisitor('ann-browser');
    await fx.desk.conversations.update(first.conversationId, { status: 'resolved' });
    await settle(5);
    const later = await say(fx, 'ann-browser', { clientId: 'c2', text: 'New topic' }, await annToken());
    const newer = ((await later.json()) as { message: Message }).message;
    expect(newer.conversationId).not.toBe(first.conversationId);

    const webhook = await fetch(fx.url('/webhooks/postmark'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(postmarkPayload(`reply+${first.conversationId}@inbound.example.com`)),
    });
    expect(webhook.status).toBe(200);
    const [email] = (await fx.desk.timeline(first.customerId, { limit: 1 }).page()).items;
    expect(email).toMatchObject({ channel: 'postmark', conversationId: first.conversationId });
    expect((await fx.desk.conversations.get(first.conversationId)).status).toBe('open');
  });
});

function postmarkPayload(to: string) {
  return {
    From: 'ann@example.com',
    FromFull: { Email: 'ann@example.com', Name: 'Ann' },
    To: `"Support" <${to}>`,
    OriginalRecipient: to,
    Subject: 'Re: Your request',
    MessageID: 'a1b2c3',
    TextBody: 'Thanks, got it by email.',
    Headers: [
      { Name: 'Received-SPF', Value: 'pass (example.com: domain of ann@example.com designates 192.0.2.1)' },
      { Name: 'Message-ID', Value: '<reply-by-email@example.com>' },
    ],
  };
}

function conversationOf(events: InboundEvent[]): string | undefined {
  const [event] = events;
  return event?.type === 'message' ? event.message.conversationId : undefined;
}

describe('reply+ addresses in each provider format', () => {
  it('Postmark: To / OriginalRecipient (the id keeps its case)', async () => {
    const raw = rawRequest(
      JSON.stringify(postmarkPayload('reply+01JDQ8ZK3Y@inbound.example.com')),
      'application/json',
    );
    expect(conversationOf(await postmarkInbound().parse(raw))).toBe('01JDQ8ZK3Y');
    const plain = rawRequest(
      JSON.stringify(postmarkPayload('support@inbound.example.com')),
      'application/json',
    );
    expect(conversationOf(await postmarkInbound().parse(plain))).toBeUndefined();
  });

  it('SendGrid Inbound Parse: the envelope and to fields', async () => {
    const fields: Record<string, string> = {
      from: 'Ann <ann@example.com>',
      to: 'Support <reply+01JDQ8ZK3Y@inbound.example.com>',
      envelope: JSON.stringify({ to: ['reply+01JDQ8ZK3Y@inbound.example.com'], from: 'ann@example.com' }),
      subject: 'Re: Your request',
      text: 'Thanks',
      SPF: 'pass',
    };
    const body = Object.entries(fields)
      .map(([name, value]) => `--xYzZY\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join('');
    const raw = rawRequest(`${body}--xYzZY--\r\n`, 'multipart/form-data; boundary=xYzZY');
    expect(conversationOf(await sendgridInbound().parse(raw))).toBe('01JDQ8ZK3Y');
  });

  it('Mailgun routes: the recipient field', async () => {
    const form = new URLSearchParams({
      recipient: 'reply+01JDQ8ZK3Y@mg.example.com',
      sender: 'ann@example.com',
      from: 'Ann <ann@example.com>',
      subject: 'Re: Your request',
      'body-plain': 'Thanks',
    });
    const raw = rawRequest(form.toString(), 'application/x-www-form-urlencoded');
    const adapter = mailgunInbound({ signingKey: 'key-0123456789' });
    expect(conversationOf(await adapter.parse(raw))).toBe('01JDQ8ZK3Y');
  });
});
