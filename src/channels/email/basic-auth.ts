import type { RawRequest } from '../../core/channel.js';
import { SignatureError, ValidationError } from '../../model/errors.js';
import { timingSafeEqual } from '../shared/signature.js';

/** HTTP Basic credentials the provider sends because they are embedded in the webhook URL. */
export interface BasicAuthCredentials {
  username: string;
  password: string;
}

const expected = new WeakMap<BasicAuthCredentials, { plain: string; header: string }>();

/**
 * The `Authorization` header the credentials make, encoded once per credentials object (and again
 * only if the object's username or password changes since).
 */
function expectedHeader(credentials: BasicAuthCredentials): string {
  const plain = `${credentials.username}:${credentials.password}`;
  const known = expected.get(credentials);
  if (known?.plain === plain) return known.header;
  let binary = '';
  for (const byte of new TextEncoder().encode(plain)) binary += String.fromCharCode(byte);
  const header = `Basic ${btoa(binary)}`;
  expected.set(credentials, { plain, header });
  return header;
}

/** Throws a ValidationError at construction when credentials are configured but empty. */
export function checkCredentials(channel: string, credentials: BasicAuthCredentials | undefined): void {
  if (credentials && (!credentials.username || !credentials.password)) {
    throw new ValidationError(`${channel} options`, [
      { path: ['basicAuth'], message: 'needs a non-empty username and password' },
    ]);
  }
}

/**
 * Checks the request's `Authorization: Basic ...` header against the configured credentials in
 * constant time. Passes when no credentials are configured. Throws `SignatureError` otherwise.
 */
export function verifyBasicAuth(
  channel: string,
  raw: RawRequest,
  credentials: BasicAuthCredentials | undefined,
): void {
  if (!credentials) return;
  const header = raw.headers.authorization ?? raw.headers.Authorization;
  if (!header) throw new SignatureError(`${channel}: the request carries no Authorization header`);
  const given = header.replace(/^basic\s+/i, 'Basic ').trim();
  if (!timingSafeEqual(given, expectedHeader(credentials))) {
    throw new SignatureError(`${channel}: Basic auth credentials do not match`);
  }
}
