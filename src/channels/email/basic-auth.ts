import type { RawRequest } from '../../core/channel.js';
import { SignatureError, ValidationError } from '../../model/errors.js';
import { timingSafeEqual } from '../shared/signature.js';

/** HTTP Basic credentials the provider sends because they are embedded in the webhook URL. */
export interface BasicAuthCredentials {
  username: string;
  password: string;
}

function encodeCredentials({ username, password }: BasicAuthCredentials): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
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
  if (!timingSafeEqual(given, `Basic ${encodeCredentials(credentials)}`)) {
    throw new SignatureError(`${channel}: Basic auth credentials do not match`);
  }
}
