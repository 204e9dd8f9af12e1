import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { mailgunInbound, postmarkInbound, sendgridInbound } from '../../../src/channels/email/index.js';
import { composeEmail } from '../../../src/channels/email/send.js';
import type { OutboundDelivery } from '../../../src/core/channel.js';
import { createWebhookHandler } from '../../../src/http/handler.js';
import { createDesk } from '../../../src/index.js';
import { ValidationError } from '../../../src/model/errors.js';
import type { InboundMessage } from '../../../src/model/inbound.js';
import { memoryStore } from '../../../src/stores/memory/index.js';
import { type Answer, fastDelivery, makeDelivery, startServer } from './helpers.js';
import { mailgunRequest, postmarkJson, postmarkRequest, sendgridRequest } from './hostile-mail.js';

/** Webhook credentials: only an authenticated adapter lets the provider's SPF or DKIM result verify a sender. */
const basicAuth = { username: 'hook', password: 'hook-password' };

let servers: { close: () => Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});
async function serve(answer: Answer) {
  const server = await startServer(() => answer);
  servers.push(server);
  return server;
}

const postmarkOk: Answer = {
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: '{"ErrorCode":0,"Message":"OK"}',
};
const sendgridOk: Answer = { status: 202 };
const mailgunOk: Answer = {
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: '{"id":"<20261125.1@mg.example.com>","message":"Queued. Thank you."}',
};

/** A From name with a line break, as an environment variable with a stray newline gives it. */
const from = { address: 'support@example.com', name: 'Example Support\r\nBcc: victim@example.net' };
const replyTo = 'reply+{conversationId}@inbound.example.com';
const ourMessageId = '<threadline-0192f5a0-7c2b-7d11-a1b2-c3d4e5f60999@example.com>';

// Ids as inbound mail (anyone's) can make them: a line break, a NUL, a non-ASCII character, a
// bracket inside, one longer than a header line; then a long thread of well-formed ids.
const wellFormed = Array.from(
  { length: 3_000 },
  (_, i) => `ref-${String(i).padStart(4, '0')}@mail.example.org`,
);
const hostileThread: NonNullable<OutboundDelivery['thread']> = {
  inReplyTo: 'CAF=reply.4471@mail.gmail.com',
  references: [
    '<root.1@mail.example.org>',
    'evil@mail.example.org>\r\nBcc: victim@example.net',
    'nul\u0000@mail.example.org',
    'caf\u00e9@mail.example.org',
    'a<b>c@mail.example.org',
    `${'x'.repeat(1_000)}@mail.example.org`,
    ...wellFormed,
  ],
  subject: 'Order 1234\r\nBcc: victim@example.net\u0000',
};
// One line of at most 998 characters with `References: `: the root, then the newest that fit.
const boundedReferences = [
  '<root.1@mail.example.org>',
  ...wellFormed.slice(-33).map((id) => `<${id}>`),
  '<CAF=reply.4471@mail.gmail.com>',
].join(' ');
const safeSubject = 'Re: Order 1234 Bcc: victim@example.net';
const safeFrom = '"Example Support Bcc: victim@example.net" <support@example.com>';

describe('outbound header values made from inbound mail, agents and options', () => {
  it('the bounded References fill one header line', () => {
    expect(`References: ${boundedReferences}`.length).toBeLessThanOrEqual(998);
    expect(`References: ${boundedReferences} <${wellFormed[0]}>`.length).toBeGreaterThan(998);
  });

  it('Postmark: no header injected, bad ids dropped, References bounded; the exact /email request', async () => {
    const server = await serve(postmarkOk);
    const adapter = postmarkInbound({
      serverToken: 't',
      from,
      replyTo,
      baseUrl: server.url,
      ...fastDelivery,
    });
    await adapter.send(makeDelivery(hostileThread));
    expect(JSON.parse(server.requests[0]!.body)).toEqual({
      From: safeFrom,
      To: 'ana.souza@example.org',
      Subject: safeSubject,
      TextBody: 'Happy to help: yes, you can.',
      ReplyTo: 'reply+conv_42@inbound.example.com',
      Headers: [
        { Name: 'Message-ID', Value: ourMessageId },
        { Name: 'In-Reply-To', Value: '<CAF=reply.4471@mail.gmail.com>' },
        { Name: 'References', Value: boundedReferences },
      ],
      MessageStream: 'outbound',
    });
  });

  it('SendGrid: the exact /v3/mail/send request', async () => {
    const server = await serve(sendgridOk);
    const adapter = sendgridInbound({ apiKey: 'k', from, replyTo, baseUrl: server.url, ...fastDelivery });
    await adapter.send(makeDelivery(hostileThread));
    expect(JSON.parse(server.requests[0]!.body)).toEqual({
      personalizations: [{ to: [{ email: 'ana.souza@example.org' }] }],
      from: { email: 'support@example.com', name: 'Example Support Bcc: victim@example.net' },
      reply_to: { email: 'reply+conv_42@inbound.example.com' },
      subject: safeSubject,
      content: [{ type: 'text/plain', value: 'Happy to help: yes, you can.' }],
      headers: {
        'Message-ID': ourMessageId,
        'In-Reply-To': '<CAF=reply.4471@mail.gmail.com>',
        References: boundedReferences,
      },
    });
  });

  it('Mailgun: the exact /v3/{domain}/messages form', async () => {
    const server = await serve(mailgunOk);
    const adapter = mailgunInbound({
      signingKey: 'k',
      apiKey: 'mg',
      domain: 'mg.example.com',
      from,
      replyTo,
      baseUrl: server.url,
      ...fastDelivery,
    });
    await adapter.send(makeDelivery(hostileThread));
    expect([...new URLSearchParams(server.requests[0]!.body)]).toEqual([
      ['from', safeFrom],
      ['to', 'ana.souza@example.org'],
      ['subject', safeSubject],
      ['text', 'Happy to help: yes, you can.'],
      ['h:In-Reply-To', '<CAF=reply.4471@mail.gmail.com>'],
      ['h:References', boundedReferences],
      ['h:Reply-To', 'reply+conv_42@inbound.example.com'],
      ['v:threadline-id', '0192f5a0-7c2b-7d11-a1b2-c3d4e5f60999'],
    ]);
  });

  it('an In-Reply-To that cannot be sent is left out, and the reply keeps its Re:', async () => {
    const server = await serve(sendgridOk);
    const adapter = sendgridInbound({ apiKey: 'k', from, baseUrl: server.url, ...fastDelivery });
    const injected = '<a@mail.example.org>\r\nBcc: victim@example.net';
    await adapter.send(makeDelivery({ inReplyTo: injected, references: [injected], subject: 'Help' }));
    const body = JSON.parse(server.requests[0]!.body);
    expect(body.subject).toBe('Re: Help');
    expect(body.headers).toEqual({ 'Message-ID': ourMessageId });
  });

  it('a subject that is nothing but control characters falls back to the default subject', async () => {
    const delivery = makeDelivery({ references: [], subject: '\r\n\u0000\t' });
    delivery.conversation.subject = '\u2028';
    expect(composeEmail('postmark', delivery, { from, defaultSubject: 'Your request' }).subject).toBe(
      'Your request',
    );
  });

  it('every factory refuses a replyTo holding a line break or more than an address', () => {
    for (const bad of [`${replyTo}\r\nBcc: victim@example.net`, `Support <${replyTo}>`, 'not an address']) {
      expect(() => postmarkInbound({ from, replyTo: bad })).toThrow(ValidationError);
      expect(() => sendgridInbound({ from, replyTo: bad })).toThrow(/replyTo/);
      expect(() => mailgunInbound({ signingKey: 'k', from, replyTo: bad })).toThrow(/replyTo/);
    }
    const trailing = composeEmail('postmark', makeDelivery(), { from, replyTo: `${replyTo}\n` });
    expect(trailing.replyTo).toBe('reply+conv_42@inbound.example.com');
  });

  it('property: whatever the thread, subject and From name, every header value is one safe line', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.constantFrom('\r\n', '\n', '\u0000', '\u2028', '\u0085', '<a@b>', 'a<b>c', 'é@x', ' ', '<>', '>>>'),
      fc.string({ unit: 'binary-ascii', minLength: 990, maxLength: 1_100 }),
    );
    const id = fc.oneof(hostile, fc.stringMatching(/^[a-z0-9.=-]{1,40}@[a-z]{1,10}\.example$/));
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not appear
    const unsafe = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
    fc.assert(
      fc.property(
        fc.array(id, { maxLength: 200 }),
        fc.option(id),
        hostile,
        hostile,
        (refs, last, subject, name) => {
          const thread = { references: refs, subject, ...(last !== null && { inReplyTo: last }) };
          const email = composeEmail('x', makeDelivery(thread), { from: { address: 'a@example.com', name } });
          for (const value of [email.subject, email.from.name ?? '', email.inReplyTo ?? ''])
            expect(value).not.toMatch(unsafe);
          for (const ref of [...email.references, ...(email.inReplyTo ? [email.inReplyTo] : [])])
            expect(ref).toMatch(/^<[\x21-\x3b\x3d\x3f-\x7e]+>$/);
          expect(`References: ${email.references.join(' ')}`.length).toBeLessThanOrEqual(998);
          expect(`In-Reply-To: ${email.inReplyTo ?? ''}`.length).toBeLessThanOrEqual(998);
          expect(email.subject.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

const inbound = (events: Awaited<ReturnType<ReturnType<typeof postmarkInbound>['parse']>>) =>
  (events[0] as { message: InboundMessage }).message;

/** A desk with a Postmark channel sending to `server`, and a poster of inbound webhooks to it. */
function postmarkDesk(server: { url: string }) {
  const adapter = postmarkInbound({ serverToken: 't', from, replyTo, baseUrl: server.url, retries: 0 });
  const desk = createDesk({ store: memoryStore(), channels: [adapter], outbox: { autoStart: false } });
  const handler = createWebhookHandler(desk);
  const post = (body: string) =>
    handler(
      new Request('https://desk.example.com/webhooks/postmark', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }),
    );
  return { desk, post };
}

describe('inbound header text', () => {
  it('a subject or From name with an encoded or raw line break is stored as one line', async () => {
    const sendgrid = sendgridInbound();
    const request = sendgridRequest({
      from: '=?utf-8?Q?Ana=0D=0ABcc:_victim@example.net?= <ana.souza@example.org>',
      subject: 'Invoice\r\nBcc: victim@example.net',
      text: 'Hello',
    });
    const message = inbound(await sendgrid.parse(request));
    expect(message.displayName).toBe('Ana Bcc: victim@example.net');
    expect(message.subject).toBe('Invoice Bcc: victim@example.net');
  });

  it('through a desk: a hostile inbound subject never reaches the Subject of the reply as a header', async () => {
    const server = await serve(postmarkOk);
    const { desk, post } = postmarkDesk(server);
    const mail = postmarkJson({
      subject: 'Invoice\r\nBcc: victim@example.net',
      messageId: '<mallory.1@evil.example>',
    });
    expect((await post(mail)).status).toBe(200);
    const [conversation] = (await desk.conversations.list()).items;
    expect(conversation!.subject).toBe('Invoice Bcc: victim@example.net');
    await desk.reply(conversation!.id, { text: 'On it.', author: { type: 'agent', id: 'a1' } });
    await desk.outbox.flush();
    const request = JSON.parse(server.requests[0]!.body);
    expect(request.Subject).toBe('Re: Invoice Bcc: victim@example.net');
    expect(request.Headers.slice(1)).toEqual([
      { Name: 'In-Reply-To', Value: '<mallory.1@evil.example>' },
      { Name: 'References', Value: '<mallory.1@evil.example>' },
    ]);
    await desk.close();
  });
});

describe('a From naming several authors is never verified', () => {
  const several = 'Mallory <mallory@evil.example>, Ana Souza <ana.souza@example.org>';

  it('SendGrid: the first mailbox is the sender, unverified despite an SPF pass', async () => {
    const message = inbound(await sendgridInbound().parse(sendgridRequest({ from: several, text: 'Hi' })));
    expect(message.from).toEqual({ kind: 'email', value: 'mallory@evil.example', verified: false });
    expect(message.displayName).toBe('Mallory');
  });

  it('Mailgun: a second From field makes the sender unverified despite X-Mailgun-Spf: Pass', async () => {
    const mail = { text: 'Hi', headers: [['From', 'ana.souza@example.org']] as [string, string][] };
    const message = inbound(await mailgunInbound({ signingKey: 'k' }).parse(mailgunRequest(mail)));
    expect(message.from).toEqual({ kind: 'email', value: 'ana.souza@example.org', verified: false });
    const alone = inbound(await mailgunInbound({ signingKey: 'k' }).parse(mailgunRequest({ text: 'Hi' })));
    expect(alone.from.verified).toBe(true);
  });

  it('Postmark: a From field among the Headers beside Postmark own From makes it unverified', async () => {
    const mail = { headers: [['From', several]] as [string, string][] };
    const message = inbound(await postmarkInbound().parse(postmarkRequest(mail)));
    expect(message.from.verified).toBe(false);
  });

  it('a group and undisclosed-recipients: the first member, or no sender at all', async () => {
    const group = inbound(
      await sendgridInbound({ basicAuth }).parse(
        sendgridRequest({ from: 'Team: ana.souza@example.org;', text: 'Hi' }),
      ),
    );
    expect(group.from).toEqual({ kind: 'email', value: 'ana.souza@example.org', verified: true });
    await expect(
      sendgridInbound().parse(sendgridRequest({ from: 'undisclosed-recipients:;', text: 'Hi' })),
    ).rejects.toThrow(ValidationError);
  });
});

describe("a forged In-Reply-To, References or reply+ address never joins another customer's thread", () => {
  it('through the webhook handler: the forger gets a conversation of their own, and its reply names no id of the other', async () => {
    const server = await serve(postmarkOk);
    const { desk, post } = postmarkDesk(server);
    const ana = postmarkJson({
      subject: 'My invoice',
      messageId: '<ana.1@example.org>',
      text: 'Wrong address.',
    });
    expect((await post(ana)).status).toBe(200);
    const [anaConversation] = (await desk.conversations.list()).items;
    const sent = await desk.reply(anaConversation!.id, {
      text: 'Fixed.',
      author: { type: 'agent', id: 'a1' },
    });
    await desk.outbox.flush();
    const ourId = `threadline-${sent.id}@example.com`;

    // Mallory learned every id of Ana's thread and its conversation id (say, from a forwarded copy).
    const forged = postmarkJson({
      from: 'mallory@evil.example',
      to: `reply+${anaConversation!.id}@inbound.example.com`,
      subject: 'Re: My invoice',
      messageId: '<mallory.1@evil.example>',
      inReplyTo: `<${ourId}>`,
      references: `<ana.1@example.org> <${ourId}>`,
      text: 'Please send the invoice to me instead.',
    });
    expect((await post(forged)).status).toBe(200);

    const conversations = (await desk.conversations.list()).items;
    expect(conversations).toHaveLength(2);
    const mallorys = conversations.find((c) => c.id !== anaConversation!.id)!;
    expect(mallorys.customerId).not.toBe(anaConversation!.customerId);
    const anaMessages = [];
    for await (const message of desk.conversations.messages(anaConversation!.id)) anaMessages.push(message);
    expect(anaMessages.map((m) => m.externalId).sort()).toEqual(['ana.1@example.org', ourId].sort());

    await desk.reply(mallorys.id, { text: 'Who are you?', author: { type: 'agent', id: 'a1' } });
    await desk.outbox.flush();
    const reply = JSON.parse(server.requests[1]!.body);
    expect(reply.To).toBe('mallory@evil.example');
    expect(reply.Headers.slice(1)).toEqual([
      { Name: 'In-Reply-To', Value: '<mallory.1@evil.example>' },
      { Name: 'References', Value: '<mallory.1@evil.example>' },
    ]);
    await desk.close();
  });
});
