import type { OutboundDelivery } from '../../core/channel.js';
import { DeliveryError, ValidationError } from '../../model/errors.js';
import type { Part } from '../../model/parts.js';
import { type EmailAddress, parseAddress } from './address.js';
import { cleanHeaderText, stripAngles } from './headers.js';

/** Sender settings shared by every email adapter. */
export interface EmailSenderOptions {
  /** The From mailbox of outbound mail: `{ address, name? }`. Required to send. */
  from?: EmailAddress;
  /**
   * The Reply-To address. `{conversationId}` is replaced by the conversation id, so a
   * `reply+{conversationId}@inbound.example.com` address routes every answer back to its thread
   * even when a mail client drops In-Reply-To.
   */
  replyTo?: string;
  /** Domain of generated Message-IDs (`<threadline-{messageId}@{domain}>`). Default: the From domain. */
  domain?: string;
  /** Subject of a first message in a conversation without a subject. Default `Your request`. */
  defaultSubject?: string;
}

/** One outbound email, provider-neutral, ready for a provider's API. */
export interface ComposedEmail {
  from: EmailAddress;
  to: string;
  subject: string;
  text: string;
  replyTo?: string;
  /** Our Message-ID, with angle brackets. */
  messageId: string;
  /** In-Reply-To, with angle brackets. */
  inReplyTo?: string;
  /** References, each with angle brackets, oldest first. */
  references: string[];
}

/** A malformed option of an email channel, as the other adapters report theirs. */
export function optionError(channel: string, path: PropertyKey[], message: string): ValidationError {
  return new ValidationError(`${channel} options`, [{ path, message }]);
}

/** Validates sender options at construction; throws ValidationError naming the option. */
export function checkSenderOptions(channel: string, options: EmailSenderOptions): void {
  if (options.from && !parseAddress(options.from.address)) {
    throw optionError(
      channel,
      ['from', 'address'],
      `not an email address: ${JSON.stringify(options.from.address)}`,
    );
  }
  if (options.domain !== undefined && !/^[^\s@<>]+$/.test(options.domain)) {
    throw optionError(channel, ['domain'], 'must be a bare domain name');
  }
  const replyTo = options.replyTo?.replaceAll('{conversationId}', 'c');
  if (replyTo !== undefined && (!parseAddress(replyTo) || /[\s<>,;"]/.test(replyTo.trim()))) {
    throw optionError(channel, ['replyTo'], `not one email address: ${JSON.stringify(options.replyTo)}`);
  }
}

const replyPrefix = /^\s*(re|aw|sv|antw|r|rif|vs|odp|ynt)\s*(\[\d+\])?\s*:/i;

/** `Re: <subject>`, without doubling an existing reply prefix (`Re:`, `AW:`, `SV:` ...). */
export function replySubject(subject: string): string {
  return replyPrefix.test(subject) ? subject.trim() : `Re: ${subject.trim()}`;
}

/** Plain text of outbound parts: text as is, media as `filename: url` lines, others described. */
export function partsToText(parts: readonly Part[]): string {
  const blocks = parts.map((part) => {
    if (part.type === 'text') return part.text;
    if (part.type === 'media')
      return `${part.caption ? `${part.caption}\n` : ''}${part.filename ?? 'Attachment'}: ${part.url}`;
    if (part.type === 'location')
      return `Location: ${part.name ?? ''} ${part.latitude},${part.longitude}`.trim();
    if (part.type === 'contact')
      return `Contact: ${[part.name, ...(part.phones ?? []), ...(part.emails ?? [])].join(', ')}`;
    return '';
  });
  return blocks.filter((block) => block.length > 0).join('\n\n');
}

/** RFC 5322 section 2.1.1: a header line holds at most 998 characters. */
const MAX_LINE = 998;
/** The longest id sent: one that fits on one line after `In-Reply-To: `, in brackets. */
const MAX_ID = MAX_LINE - 'In-Reply-To: <>'.length;
/** The longest subject sent (Postmark refuses one over 2000 characters). */
const MAX_SUBJECT = MAX_LINE;

/**
 * An id for In-Reply-To or References, bracketed, or undefined when it cannot be sent. Ids come
 * from inbound mail, which anyone writes: one with a control character, a space, a bracket or a
 * non-ASCII character would inject or break a header of our reply (or have the provider refuse
 * it), and one longer than a line cannot be folded. No mail client makes such an id.
 */
function outboundId(id: string): string | undefined {
  const bare = stripAngles(id);
  if (bare.length === 0 || bare.length > MAX_ID || !/^[\x21-\x3b\x3d\x3f-\x7e]+$/.test(bare))
    return undefined;
  return `<${bare}>`;
}

/**
 * References that fit on one line after `References: `: the first id (the thread's root) and as
 * many of the newest as fit, as mail and news clients trim a long thread (dropping ids from the
 * second on, RFC 5537). The root is left out only when it and the newest id cannot share the line.
 */
function boundedReferences(ids: readonly string[]): string[] {
  if (ids.length <= 1) return [...ids];
  const budget = MAX_LINE - 'References: '.length;
  const root = ids[0]!;
  const withRoot = root.length + 1 + ids[ids.length - 1]!.length <= budget;
  const newest: string[] = [];
  let used = withRoot ? root.length : -1;
  for (let i = ids.length - 1; i > 0 && used + 1 + ids[i]!.length <= budget; i--) {
    used += 1 + ids[i]!.length;
    newest.push(ids[i]!);
  }
  newest.reverse();
  return withRoot ? [root, ...newest] : newest;
}

/** At most `max` UTF-16 units, never splitting a surrogate pair. */
function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]!) ? max - 1 : max;
  return text.slice(0, end);
}

/** A subject as one line (inbound mail and agents set it), or '' when nothing is left. */
function headerLine(value: string | undefined): string {
  return value === undefined ? '' : clipText(cleanHeaderText(value).trim(), MAX_SUBJECT);
}

/** The References and In-Reply-To of a reply in `thread`: sendable ids only, within one line. */
function threadIds(thread: OutboundDelivery['thread']): { references: string[]; inReplyTo?: string } {
  const inReplyTo = thread?.inReplyTo ? outboundId(thread.inReplyTo) : undefined;
  const ids = (thread?.references ?? []).map(outboundId).filter((id): id is string => id !== undefined);
  if (inReplyTo && ids[ids.length - 1] !== inReplyTo) ids.push(inReplyTo);
  const references = boundedReferences(ids);
  return inReplyTo ? { references, inReplyTo } : { references };
}

/**
 * Builds the outbound email of a delivery: Message-ID `<threadline-{message.id}@{domain}>`,
 * In-Reply-To from `delivery.thread.inReplyTo`, References (the thread's, ending with the
 * In-Reply-To id), `Re:` subject, Reply-To with `{conversationId}` filled in. Every header value
 * is made safe first: the subject and From name one line of at most 998 characters, ids that
 * cannot be sent dropped, References trimmed to one line. Throws a non-retryable `DeliveryError`
 * when no From address is configured or the message has no text.
 */
export function composeEmail(
  channel: string,
  delivery: OutboundDelivery,
  options: EmailSenderOptions,
): ComposedEmail {
  if (!options.from) throw new DeliveryError(`${channel}: no from address configured`, { retryable: false });
  const text = partsToText(delivery.message.parts);
  if (!text)
    throw new DeliveryError(`${channel}: the message has no part email can carry`, { retryable: false });
  const domain = options.domain ?? options.from.address.split('@').pop()!;
  const thread = delivery.thread;
  const { references, inReplyTo } = threadIds(thread);
  const baseSubject =
    headerLine(thread?.subject) ||
    headerLine(delivery.conversation.subject) ||
    headerLine(options.defaultSubject) ||
    'Your request';
  const name = options.from.name && headerLine(options.from.name);
  const email: ComposedEmail = {
    from: name ? { address: options.from.address, name } : { address: options.from.address },
    to: delivery.to.value,
    // A reply keeps its `Re:` even when the id it answers could not be sent.
    subject: thread?.inReplyTo ? clipText(replySubject(baseSubject), MAX_SUBJECT) : baseSubject,
    text,
    messageId: `<threadline-${delivery.message.id}@${domain}>`,
    references,
  };
  if (inReplyTo) email.inReplyTo = inReplyTo;
  if (options.replyTo)
    email.replyTo = options.replyTo.trim().replaceAll('{conversationId}', delivery.conversation.id);
  return email;
}
