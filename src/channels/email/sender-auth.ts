import { asciiDomain } from '../../model/identity.js';
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

/**
 * The domain of an address in its lower-case ASCII form (`<Bounce@Mail.Example.COM>` ->
 * `mail.example.com`, `jörg@bücher.example` -> `xn--bcher-kva.example`), or undefined.
 */
function domainOf(address: string | undefined): string | undefined {
  const at = address?.lastIndexOf('@') ?? -1;
  if (!address || at < 0) return undefined;
  return asciiDomain(address.slice(at + 1).replace(/[>\s"'].*$/s, ''));
}

/**
 * DMARC-style relaxed alignment of an authenticated domain with the From address: the same domain,
 * or one a subdomain of the other (`bounces.example.com` vouches for `ana@example.com`). SPF checks
 * the envelope sender and DKIM the signing domain, neither of which is the From a reader sees: a
 * pass for `evil.example` says nothing about `From: ana@bank.example`. Without a public-suffix
 * list, sibling domains (`a.example.com` and `b.example.com`) are not taken as aligned.
 */
export function aligned(authenticated: string | undefined, from: string): boolean {
  const domain = authenticated === undefined ? undefined : asciiDomain(authenticated);
  const sender = domainOf(from);
  if (!domain || !sender) return false;
  return domain === sender || domain.endsWith(`.${sender}`) || sender.endsWith(`.${domain}`);
}

/**
 * Postmark: the first `Received-SPF` header says `Pass` for an `envelope-from` whose domain aligns
 * with the From address (`Pass (sender SPF authorized) identity=mailfrom; ...;
 * envelope-from=ana@example.org; ...`).
 */
export function receivedSpfPass(headers: HeaderList, from: string): boolean {
  const value = headerValue(headers, 'Received-SPF');
  if (!passes(value)) return false;
  const envelope = /(?:^|[;\s])envelope-from=("?)([^";\s]+)\1/i.exec(value!)?.[2];
  return aligned(domainOf(envelope), from);
}

/**
 * Mailgun: `X-Mailgun-Spf: Pass` for an envelope sender (the route's `sender` field, else the
 * `X-Envelope-From` or `Return-Path` header) whose domain aligns with the From address.
 * `X-Mailgun-Dkim-Check-Result` is not used: it does not say which domain signed, and a message
 * can carry a valid signature of the sender's own domain beside a forged one of the From's.
 */
export function mailgunAuthPass(
  headers: HeaderList,
  envelopeSender: string | undefined,
  from: string,
): boolean {
  if (!passes(headerValue(headers, 'X-Mailgun-Spf'))) return false;
  const envelope =
    envelopeSender ?? headerValue(headers, 'X-Envelope-From') ?? headerValue(headers, 'Return-Path');
  return aligned(domainOf(envelope), from);
}

/** The domains of SendGrid's `dkim` field (`{@example.org : pass, @other.example : fail}`) that passed. */
function dkimPassDomains(dkim: string | undefined): string[] {
  if (!dkim) return [];
  return [...dkim.slice(0, 4096).matchAll(/@([a-z0-9.-]+)\s*:\s*(\w+)/gi)]
    .filter((match) => match[2]!.toLowerCase() === 'pass')
    .map((match) => match[1]!);
}

/**
 * SendGrid: an `SPF` pass for the envelope sender (`envelope.from`) aligned with the From address,
 * or a `dkim` pass for a signing domain aligned with it.
 */
export function sendgridAuthPass(
  spf: string | undefined,
  dkim: string | undefined,
  envelopeFrom: string | undefined,
  from: string,
): boolean {
  if (passes(spf) && aligned(domainOf(envelopeFrom), from)) return true;
  return dkimPassDomains(dkim).some((domain) => aligned(domain, from));
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
