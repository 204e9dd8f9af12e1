import { afterEach, describe, expect, it } from 'vitest';
import { mailgunInbound, postmarkInbound, sendgridInbound } from '../../../src/channels/email/index.js';
import { replySubject } from '../../../src/channels/email/send.js';
import { DeliveryError } from '../../../src/model/errors.js';
import { type Answer, fastDelivery, makeDelivery, type Received, startServer } from './helpers.js';

const from = { address: 'support@example.com', name: 'Example Support' };
const replyTo = 'reply+{conversationId}@inbound.example.com';
const thread = {
  inReplyTo: 'CAF=reply.4471@mail.gmail.com',
  references: [
    '<CAF=first.1001@mail.gmail.com>',
    'threadline-0192f5a0-7c2b-7d11-a1b2-c3d4e5f60718@example.com',
  ],
  subject: 'Re: Router keeps disconnecting',
};
const ourMessageId = 'threadline-0192f5a0-7c2b-7d11-a1b2-c3d4e5f60999@example.com';
const references =
  '<CAF=first.1001@mail.gmail.com> <threadline-0192f5a0-7c2b-7d11-a1b2-c3d4e5f60718@example.com> <CAF=reply.4471@mail.gmail.com>';

let servers: { close: () => Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});
async function serve(respond: (request: Received, index: number) => Answer) {
  const server = await startServer(respond);
  servers.push(server);
  return server;
}
const sequence =
  (...answers: Answer[]) =>
  (_request: Received, index: number): Answer =>
    answers[Math.min(index, answers.length - 1)]!;

describe('postmarkInbound send', () => {
  const ok: Answer = {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      To: 'ana.souza@example.org',
      MessageID: 'b7bc2f4a-e38e-4336-af7d-e6c392c2f817',
      ErrorCode: 0,
      Message: 'OK',
    }),
  };
  const adapter = (baseUrl: string) =>
    postmarkInbound({ serverToken: 'pm-token', from, replyTo, baseUrl, ...fastDelivery });

  it('posts the exact /email request with our Message-ID and the thread headers', async () => {
    const server = await serve(() => ok);
    const result = await adapter(server.url).send(makeDelivery(thread));
    expect(result).toEqual({ externalId: ourMessageId, status: 'sent' });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/email');
    expect(request!.headers['x-postmark-server-token']).toBe('pm-token');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual({
      From: '"Example Support" <support@example.com>',
      To: 'ana.souza@example.org',
      Subject: 'Re: Router keeps disconnecting',
      TextBody: 'Happy to help: yes, you can.',
      ReplyTo: 'reply+conv_42@inbound.example.com',
      Headers: [
        { Name: 'Message-ID', Value: `<${ourMessageId}>` },
        { Name: 'In-Reply-To', Value: '<CAF=reply.4471@mail.gmail.com>' },
        { Name: 'References', Value: references },
      ],
      MessageStream: 'outbound',
    });
  });

  it('retries after 429 with Retry-After, then succeeds', async () => {
    const server = await serve(sequence({ status: 429, headers: { 'retry-after': '1' }, body: '' }, ok));
    await expect(adapter(server.url).send(makeDelivery(thread))).resolves.toEqual({
      externalId: ourMessageId,
      status: 'sent',
    });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.body).toBe(server.requests[0]!.body);
  });

  it('retries after a 500, then succeeds', async () => {
    const server = await serve(sequence({ status: 500, body: 'oops' }, ok));
    await expect(adapter(server.url).send(makeDelivery(thread))).resolves.toEqual({
      externalId: ourMessageId,
      status: 'sent',
    });
    expect(server.requests).toHaveLength(2);
  });

  it('maps a 422 error body to a final DeliveryError with Postmark ErrorCode', async () => {
    const server = await serve(() => ({
      status: 422,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ErrorCode: 300, Message: "Invalid 'From' address: 'support@example.com'." }),
    }));
    const error = (await adapter(server.url)
      .send(makeDelivery(thread))
      .catch((e) => e)) as DeliveryError;
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error.message).toBe(
      "postmark: provider answered 422: Invalid 'From' address: 'support@example.com'.",
    );
    expect([error.retryable, error.status, error.providerCode]).toEqual([false, 422, '300']);
    expect(server.requests).toHaveLength(1);
  });

  it('sends a first message without In-Reply-To and without Re:', async () => {
    const server = await serve(() => ok);
    await adapter(server.url).send(makeDelivery());
    const body = JSON.parse(server.requests[0]!.body);
    expect(body.Subject).toBe('Router keeps disconnecting');
    expect(body.Headers).toEqual([{ Name: 'Message-ID', Value: `<${ourMessageId}>` }]);
  });

  it('refuses to send without a server token, without calling the provider', async () => {
    const server = await serve(() => ok);
    const noToken = postmarkInbound({ from, baseUrl: server.url });
    await expect(noToken.send(makeDelivery())).rejects.toThrow(
      new DeliveryError('postmark: no serverToken configured', { retryable: false }),
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe('sendgridInbound send', () => {
  const accepted: Answer = { status: 202, headers: { 'x-message-id': 'W3mEnWbQTVWq6ub0Y3p5kw' } };
  const adapter = (baseUrl: string) =>
    sendgridInbound({ apiKey: 'SG.key', from, replyTo, baseUrl, ...fastDelivery });

  it('posts the exact /v3/mail/send request with bearer auth and thread headers', async () => {
    const server = await serve(() => accepted);
    await expect(adapter(server.url).send(makeDelivery(thread))).resolves.toEqual({
      externalId: ourMessageId,
      status: 'sent',
    });
    const [request] = server.requests;
    expect(request!.url).toBe('/v3/mail/send');
    expect(request!.headers.authorization).toBe('Bearer SG.key');
    expect(JSON.parse(request!.body)).toEqual({
      personalizations: [{ to: [{ email: 'ana.souza@example.org' }] }],
      from: { email: 'support@example.com', name: 'Example Support' },
      reply_to: { email: 'reply+conv_42@inbound.example.com' },
      subject: 'Re: Router keeps disconnecting',
      content: [{ type: 'text/plain', value: 'Happy to help: yes, you can.' }],
      headers: {
        'Message-ID': `<${ourMessageId}>`,
        'In-Reply-To': '<CAF=reply.4471@mail.gmail.com>',
        References: references,
      },
    });
  });

  it('retries 429 (Retry-After) and 500, then succeeds', async () => {
    const server = await serve(
      sequence(
        { status: 429, headers: { 'retry-after': '1' } },
        { status: 500, body: '{"errors":[]}' },
        accepted,
      ),
    );
    await expect(adapter(server.url).send(makeDelivery(thread))).resolves.toEqual({
      externalId: ourMessageId,
      status: 'sent',
    });
    expect(server.requests).toHaveLength(3);
  });

  it('maps a 400 error body to a final DeliveryError naming the field', async () => {
    const server = await serve(() => ({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        errors: [
          { message: 'The from email does not contain a valid address.', field: 'from.email', help: null },
        ],
      }),
    }));
    const error = (await adapter(server.url)
      .send(makeDelivery(thread))
      .catch((e) => e)) as DeliveryError;
    expect(error.message).toBe(
      'sendgrid: provider answered 400: The from email does not contain a valid address. (from.email)',
    );
    expect([error.retryable, error.status]).toEqual([false, 400]);
  });
});

describe('mailgunInbound send', () => {
  const queued: Answer = {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: '<20261125080000.1.ABCDEF@mg.example.com>', message: 'Queued. Thank you.' }),
  };
  const adapter = (baseUrl: string) =>
    mailgunInbound({
      signingKey: 'k',
      apiKey: 'mg-key',
      domain: 'mg.example.com',
      from,
      replyTo,
      baseUrl,
      ...fastDelivery,
    });

  it('posts the exact /v3/{domain}/messages form with basic auth; the returned id is the externalId', async () => {
    const server = await serve(() => queued);
    await expect(adapter(server.url).send(makeDelivery(thread))).resolves.toEqual({
      externalId: '20261125080000.1.ABCDEF@mg.example.com',
      status: 'sent',
    });
    const [request] = server.requests;
    expect(request!.url).toBe('/v3/mg.example.com/messages');
    expect(request!.headers.authorization).toBe(`Basic ${Buffer.from('api:mg-key').toString('base64')}`);
    expect(request!.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect([...new URLSearchParams(request!.body)]).toEqual([
      ['from', '"Example Support" <support@example.com>'],
      ['to', 'ana.souza@example.org'],
      ['subject', 'Re: Router keeps disconnecting'],
      ['text', 'Happy to help: yes, you can.'],
      ['h:In-Reply-To', '<CAF=reply.4471@mail.gmail.com>'],
      ['h:References', references],
      ['h:Reply-To', 'reply+conv_42@inbound.example.com'],
      ['v:threadline-id', '0192f5a0-7c2b-7d11-a1b2-c3d4e5f60999'],
    ]);
  });

  it('retries 429 (Retry-After) and 500, then succeeds', async () => {
    const server = await serve(
      sequence({ status: 429, headers: { 'retry-after': '1' } }, { status: 500 }, queued),
    );
    await expect(adapter(server.url).send(makeDelivery(thread))).resolves.toMatchObject({
      externalId: '20261125080000.1.ABCDEF@mg.example.com',
    });
    expect(server.requests).toHaveLength(3);
  });

  it('maps 400 and 401 answers to final DeliveryErrors', async () => {
    const bad = await serve(() => ({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: "'to' parameter is not a valid address. please check documentation" }),
    }));
    const error = (await adapter(bad.url)
      .send(makeDelivery(thread))
      .catch((e) => e)) as DeliveryError;
    expect(error.message).toBe(
      "mailgun: provider answered 400: 'to' parameter is not a valid address. please check documentation",
    );
    expect(error.retryable).toBe(false);
    const forbidden = await serve(() => ({ status: 401, body: 'Forbidden' }));
    const denied = (await adapter(forbidden.url)
      .send(makeDelivery(thread))
      .catch((e) => e)) as DeliveryError;
    expect([denied.message, denied.retryable, denied.status]).toEqual([
      'mailgun: provider answered 401: Forbidden',
      false,
      401,
    ]);
  });
});

describe('replySubject', () => {
  it('adds one Re: and never doubles an existing reply prefix', () => {
    expect(replySubject('Order 1234')).toBe('Re: Order 1234');
    expect(replySubject('Re: Order 1234')).toBe('Re: Order 1234');
    expect(replySubject('RE:Order 1234')).toBe('RE:Order 1234');
    expect(replySubject('AW: Bestellung')).toBe('AW: Bestellung');
    expect(replySubject('Reminder: invoice')).toBe('Re: Reminder: invoice');
  });
});
