import type { RawRequest } from '../../core/channel.js';
import { SignatureError } from '../../model/errors.js';
import { parseUrlEncoded } from '../shared/form.js';
import { hmac, sha256, timingSafeEqual, toBase64, toHex } from '../shared/signature.js';

/**
 * Computes `X-Twilio-Signature` for a webhook: base64(HMAC-SHA1(authToken, url + params)), where
 * params are the POST parameters sorted by name (code-unit order), each contributing
 * `name + value` once per distinct value, values sorted (Twilio's "Webhooks security" page).
 * Useful to sign test requests, and used by {@link verifyTwilioRequest}.
 */
export async function twilioSignature(
  authToken: string,
  url: string,
  params: Iterable<readonly [string, string]>,
): Promise<string> {
  return signData(authToken, url + sortedParams(params));
}

/** The parameters as Twilio signs them: sorted by name, each `name + value` once per distinct value, values sorted. */
function sortedParams(params: Iterable<readonly [string, string]>): string {
  const byName = new Map<string, Set<string>>();
  for (const [name, value] of params) {
    const values = byName.get(name) ?? new Set<string>();
    values.add(value);
    byName.set(name, values);
  }
  let data = '';
  for (const name of [...byName.keys()].sort()) {
    for (const value of [...(byName.get(name) ?? [])].sort()) data += name + value;
  }
  return data;
}

async function signData(authToken: string, data: string): Promise<string> {
  return toBase64(await hmac('SHA-1', authToken, data));
}

const authorityPattern = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/i;

/** The URL with the scheme's default port added when absent, or removed when present. */
function togglePort(url: string): string | undefined {
  const match = authorityPattern.exec(url);
  if (!match) return undefined;
  const [, scheme = '', authority = '', rest = ''] = match;
  const defaultPort =
    scheme.toLowerCase() === 'https://' ? '443' : scheme.toLowerCase() === 'http://' ? '80' : '';
  if (!defaultPort) return undefined;
  const at = authority.lastIndexOf('@');
  const userinfo = authority.slice(0, at + 1);
  const host = authority.slice(at + 1);
  const port = /:(\d+)$/.exec(host);
  if (!port) return `${scheme}${userinfo}${host}:${defaultPort}${rest}`;
  if (port[1] === defaultPort) return `${scheme}${userinfo}${host.slice(0, -port[0].length)}${rest}`;
  return undefined;
}

/**
 * The spellings of a URL Twilio may have signed: as given, as the WHATWG URL parser writes it
 * (Twilio escapes `'` in a query as `%27`), and each with and without the default port (:443 or
 * :80), as Twilio's own validators try them.
 */
export function signedUrlCandidates(url: string): string[] {
  const spellings = new Set<string>([url]);
  try {
    spellings.add(new URL(url).href);
  } catch {
    // Not parseable: only the URL as given (and its port variant) can match.
  }
  for (const spelling of [...spellings]) {
    const toggled = togglePort(spelling);
    if (toggled) spellings.add(toggled);
  }
  return [...spellings];
}

/**
 * The URL Twilio called. Behind a proxy the received URL differs from the configured one: a
 * string `publicUrl` replaces the received origin (keeping path and query; a path in `publicUrl`
 * is a prefix), a function returns the full URL.
 */
export function publicUrlOf(raw: RawRequest, publicUrl?: string | ((raw: RawRequest) => string)): string {
  if (publicUrl === undefined) return raw.url;
  if (typeof publicUrl === 'function') return publicUrl(raw);
  const pathAndQuery = raw.url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  return publicUrl.replace(/\/+$/, '') + pathAndQuery;
}

/**
 * Verifies a Twilio webhook: the `X-Twilio-Signature` header against every spelling of the URL
 * (constant-time compare). A JSON webhook carries `bodySHA256` in its query: the signature then
 * covers the URL alone and the raw body must hash to that value.
 * @throws SignatureError when the header is missing, no spelling matches, or the body hash differs.
 */
export async function verifyTwilioRequest(
  channel: string,
  authToken: string,
  raw: RawRequest,
  publicUrl?: string | ((raw: RawRequest) => string),
): Promise<void> {
  const given = raw.headers['x-twilio-signature'];
  if (!given) throw new SignatureError(`${channel}: the request carries no X-Twilio-Signature header`);
  const url = publicUrlOf(raw, publicUrl);
  const query = url.includes('?') ? parseUrlEncoded(url.slice(url.indexOf('?') + 1)).fields : {};
  const bodyHash = query.bodySHA256;
  const params = bodyHash === undefined ? parseUrlEncoded(raw.body).pairs : [];
  const signedParams = sortedParams(params);
  // Spellings are tried one by one, the received URL first: most requests match it and need one HMAC.
  let matched = false;
  for (const candidate of signedUrlCandidates(url)) {
    if (timingSafeEqual(given, await signData(authToken, candidate + signedParams))) {
      matched = true;
      break;
    }
  }
  if (!matched) throw new SignatureError(`${channel}: signature does not match`);
  if (bodyHash !== undefined && !timingSafeEqual(toHex(await sha256(raw.body)), bodyHash.toLowerCase())) {
    throw new SignatureError(`${channel}: the body does not match its bodySHA256 hash`);
  }
}
