import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import * as z from 'zod';
import { ValidationError } from './errors.js';
import { PHONE_KINDS } from './identity-key.js';

export { identityKey } from './identity-key.js';

/** The kinds of identity a customer can be known by. */
export const identityKinds = [
  'email',
  'phone',
  'whatsapp',
  'messenger',
  'instagram',
  'telegram',
  'slack',
  'webchat',
  'external',
] as const;

/** The kind of an identity: an address (`email`, `phone`) or a channel-scoped id. */
export const IdentityKind = z.enum(identityKinds);
export type IdentityKind = z.infer<typeof IdentityKind>;

/** An identity as given by a host or an adapter, before normalization. */
export const IdentityInput = z.object({
  kind: IdentityKind,
  value: z.string().trim().min(1).max(320),
  /** Proven by the channel itself or by the host's signed token. Default false. */
  verified: z.boolean().optional(),
});
export type IdentityInput = z.input<typeof IdentityInput>;

/** An identity linked to a customer. `value` is normalized (emails lowercased, phones E.164). */
export const Identity = z.object({
  kind: IdentityKind,
  value: z.string().min(1),
  verified: z.boolean(),
  /** The channel id it was first seen on, or `api` when the host attached it. */
  source: z.string(),
  linkedAt: z.string(),
  lastSeenAt: z.string(),
});
export type Identity = z.infer<typeof Identity>;

/** Options for identity normalization. */
export interface NormalizeOptions {
  /** ISO 3166 country used for national phone numbers such as `(415) 555-0100`. */
  defaultCountry?: CountryCode | undefined;
}

const emailShape = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

function fail(kind: IdentityKind, message: string): never {
  throw new ValidationError(`${kind} identity`, [{ path: ['value'], message }]);
}

/**
 * Brazil moved mobile numbers to nine digits (a leading 9) in 2012-2016, but WhatsApp still
 * reports many as the old eight-digit form, so one person arrives as two numbers. The
 * library validates; this puts the ninth digit back for mobile ranges (subscriber 6-9).
 */
function fixCountryQuirks(e164: string): string {
  const br = /^\+55(\d{2})([6-9]\d{7})$/.exec(e164);
  return br ? `+55${br[1]}9${br[2]}` : e164;
}

/**
 * Mexico dropped the mobile `1` after +52 in 2019, but WhatsApp still sends `+521...`, which is no
 * longer a possible number; it is dropped before parsing.
 */
function dropMexicanMobileOne(input: string): string {
  const digits = input.replace(/[\s().-]/g, '');
  const mx = /^\+521(\d{10})$/.exec(digits);
  return mx ? `+52${mx[1]}` : input;
}

/**
 * Recently normalized numbers, per default country: parsing with metadata costs microseconds, and
 * the same customers write again and again. Keyed by the raw string itself (no key is built).
 */
const phoneCache = new Map<string, Map<string, string>>();
const PHONE_CACHE_SIZE = 20_000;

/** Normalizes a phone number to E.164, or throws a ValidationError. */
export function normalizePhone(
  raw: string,
  options: NormalizeOptions = {},
  kind: IdentityKind = 'phone',
): string {
  const country = options.defaultCountry ?? '';
  let cache = phoneCache.get(country);
  const cached = cache?.get(raw);
  if (cached !== undefined) return cached;
  const normalized = parsePhone(raw, options, kind);
  if (!cache) {
    cache = new Map();
    phoneCache.set(country, cache);
  }
  if (cache.size >= PHONE_CACHE_SIZE) cache.clear();
  cache.set(raw, normalized);
  return normalized;
}

function parsePhone(raw: string, options: NormalizeOptions, kind: IdentityKind): string {
  const input = dropMexicanMobileOne(raw.trim().replace(/^whatsapp:/i, ''));
  const parsed = parsePhoneNumberFromString(input, options.defaultCountry);
  if (!parsed?.isPossible()) {
    const hint =
      input.startsWith('+') || options.defaultCountry ? '' : ' (no country code and no defaultCountry set)';
    fail(kind, `not a valid phone number: ${JSON.stringify(raw)}${hint}`);
  }
  return fixCountryQuirks(parsed.number);
}

/** Dot-separated labels of letters, digits, `-` and `_` (after IDNA, so ASCII only). */
const domainShape = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)+$/;

/**
 * An email domain, lowercased, in its ASCII form, or undefined when it is not a domain. An
 * internationalized domain arrives as Unicode (`bücher.example`) or as IDNA's ASCII form
 * (`xn--bcher-kva.example`) for the same mailbox: the URL parser's domain-to-ASCII (UTS #46, in
 * every runtime) makes both one key. A final dot (`example.com.`) names the same domain.
 */
export function asciiDomain(domain: string): string | undefined {
  const lower = domain.toLowerCase();
  let ascii = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  // Only a Unicode domain is parsed, and only without what a URL would read as more than a host.
  if (/[\u0080-\uffff]/.test(ascii) && !/[\s/?#%\\@:[\]]/.test(ascii)) {
    try {
      ascii = new URL(`http://${ascii}`).hostname;
    } catch {
      return undefined;
    }
  }
  return domainShape.test(ascii) ? ascii : undefined;
}

/**
 * Normalizes an email address (trimmed, `Name <addr>` unwrapped, lowercased and NFC-composed, the
 * domain in its ASCII form), or throws.
 */
export function normalizeEmail(raw: string): string {
  const trimmed = raw.trim();
  const angle = /<([^<>]+)>\s*$/.exec(trimmed);
  const address = (angle ? angle[1]! : trimmed).trim().toLowerCase().normalize('NFC');
  const at = address.lastIndexOf('@');
  const domain = at > 0 ? asciiDomain(address.slice(at + 1)) : undefined;
  const normalized = domain === undefined ? address : `${address.slice(0, at)}@${domain}`;
  if (domain === undefined || normalized.length > 254 || !emailShape.test(normalized))
    fail('email', `not a valid email address: ${JSON.stringify(raw)}`);
  return normalized;
}

/** Normalizes an identity value for its kind. Throws ValidationError when it cannot. */
export function normalizeIdentityValue(
  kind: IdentityKind,
  value: string,
  options: NormalizeOptions = {},
): string {
  if (kind === 'email') return normalizeEmail(value);
  if (PHONE_KINDS.has(kind)) return normalizePhone(value, options, kind);
  const trimmed = value.trim();
  if (trimmed.length === 0) fail(kind, 'must not be empty');
  return trimmed;
}
