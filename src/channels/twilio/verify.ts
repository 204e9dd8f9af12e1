import type { RawRequest } from '../../core/channel.js';
import { SignatureError } from '../../model/errors.js';
import { parseUrlEncoded, urlEncodedBodyOf } from '../shared/form.js';
import { hmacText, sha256, timingSafeEqual, toHex } from '../shared/signature.js';

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
  const sorted = [...params].sort(byNameThenValue);
  let data = '';
  let previous: readonly [string, string] | undefined;
  for (const pair of sorted) {
    if (previous === undefined || pair[0] !== previous[0] || pair[1] !== previous[1])
      data += pair[0] + pair[1];
    previous = pair;
  }
  return data;
}

/** Code-unit order of names, then of values (what Twilio's validators sort by). */
function byNameThenValue(a: readonly [string, string], b: readonly [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] === b[1]) return 0;
  return a[1] < b[1] ? -1 : 1;
}

async function signData(authToken: string, data: string): Promise<string> {
  return hmacText('SHA-1', authToken, data, 'base64');
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
  const signedParams = bodyHash === undefined ? sortedParams(urlEncodedBodyOf(raw).pairs) : '';
  // The URL as received first: nearly every request matches it and needs one HMAC. The other
  // spellings are computed only when it does not.
  let matched = timingSafeEqual(given, await signData(authToken, url + signedParams));
  for (const candidate of matched ? [] : signedUrlCandidates(url).slice(1)) {
    if (timingSafeEqual(given, await signData(authToken, candidate + signedParams))) {
      matched = true;
      break;
    }
  }
  if (!matched) {
    // The commonest cause by far is a proxy: say it, without echoing the URL (it may be internal).
    throw new SignatureError(
      `${channel}: signature does not match (Twilio signs the exact public URL it called; behind a proxy or a rewritten path, set publicUrl)`,
    );
  }
  if (bodyHash !== undefined && !timingSafeEqual(toHex(await sha256(raw.body)), bodyHash.toLowerCase())) {
    throw new SignatureError(`${channel}: the body does not match its bodySHA256 hash`);
  }
}
