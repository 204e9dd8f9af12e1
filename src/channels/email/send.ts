import type { OutboundDelivery } from '../../core/channel.js';
import { DeliveryError, ValidationError } from '../../model/errors.js';
import type { Part } from '../../model/parts.js';
import { type EmailAddress, parseAddress } from './address.js';
import { stripAngles } from './headers.js';

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

function bracket(id: string): string {
  return `<${stripAngles(id)}>`;
}

/**
 * Builds the outbound email of a delivery: Message-ID `<threadline-{message.id}@{domain}>`,
 * In-Reply-To from `delivery.thread.inReplyTo`, References (the thread's, ending with the
 * In-Reply-To id), `Re:` subject, Reply-To with `{conversationId}` filled in. Throws a
 * non-retryable `DeliveryError` when no From address is configured or the message has no text.
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
  const references = (thread?.references ?? []).filter((id) => stripAngles(id).length > 0).map(bracket);
  const inReplyTo = thread?.inReplyTo ? bracket(thread.inReplyTo) : undefined;
  if (inReplyTo && references[references.length - 1] !== inReplyTo) references.push(inReplyTo);
  const baseSubject =
    thread?.subject ?? delivery.conversation.subject ?? options.defaultSubject ?? 'Your request';
  const email: ComposedEmail = {
    from: options.from,
    to: delivery.to.value,
    subject: inReplyTo ? replySubject(baseSubject) : baseSubject,
    text,
    messageId: `<threadline-${delivery.message.id}@${domain}>`,
    references,
  };
  if (inReplyTo) email.inReplyTo = inReplyTo;
  if (options.replyTo)
    email.replyTo = options.replyTo.replaceAll('{conversationId}', delivery.conversation.id);
  return email;
}
