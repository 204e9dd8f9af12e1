import { describe, expect, it } from 'vitest';
import { mailgunInbound, postmarkInbound, sendgridInbound } from '../../../src/channels/email/index.js';
import { aligned } from '../../../src/channels/email/sender-auth.js';
import type { RawRequest } from '../../../src/core/channel.js';
import type { InboundEvent, InboundMessage } from '../../../src/model/inbound.js';
import {
  formData,
  type MailInput,
  mailgunRequest,
  postmarkRequest,
  sendgridRequest,
} from './hostile-mail.js';

/** Webhook credentials: only an authenticated adapter lets the provider's SPF or DKIM result verify a sender. */
const basicAuth = { username: 'hook', password: 'hook-password' };

// SPF vouches for the SMTP envelope sender and DKIM for the signing domain; neither is the From a
// reader sees. A provider's pass makes the sender verified only when that domain aligns with the
// From's (DMARC's relaxed alignment), else anyone with an SPF-passing domain of their own could
// write `From: ana@bank.example`, be taken as Ana and join her history.

const sender = async (events: InboundEvent[] | Promise<InboundEvent[]>) =>
  ((await events)[0] as { message: InboundMessage }).message.from;

const adapters: [string, (mail: MailInput) => InboundEvent[] | Promise<InboundEvent[]>][] = [
  ['Postmark', (mail) => postmarkInbound({ basicAuth }).parse(postmarkRequest(mail))],
  ['SendGrid', (mail) => sendgridInbound({ basicAuth }).parse(sendgridRequest(mail))],
  ['Mailgun', (mail) => mailgunInbound({ signingKey: 'k' }).parse(mailgunRequest(mail))],
];

describe.each(adapters)(
  '%s: an SPF pass verifies the sender only for an aligned envelope',
  (_name, parse) => {
    const from = 'Ana Souza <ana@bank.example>';

    it("an envelope of another domain (the forger's own, SPF-passing one) leaves the sender unverified", async () => {
      expect(await sender(parse({ from, envelopeFrom: 'mallory@evil.example' }))).toEqual({
        kind: 'email',
        value: 'ana@bank.example',
        verified: false,
      });
    });

    it("the From's domain, or a subdomain of it (a bounce domain), verifies it", async () => {
      expect((await sender(parse({ from, envelopeFrom: 'ana@bank.example' }))).verified).toBe(true);
      expect((await sender(parse({ from, envelopeFrom: 'bounce-7@mail.bank.example' }))).verified).toBe(true);
    });

    it('a domain that merely ends like it (notbank.example) does not', async () => {
      expect((await sender(parse({ from, envelopeFrom: 'x@notbank.example' }))).verified).toBe(false);
    });
  },
);

/** SendGrid's Inbound Parse post with a `dkim` field and an SPF result for an unaligned envelope. */
function sendgridWithDkim(dkim: string): RawRequest {
  const fields: [string, string][] = [
    ['from', 'Ana Souza <ana@bank.example>'],
    ['to', 'support@example.com'],
    ['subject', 'Help'],
    ['text', 'Hello'],
    ['SPF', 'pass'],
    ['envelope', JSON.stringify({ to: ['support@example.com'], from: 'bounces@esp.example' })],
    ['dkim', dkim],
  ];
  const body = formData(fields);
  return {
    method: 'POST',
    url: 'https://example.com/webhooks/sendgrid',
    headers: { 'content-type': 'multipart/form-data; boundary=hostile-mail-boundary' },
    body,
  };
}

describe('SendGrid: a DKIM pass verifies the sender only for an aligned signing domain', () => {
  it("a pass for the From's domain verifies it, whatever the envelope", async () => {
    const from = await sender(
      sendgridInbound({ basicAuth }).parse(sendgridWithDkim('{@bank.example : pass}')),
    );
    expect(from.verified).toBe(true);
  });

  it("a pass for another domain, beside a failed signature of the From's, does not", async () => {
    const dkim = '{@esp.example : pass, @bank.example : fail}';
    expect((await sender(sendgridInbound({ basicAuth }).parse(sendgridWithDkim(dkim)))).verified).toBe(false);
  });
});

describe('Mailgun: X-Mailgun-Dkim-Check-Result alone verifies no one (it names no domain)', () => {
  it('a DKIM pass with an SPF fail leaves the sender unverified', async () => {
    const request = mailgunRequest({ from: 'ana@bank.example', spfPass: false });
    const params = new URLSearchParams(request.body);
    const headers = JSON.parse(params.get('message-headers')!) as [string, string][];
    headers.push(['X-Mailgun-Dkim-Check-Result', 'Pass']);
    params.set('message-headers', JSON.stringify(headers));
    const from = await sender(
      mailgunInbound({ signingKey: 'k' }).parse({ ...request, body: params.toString() }),
    );
    expect(from.verified).toBe(false);
  });
});

describe('aligned', () => {
  it('is the same domain or a subdomain either way, case and IDN folded; never a sibling or a look-alike', () => {
    expect(aligned('Bank.Example', 'ana@bank.example')).toBe(true);
    expect(aligned('mail.bank.example', 'ana@bank.example')).toBe(true);
    expect(aligned('bank.example', 'ana@eu.bank.example')).toBe(true);
    expect(aligned('bücher.example', 'jörg@xn--bcher-kva.example')).toBe(true);
    expect(aligned('a.bank.example', 'ana@b.bank.example')).toBe(false);
    expect(aligned('notbank.example', 'ana@bank.example')).toBe(false);
    expect(aligned('bank.example.evil.example', 'ana@bank.example')).toBe(false);
    expect(aligned(undefined, 'ana@bank.example')).toBe(false);
    expect(aligned('bank.example', 'not an address')).toBe(false);
  });
});

describe('without webhook credentials the payload vouches for no one', () => {
  it('Postmark and SendGrid adapters without basicAuth never mark a sender verified, SPF pass or not', async () => {
    const mail = { from: 'Ana Souza <ana@bank.example>' };
    expect((await sender(postmarkInbound().parse(postmarkRequest(mail)))).verified).toBe(false);
    expect((await sender(sendgridInbound().parse(sendgridRequest(mail)))).verified).toBe(false);
    // The same posts through adapters that check credentials do verify her.
    expect((await sender(postmarkInbound({ basicAuth }).parse(postmarkRequest(mail)))).verified).toBe(true);
    expect((await sender(sendgridInbound({ basicAuth }).parse(sendgridRequest(mail)))).verified).toBe(true);
  });
});
