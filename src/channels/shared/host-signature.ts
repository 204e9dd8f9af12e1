import type { RawRequest } from '../../core/channel.js';
import { assertSignature, hmacText } from './signature.js';

/** The header carrying a host-signed request's signature: `X-Threadline-Signature: sha256=<hex>`. */
export const SIGNATURE_HEADER = 'x-threadline-signature';

/**
 * Signs a request body the way `webform` and `webchat` verify it: `sha256=` followed by the
 * lowercase hex HMAC-SHA256 of the exact body bytes with `secret`. Send the result in the
 * `X-Threadline-Signature` header.
 *
 * @example
 * ```ts
 * const body = JSON.stringify({ email: 'ann@example.com', message: 'Hi' });
 * await fetch(url, { method: 'POST', body, headers: {
 *   'content-type': 'application/json', 'x-threadline-signature': await signBody(secret, body) } });
 * ```
 */
export async function signBody(secret: string, body: string): Promise<string> {
  return `sha256=${await hmacText('SHA-256', secret, body, 'hex')}`;
}

/** Throws a SignatureError naming `channel` unless the request carries a valid host signature. */
export async function verifyHostSignature(channel: string, secret: string, raw: RawRequest): Promise<void> {
  const expected = await signBody(secret, raw.body);
  assertSignature(channel, raw.headers[SIGNATURE_HEADER]?.trim().toLowerCase(), [expected]);
}
