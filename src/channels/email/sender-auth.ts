import { parseSender, type Sender } from './address.js';
import { type HeaderList, headerValue, headerValues } from './headers.js';

/**
 * Sender authentication as the receiving provider reports it. Only headers the provider itself
 * adds are read (the first `Received-SPF`, Mailgun's `X-Mailgun-*` checks): an
 * `Authentication-Results` header further down could have been written by the sender.
 */

function passes(value: string | undefined): boolean {
  return value !== undefined && /^\s*pass\b/i.test(value);
}

/** Postmark: true when the first `Received-SPF` header says `Pass`. */
export function receivedSpfPass(headers: HeaderList): boolean {
  return passes(headerValue(headers, 'Received-SPF'));
}

/** Mailgun: true when `X-Mailgun-Spf` or `X-Mailgun-Dkim-Check-Result` says `Pass`. */
export function mailgunAuthPass(headers: HeaderList): boolean {
  return (
    passes(headerValue(headers, 'X-Mailgun-Spf')) ||
    passes(headerValue(headers, 'X-Mailgun-Dkim-Check-Result'))
  );
}

/**
 * SendGrid: true when the `SPF` field is `pass`, or the `dkim` field (`{@domain : pass}`, one
 * entry per signature) reports a pass.
 */
export function sendgridAuthPass(spf: string | undefined, dkim: string | undefined): boolean {
  return passes(spf) || (dkim !== undefined && /:\s*pass\b/i.test(dkim));
}

/**
 * Whether a provider's SPF or DKIM pass may vouch for the sender's address: only when the email
 * names one author. A From with several addresses (`From: a@x, ceo@victim`) or several From
 * fields (RFC 5322 allows one) is a known way past verifiers that check one address while the
 * reader is shown another, so such an email's sender is never `verified`.
 */
export function singleAuthor(sender: Pick<Sender, 'several'>, headers: HeaderList): boolean {
  const fields = headerValues(headers, 'From');
  if (sender.several || fields.length > 1) return false;
  return fields.every((field) => !parseSender(field)?.several);
}
