import { normalizeEmail } from '../../model/identity.js';
import type { InboundEvent, InboundMessage } from '../../model/inbound.js';
import { MAX_TEXT_LENGTH, type Part } from '../../model/parts.js';
import type { Json } from '../../model/records.js';
import type { EmailAddress } from './address.js';
import { cleanHeaderText, type ThreadHeaders } from './headers.js';
import { cutHtmlQuote, htmlToText } from './html-text.js';
import { stripReplyText } from './reply-text.js';

/** HTML bodies up to this many characters are kept in `meta.html`. */
export const MAX_META_HTML = 64 * 1024;

/** Attachment metadata as a provider reports it (bytes are never stored). */
export interface EmailAttachment {
  filename?: string;
  contentType?: string;
  size?: number;
  contentId?: string;
}

/** One inbound email, provider-neutral: what every adapter extracts before building the event. */
export interface ParsedEmail {
  from: EmailAddress;
  /** Provider reported SPF or DKIM pass. */
  verified: boolean;
  subject?: string;
  thread: ThreadHeaders;
  /** The full plain-text body. */
  text?: string;
  html?: string;
  /** The provider's own reply extraction (Postmark StrippedTextReply, Mailgun stripped-text). */
  providerStripped?: string;
  attachments: EmailAttachment[];
  /** The Date header, as sent. */
  date?: string;
  /** Provider-specific extras, merged into the message meta. */
  meta?: Record<string, Json>;
  /**
   * Raw recipient fields as the provider gives them (To, Cc, envelope recipients), searched for a
   * `reply+<conversationId>@` address.
   */
  recipients?: string[];
}

/** `reply+<conversationId>@domain`: the Reply-To the email adapters' `replyTo` option can produce. */
const REPLY_ADDRESS = /(?:^|[\s<,;:"'(])reply\+([A-Za-z0-9_-]{1,128})@[^\s@<>,;]+/i;

/**
 * The conversation id of the first `reply+<conversationId>@` address among the recipients.
 * Read from the raw field, so the id keeps its case (address parsing lowercases).
 */
export function conversationFromRecipients(recipients: readonly string[] | undefined): string | undefined {
  for (const field of recipients ?? []) {
    const match = REPLY_ADDRESS.exec(field.slice(0, 16_384));
    if (match) return match[1];
  }
  return undefined;
}

function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}

/**
 * Characters of a body searched for the reply: four times what a text part holds. A body can be
 * tens of megabytes (anyone can send one) and the reply is at its top; stripping all of it blocked
 * the event loop for seconds per email.
 */
const REPLY_SCAN = 4 * MAX_TEXT_LENGTH;

/**
 * The reply text: the provider's extraction when it has one, else ours; never empty if any text
 * exists. Mail without a text part is cut at its HTML quote markers (`gmail_quote`, `<blockquote>`,
 * ...) before it becomes text: once flattened, quoted history has no `>` left to find it by.
 */
function replyText(email: ParsedEmail): string | undefined {
  const provided = email.providerStripped?.replace(/\r\n?/g, '\n').trim();
  if (provided) return provided;
  if (email.text?.trim()) return stripReplyText(clip(email.text, REPLY_SCAN));
  if (email.html) {
    const fromHtml = htmlToText(cutHtmlQuote(email.html)) || htmlToText(email.html);
    if (fromHtml) return stripReplyText(clip(fromHtml, REPLY_SCAN));
  }
  return undefined;
}

function attachmentPart(attachment: EmailAttachment, index: number): Part {
  const reference = attachment.contentId
    ? `cid:${attachment.contentId}`
    : `attachment:${attachment.filename || `part-${index + 1}`}`;
  const part: Part = { type: 'media', url: clip(reference, 4096) };
  if (attachment.contentType) part.mimeType = clip(attachment.contentType, 255);
  if (attachment.filename) part.filename = clip(attachment.filename, 1024);
  if (attachment.size !== undefined && Number.isSafeInteger(attachment.size) && attachment.size >= 0) {
    part.size = attachment.size;
  }
  return part;
}

function buildMeta(email: ParsedEmail, original: string | undefined): Record<string, Json> {
  const meta: Record<string, Json> = { ...email.meta };
  if (original !== undefined) meta.originalText = clip(original, MAX_TEXT_LENGTH);
  if (email.html && email.html.length <= MAX_META_HTML) meta.html = email.html;
  if (email.date) meta.date = email.date;
  return meta;
}

/**
 * The Date header as an ISO time, or undefined when it does not parse or lies before 1970: the
 * sender's clock wrote it, and the desk refuses such a time, which would refuse the whole email.
 */
function createdAt(date: string | undefined): string | undefined {
  if (!date) return undefined;
  const ms = Date.parse(date);
  return Number.isNaN(ms) || ms < 0 ? undefined : new Date(ms).toISOString();
}

/**
 * The events of an inbound email: its message; or, when it comes from the channel's own From
 * address (an agent's reply copied to the support inbox by Bcc or a forwarding rule, a mail loop),
 * an echo matched by its Message-ID to the outbound message it copies. Mail from our own address is
 * never stored as a customer's message; without a Message-ID it is dropped.
 */
export function emailEvents(
  channel: string,
  email: ParsedEmail,
  own: EmailAddress | undefined,
): InboundEvent[] {
  if (own !== undefined && sameMailbox(email.from.address, own.address)) {
    const id = email.thread.messageId;
    return id ? [{ type: 'echo', channel, externalId: id }] : [];
  }
  return [emailToEvent(channel, email)];
}

function sameMailbox(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * Builds the one `message` event of an inbound email: sender identity (`verified` when the
 * provider reported SPF or DKIM pass), thread ids, the reply text as a text part (full text in
 * `meta.originalText`), attachments as media parts, and `conversationId` when a recipient is a
 * `reply+<conversationId>@` address. Throws `ValidationError` when the sender
 * address is invalid or the result does not fit the inbound message schema.
 */
export function emailToEvent(channel: string, email: ParsedEmail): InboundEvent {
  const address = normalizeEmail(email.from.address);
  const original = email.text ?? (email.html ? htmlToText(email.html) : undefined);
  const reply = replyText(email);
  // One line: a line break kept in the subject would reach the Subject of our replies.
  const subject = email.subject === undefined ? undefined : cleanHeaderText(clip(email.subject, 1024));
  const parts: Part[] = [];
  const fallback = reply || subject?.trim() || (email.attachments.length === 0 ? '(empty message)' : '');
  if (fallback) parts.push({ type: 'text', text: clip(fallback, MAX_TEXT_LENGTH) });
  parts.push(...email.attachments.slice(0, 99).map(attachmentPart));
  const message: InboundMessage = {
    channel,
    channelKind: 'email',
    from: { kind: 'email', value: address, verified: email.verified },
    parts,
    references: email.thread.references,
    meta: buildMeta(email, original),
  };
  const name = email.from.name && cleanHeaderText(clip(email.from.name, 1024)).trim();
  if (name) message.displayName = clip(name, 256);
  if (email.thread.messageId) message.externalId = email.thread.messageId;
  if (email.thread.inReplyTo) message.replyTo = email.thread.inReplyTo;
  if (subject !== undefined) message.subject = subject;
  const conversationId = conversationFromRecipients(email.recipients);
  if (conversationId) message.conversationId = conversationId;
  const at = createdAt(email.date);
  if (at) message.createdAt = at;
  return { type: 'message', message };
}
