import type { ChannelAdapter, OutboundDelivery, RawRequest, SendResult } from '../../core/channel.js';
import { DeliveryError, SignatureError, ValidationError } from '../../model/errors.js';
import type { InboundEvent } from '../../model/inbound.js';
import { createProviderClient, type DeliveryOptions, deliver } from '../shared/provider-client.js';
import { assertFresh, assertSignature, hmacText, sha256, toHex } from '../shared/signature.js';
import { formatAddress, parseSender } from './address.js';
import { emailCapabilities, INBOUND_EMAIL_MAX_BYTES } from './capabilities.js';
import { type FormBody, readFormBody } from './form-body.js';
import { type HeaderList, stripAngles, threadHeaders } from './headers.js';
import { type EmailAttachment, emailEvents, type ParsedEmail } from './inbound.js';
import { parseMime } from './mime.js';
import { describeErrorBody } from './provider-errors.js';
import { checkSenderOptions, composeEmail, type EmailSenderOptions, optionError } from './send.js';
import { mailgunAuthPass, singleAuthor } from './sender-auth.js';
import { TokenCache } from './token-cache.js';

/** Options of {@link mailgunInbound}. */
export interface MailgunOptions extends EmailSenderOptions, DeliveryOptions {
  /** Adapter id. Default `mailgun`. */
  id?: string;
  /** The HTTP webhook signing key (older accounts: the API key). Required. */
  signingKey: string;
  /** Replay window for the signed `timestamp`, in seconds. Default 300. */
  toleranceSec?: number;
  /**
   * Remember this many recent tokens and refuse a second use of one with another body (the same
   * body again is a retry of the delivery). Default 10 000; 0 turns it off.
   */
  tokenCacheSize?: number;
  /** Epoch-ms clock for the replay window. Default `Date.now`. */
  clock?: () => number;
  /** API key for sending (basic auth `api:<key>`). Required to send. */
  apiKey?: string;
  /** API base URL. Default `https://api.mailgun.net` (EU: `https://api.eu.mailgun.net`). */
  baseUrl?: string;
}

function messageHeaders(fields: Record<string, string>): HeaderList {
  try {
    const parsed: unknown = JSON.parse(fields['message-headers'] ?? '');
    if (Array.isArray(parsed)) {
      return parsed
        .filter((pair): pair is [string, string] => Array.isArray(pair) && pair.length >= 2)
        .map(([name, value]) => [String(name), String(value)]);
    }
  } catch {
    // Fall through: some deliveries carry the headers only as their own fields.
  }
  const names = [
    'Message-Id',
    'In-Reply-To',
    'References',
    'Date',
    'X-Mailgun-Spf',
    'X-Mailgun-Dkim-Check-Result',
  ];
  return names.filter((name) => fields[name] !== undefined).map((name) => [name, fields[name]!]);
}

function formAttachments(form: FormBody): EmailAttachment[] {
  return form.files.map((file) => {
    const attachment: EmailAttachment = { size: file.size };
    if (file.filename) attachment.filename = file.filename;
    if (file.contentType) attachment.contentType = file.contentType;
    return attachment;
  });
}

/** The route's `recipient` (the envelope address), then the To and Cc headers. */
function mailgunRecipients(fields: Record<string, string>, headers: HeaderList): string[] {
  const named = headers.filter(([name]) => /^(to|cc)$/i.test(name)).map(([, value]) => value);
  return [fields.recipient, fields.To, fields.Cc, ...named].filter(
    (field): field is string => field !== undefined,
  );
}

function mailgunEmail(id: string, form: FormBody): ParsedEmail {
  const { fields } = form;
  const mime = fields['body-mime'] !== undefined ? parseMime(fields['body-mime']) : undefined;
  const headers = fields['message-headers'] || !mime ? messageHeaders(fields) : mime.headers;
  // Without a readable From, the envelope sender (`sender`) is the one who sent it.
  const sender = parseSender(fields.from) ?? parseSender(fields.sender);
  if (!sender)
    throw new ValidationError(`${id} inbound email`, [{ path: ['from'], message: 'no sender address' }]);
  const email: ParsedEmail = {
    from: sender.mailbox,
    verified:
      mailgunAuthPass(headers, fields.sender, sender.mailbox.address) && singleAuthor(sender, headers),
    thread: threadHeaders(headers),
    attachments: mime ? mime.attachments : formAttachments(form),
    meta: { ...(fields.recipient && { to: fields.recipient }) },
    recipients: mailgunRecipients(fields, headers),
  };
  const subject = fields.subject ?? fields.Subject;
  if (subject !== undefined) email.subject = subject;
  const text = fields['body-plain'] ?? mime?.text;
  if (text !== undefined) email.text = text;
  const html = fields['body-html'] ?? mime?.html;
  if (html) email.html = html;
  if (fields['stripped-text']) email.providerStripped = fields['stripped-text'];
  const date = headers.find(([name]) => name.toLowerCase() === 'date')?.[1];
  if (date) email.date = date;
  return email;
}

async function verifyMailgun(
  id: string,
  raw: RawRequest,
  options: MailgunOptions,
  tokens: TokenCache,
): Promise<void> {
  let form: FormBody;
  try {
    form = await readFormBody(`${id} webhook`, raw);
  } catch (cause) {
    throw new SignatureError(`${id}: cannot read the signature fields of the body`, { cause });
  }
  const { timestamp = '', token = '', signature } = form.fields;
  if (!/^\d{1,12}$/.test(timestamp) || !token) throw new SignatureError(`${id}: missing timestamp or token`);
  const expected = await hmacText('SHA-256', options.signingKey, timestamp + token, 'hex');
  assertSignature(id, signature?.toLowerCase(), [expected]);
  assertFresh(id, Number(timestamp), (options.clock ?? Date.now)(), options.toleranceSec ?? 300);
  if (!tokens.add(token, toHex(await sha256(raw.body))))
    throw new SignatureError(`${id}: token already used with another body (replayed signature)`);
}

/**
 * A Mailgun inbound routes channel (kind `email`, default id `mailgun`): verifies the route
 * POST's `signature` (hex HMAC-SHA256 of `timestamp + token` with the signing key), its replay
 * window and token reuse on another body (a retry of the same delivery passes, and is stored once); parses parsed and raw-MIME (`body-mime`) posts, multipart or
 * urlencoded; sends through `/v3/{domain}/messages`, whose returned id is the `externalId`.
 * Throws `ValidationError` for invalid options (a missing `signingKey`).
 */
export function mailgunInbound(options: MailgunOptions): ChannelAdapter {
  const id = options.id ?? 'mailgun';
  if (!options.signingKey) throw optionError(id, ['signingKey'], 'required');
  checkSenderOptions(id, options);
  const tokens = new TokenCache(options.tokenCacheSize ?? 10_000);
  const credentials = options.apiKey ? btoa(`api:${options.apiKey}`) : undefined;
  const client = createProviderClient({
    ...options,
    channel: id,
    baseUrl: options.baseUrl ?? 'https://api.mailgun.net',
    headers: { accept: 'application/json', ...(credentials && { authorization: `Basic ${credentials}` }) },
  });
  return {
    id,
    kind: 'email',
    capabilities: emailCapabilities,
    contentTypes: ['multipart/form-data', 'application/x-www-form-urlencoded'],
    maxBodyBytes: INBOUND_EMAIL_MAX_BYTES,
    verify: (raw) => verifyMailgun(id, raw, options, tokens),
    parse: async (raw): Promise<InboundEvent[]> => {
      const form = await readFormBody(`${id} inbound email`, raw);
      return emailEvents(id, mailgunEmail(id, form), options.from);
    },
    send: (delivery) => sendMailgun(id, client, options, delivery),
  };
}

async function sendMailgun(
  id: string,
  client: ReturnType<typeof createProviderClient>,
  options: MailgunOptions,
  delivery: OutboundDelivery,
): Promise<SendResult> {
  if (!options.apiKey) throw new DeliveryError(`${id}: no apiKey configured`, { retryable: false });
  const email = composeEmail(id, delivery, options);
  const domain = options.domain ?? email.from.address.split('@').pop()!;
  const form = new URLSearchParams({
    from: formatAddress(email.from),
    to: email.to,
    subject: email.subject,
    text: email.text,
  });
  if (email.inReplyTo) form.set('h:In-Reply-To', email.inReplyTo);
  if (email.references.length > 0) form.set('h:References', email.references.join(' '));
  if (email.replyTo) form.set('h:Reply-To', email.replyTo);
  form.set('v:threadline-id', delivery.message.id);
  const answer = await deliver(
    id,
    () =>
      client
        .post(`v3/${encodeURIComponent(domain)}/messages`, { body: form, signal: delivery.signal })
        .json<{ id?: unknown }>(),
    describeErrorBody,
  );
  if (typeof answer.id !== 'string' || !stripAngles(answer.id)) {
    throw new DeliveryError(`${id}: the provider's answer carries no message id`, { retryable: false });
  }
  return { externalId: stripAngles(answer.id), status: 'sent' };
}
