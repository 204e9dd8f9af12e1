import type { RawRequest } from '../../../src/core/channel.js';
import { rawRequest } from './helpers.js';

/** What a sender controls in an inbound email, for building provider payloads around it. */
export interface MailInput {
  from?: string;
  fromName?: string;
  to?: string;
  subject?: string;
  text?: string;
  html?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  /** Extra header fields, in order, after the thread headers. */
  headers?: [string, string][];
  /** Whether the receiving provider reports an SPF pass. Default true. */
  spfPass?: boolean;
  /** The SMTP envelope sender SPF checked. Default: the From's own address (aligned). */
  envelopeFrom?: string;
}

function threadFields(mail: MailInput): [string, string][] {
  const fields: [string, string][] = [];
  if (mail.messageId !== undefined) fields.push(['Message-ID', mail.messageId]);
  if (mail.inReplyTo !== undefined) fields.push(['In-Reply-To', mail.inReplyTo]);
  if (mail.references !== undefined) fields.push(['References', mail.references]);
  return [...fields, ...(mail.headers ?? [])];
}

/** The address of a From field (the first `<...>`, else the field itself). */
function envelopeOf(from = 'Ana Souza <ana.souza@example.org>'): string {
  return /<([^>]*)>/.exec(from)?.[1] ?? from.replace(/^[^:]*:\s*/, '').replace(/[;,].*$/, '');
}

/** Postmark's inbound JSON for `mail`, as Postmark posts it (its Headers hold no From, To or Subject). */
export function postmarkJson(mail: MailInput): string {
  const from = mail.from ?? 'ana.souza@example.org';
  const spf = `${mail.spfPass === false ? 'Fail' : 'Pass (sender SPF authorized)'} identity=mailfrom; client-ip=192.0.2.10; envelope-from=${mail.envelopeFrom ?? envelopeOf(from)}; receiver=support@inbound.postmarkapp.com`;
  return JSON.stringify({
    From: from,
    FromName: mail.fromName ?? '',
    FromFull: { Email: from, Name: mail.fromName ?? '', MailboxHash: '' },
    To: mail.to ?? 'support@example.com',
    OriginalRecipient: mail.to ?? 'support@example.com',
    Subject: mail.subject ?? 'Help',
    Date: 'Wed, 25 Nov 2026 08:00:00 +0000',
    TextBody: mail.text ?? 'Hello',
    ...(mail.html !== undefined && { HtmlBody: mail.html }),
    StrippedTextReply: '',
    Headers: [['Received-SPF', spf], ...threadFields(mail)].map(([Name, Value]) => ({ Name, Value })),
    Attachments: [],
  });
}

/** A Postmark webhook request for `mail`. */
export function postmarkRequest(mail: MailInput): RawRequest {
  return rawRequest(postmarkJson(mail), 'application/json');
}

export const BOUNDARY = 'hostile-mail-boundary';

/** A `multipart/form-data` body of text fields, CRLF line endings. */
export function formData(fields: [string, string][]): string {
  const parts = fields.map(
    ([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return `${parts.join('')}--${BOUNDARY}--\r\n`;
}

/** A SendGrid Inbound Parse request (parsed mode) for `mail`, or raw mode when `email` is given. */
export function sendgridRequest(mail: MailInput, email?: string): RawRequest {
  const header = threadFields(mail)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
  const fields: [string, string][] = [
    ['from', mail.from ?? 'Ana Souza <ana.souza@example.org>'],
    ['to', mail.to ?? 'support@example.com'],
    ['subject', mail.subject ?? 'Help'],
    ['SPF', mail.spfPass === false ? 'fail' : 'pass'],
    // SendGrid's envelope: the SMTP sender, here the From's own address (SPF aligned with From).
    [
      'envelope',
      JSON.stringify({ to: ['support@example.com'], from: mail.envelopeFrom ?? envelopeOf(mail.from) }),
    ],
    ['charsets', '{"from":"UTF-8","to":"UTF-8","subject":"UTF-8","text":"UTF-8","html":"UTF-8"}'],
  ];
  if (email !== undefined) fields.push(['email', email]);
  else {
    fields.push(['headers', header]);
    if (mail.text !== undefined) fields.push(['text', mail.text]);
    if (mail.html !== undefined) fields.push(['html', mail.html]);
  }
  return rawRequest(formData(fields), `multipart/form-data; boundary=${BOUNDARY}`);
}

/** A Mailgun route post (parsed, urlencoded) for `mail`; signature fields are not included. */
export function mailgunRequest(mail: MailInput): RawRequest {
  const headers: [string, string][] = [
    ['X-Mailgun-Spf', mail.spfPass === false ? 'Fail' : 'Pass'],
    ['From', mail.from ?? 'Ana Souza <ana.souza@example.org>'],
    ...threadFields(mail),
  ];
  const form = new URLSearchParams({
    from: mail.from ?? 'Ana Souza <ana.souza@example.org>',
    sender: mail.envelopeFrom ?? envelopeOf(mail.from),
    recipient: mail.to ?? 'support@example.com',
    subject: mail.subject ?? 'Help',
    'body-plain': mail.text ?? 'Hello',
    'message-headers': JSON.stringify(headers),
  });
  return rawRequest(form.toString(), 'application/x-www-form-urlencoded');
}
