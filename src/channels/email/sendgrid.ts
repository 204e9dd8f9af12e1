import type { ChannelAdapter, OutboundDelivery, RawRequest, SendResult } from '../../core/channel.js';
import { DeliveryError, SignatureError, ValidationError } from '../../model/errors.js';
import type { InboundEvent } from '../../model/inbound.js';
import { createProviderClient, type DeliveryOptions, deliver } from '../shared/provider-client.js';
import { assertFresh } from '../shared/signature.js';
import { type EmailAddress, parseSender } from './address.js';
import { type BasicAuthCredentials, checkCredentials, verifyBasicAuth } from './basic-auth.js';
import { emailCapabilities, INBOUND_EMAIL_MAX_BYTES } from './capabilities.js';
import { binaryStringBytes, decodeBytes, isAscii, isBinaryString } from './charset.js';
import { verifyEcdsa } from './ecdsa.js';
import { type FormBody, readFormBody } from './form-body.js';
import { parseHeaderBlock, stripAngles, threadHeaders } from './headers.js';
import { type EmailAttachment, emailEvents, type ParsedEmail } from './inbound.js';
import { parseMime } from './mime.js';
import { describeErrorBody } from './provider-errors.js';
import { checkSenderOptions, composeEmail, type EmailSenderOptions, optionError } from './send.js';
import { sendgridAuthPass, singleAuthor } from './sender-auth.js';

/** Options of {@link sendgridInbound}. */
export interface SendgridOptions extends EmailSenderOptions, DeliveryOptions {
  /** Adapter id. Default `sendgrid`. */
  id?: string;
  /**
   * Credentials embedded in the Inbound Parse destination URL. Inbound Parse is unsigned by
   * default: without this (or `signature`), `verify` accepts every request.
   */
  basicAuth?: BasicAuthCredentials;
  /**
   * Verify SendGrid's ECDSA signature headers (`X-Twilio-Email-Event-Webhook-Signature` and
   * `-Timestamp`, P-256/SHA-256 over timestamp + body) with this base64 public key.
   */
  signature?: { publicKey: string; toleranceSec?: number };
  /** Epoch-ms clock for the signature's replay window. Default `Date.now`. */
  clock?: () => number;
  /** API key, sent as `Authorization: Bearer`. Required to send. */
  apiKey?: string;
  /** API base URL. Default `https://api.sendgrid.com`. */
  baseUrl?: string;
}

/**
 * Re-decodes a field in its declared charset when the body reached us as a binary string (one
 * char per byte). A body already decoded as UTF-8 is left as it is: its bytes are gone.
 */
function inCharset(
  value: string | undefined,
  charset: string | undefined,
  binary: boolean,
): string | undefined {
  if (value === undefined || !charset || !binary || isAscii(value)) return value;
  const bytes = binaryStringBytes(value);
  if (!bytes) return value;
  if (/^utf-?8$/i.test(charset.trim())) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return value;
    }
  }
  return decodeBytes(bytes, charset);
}

function jsonRecord(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function parsedAttachments(form: FormBody): EmailAttachment[] {
  const info = jsonRecord(form.fields['attachment-info']);
  return form.files.map((file) => {
    const described = (info[file.field] ?? {}) as Record<string, unknown>;
    const attachment: EmailAttachment = { size: file.size };
    const filename = file.filename || (typeof described.filename === 'string' ? described.filename : '');
    if (filename) attachment.filename = filename;
    const type = file.contentType || described.type;
    if (typeof type === 'string' && type) attachment.contentType = type;
    if (typeof described['content-id'] === 'string')
      attachment.contentId = stripAngles(described['content-id']);
    return attachment;
  });
}

/** The envelope sender of SendGrid's `envelope` field (`{"to":[...],"from":"bounce@example.org"}`). */
function envelopeFrom(envelope: string | undefined): string | undefined {
  const from = jsonRecord(envelope).from;
  return typeof from === 'string' ? from : undefined;
}

function sendgridEmail(id: string, form: FormBody, binary: boolean): ParsedEmail {
  const { fields } = form;
  const charsets = jsonRecord(fields.charsets);
  const charsetOf = (name: string) => (typeof charsets[name] === 'string' ? charsets[name] : undefined);
  const field = (name: string) => inCharset(fields[name], charsetOf(name), binary);
  const mime = fields.email !== undefined ? parseMime(fields.email) : undefined;
  const headers = mime?.headers ?? parseHeaderBlock(fields.headers ?? '');
  const sender = parseSender(field('from'));
  if (!sender)
    throw new ValidationError(`${id} inbound email`, [{ path: ['from'], message: 'no sender address' }]);
  const email: ParsedEmail = {
    from: sender.mailbox,
    verified:
      sendgridAuthPass(fields.SPF, fields.dkim, envelopeFrom(fields.envelope), sender.mailbox.address) &&
      singleAuthor(sender, headers),
    thread: threadHeaders(headers),
    attachments: mime ? mime.attachments : parsedAttachments(form),
    meta: {
      ...(fields.to && { to: field('to')! }),
      ...(fields.spam_score && { spamScore: fields.spam_score }),
    },
    recipients: [fields.envelope, fields.to, fields.cc].filter(
      (field): field is string => field !== undefined,
    ),
  };
  const subject = field('subject');
  if (subject !== undefined) email.subject = subject;
  const text = mime ? mime.text : field('text');
  if (text !== undefined) email.text = text;
  const html = mime ? mime.html : field('html');
  if (html) email.html = html;
  const date = headers.find(([name]) => name.toLowerCase() === 'date')?.[1];
  if (date) email.date = date;
  return email;
}

async function parseSendgrid(
  id: string,
  raw: RawRequest,
  own: EmailAddress | undefined,
  authenticated: boolean,
): Promise<InboundEvent[]> {
  const form = await readFormBody(`${id} inbound email`, raw);
  // A body handed over as a binary string (no char above U+00FF) keeps every field's bytes.
  const binary = isBinaryString(raw.body);
  const email = sendgridEmail(id, form, binary);
  // Unauthenticated, the SPF and DKIM fields are whatever the poster wrote: they vouch for no one.
  if (!authenticated) email.verified = false;
  return emailEvents(id, email, own);
}

async function verifySendgrid(id: string, raw: RawRequest, options: SendgridOptions): Promise<void> {
  verifyBasicAuth(id, raw, options.basicAuth);
  if (!options.signature) return;
  const signature = raw.headers['x-twilio-email-event-webhook-signature'];
  const timestamp = raw.headers['x-twilio-email-event-webhook-timestamp'];
  if (!signature || !timestamp) throw new SignatureError(`${id}: the request carries no signature`);
  assertFresh(id, Number(timestamp), (options.clock ?? Date.now)(), options.signature.toleranceSec ?? 300);
  await verifyEcdsa(id, options.signature.publicKey, signature, timestamp, raw.body);
}

/**
 * A SendGrid Inbound Parse channel (kind `email`, default id `sendgrid`): parsed mode and raw
 * mode (`email` field, read with a small MIME reader); verifies Basic auth from the destination
 * URL and, when `signature` is set, SendGrid's ECDSA signature; sends through `/v3/mail/send`
 * with our Message-ID (the `externalId`). Throws `ValidationError` for invalid options.
 */
export function sendgridInbound(options: SendgridOptions = {}): ChannelAdapter {
  const id = options.id ?? 'sendgrid';
  checkCredentials(id, options.basicAuth);
  checkSenderOptions(id, options);
  if (options.signature && !options.signature.publicKey)
    throw optionError(id, ['signature', 'publicKey'], 'must not be empty');
  const client = createProviderClient({
    ...options,
    channel: id,
    baseUrl: options.baseUrl ?? 'https://api.sendgrid.com',
    headers: { ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }) },
  });
  return {
    id,
    kind: 'email',
    capabilities: emailCapabilities,
    contentTypes: ['multipart/form-data'],
    maxBodyBytes: INBOUND_EMAIL_MAX_BYTES,
    verify: (raw) => verifySendgrid(id, raw, options),
    parse: (raw) =>
      parseSendgrid(
        id,
        raw,
        options.from,
        options.basicAuth !== undefined || options.signature !== undefined,
      ),
    send: (delivery) => sendSendgrid(id, client, options, delivery),
  };
}

async function sendSendgrid(
  id: string,
  client: ReturnType<typeof createProviderClient>,
  options: SendgridOptions,
  delivery: OutboundDelivery,
): Promise<SendResult> {
  if (!options.apiKey) throw new DeliveryError(`${id}: no apiKey configured`, { retryable: false });
  const email = composeEmail(id, delivery, options);
  const headers: Record<string, string> = { 'Message-ID': email.messageId };
  if (email.inReplyTo) headers['In-Reply-To'] = email.inReplyTo;
  if (email.references.length > 0) headers.References = email.references.join(' ');
  const body = {
    personalizations: [{ to: [{ email: email.to }] }],
    from: { email: email.from.address, ...(email.from.name && { name: email.from.name }) },
    ...(email.replyTo && { reply_to: { email: email.replyTo } }),
    subject: email.subject,
    content: [{ type: 'text/plain', value: email.text }],
    headers,
  };
  await deliver(
    id,
    () => client.post('v3/mail/send', { json: body, signal: delivery.signal }),
    describeErrorBody,
  );
  return { externalId: stripAngles(email.messageId), status: 'sent' };
}
