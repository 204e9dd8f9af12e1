import * as z from 'zod';
import { hmac, timingSafeEqual } from '../channels/shared/signature.js';
import { SignatureError, ValidationError } from '../model/errors.js';
import { normalizeEmail } from '../model/identity.js';

/**
 * What an identity token asserts about a web-chat visitor: the host's user id (`sub`), optionally
 * their email and name, and when the assertion expires (`exp`, epoch seconds, required).
 */
export interface IdentityClaims {
  /** The host's user id; becomes a verified `external` identity. */
  sub: string;
  /** The user's email address, proven by the host's login; becomes a verified `email` identity. */
  email?: string;
  /** Display name, used when the customer has none. */
  name?: string;
  /** Expiry, in epoch seconds. */
  exp: number;
}

const Claims = z.object({
  sub: z.string().trim().min(1).max(256),
  email: z.string().refine(isEmailAddress, 'not a valid email address').optional(),
  name: z.string().trim().min(1).max(256).optional(),
  exp: z.number().finite().positive(),
});

function isEmailAddress(value: string): boolean {
  try {
    normalizeEmail(value);
    return true;
  } catch {
    return false;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Tokens longer than this are refused before any work is done. */
const MAX_TOKEN_LENGTH = 4096;

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

function checkSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length < 16) {
    throw new ValidationError('identity token secret', [
      { path: ['secret'], message: 'use a secret of at least 16 characters' },
    ]);
  }
}

function parseClaims(input: unknown): IdentityClaims {
  const checked = Claims.safeParse(input);
  if (!checked.success) throw ValidationError.fromZod('identity token payload', checked.error);
  const { sub, email, name, exp } = checked.data;
  return { sub, ...(email === undefined ? {} : { email }), ...(name === undefined ? {} : { name }), exp };
}

async function signatureOf(body: string, secret: string): Promise<string> {
  return toBase64Url(await hmac('SHA-256', secret, body));
}

/**
 * Signs an identity token for a logged-in user, on the host's server (never in the browser):
 * `base64url(JSON payload) + "." + base64url(HMAC-SHA256(secret, first part))`. Hand the token to
 * the page; the web-chat client sends it as `Authorization: Bearer <token>`.
 *
 * @param payload `{ sub, email?, name?, exp }`, `exp` in epoch seconds (keep it short: minutes to hours).
 * @param secret The `identitySecret` the web-chat handler is configured with (at least 16 characters).
 * @throws ValidationError naming the field when the payload or secret is malformed.
 * @example
 * ```ts
 * const token = await signIdentityToken(
 *   { sub: user.id, email: user.email, exp: Math.floor(Date.now() / 1000) + 3600 },
 *   process.env.CHAT_IDENTITY_SECRET!,
 * );
 * ```
 */
export async function signIdentityToken(payload: IdentityClaims, secret: string): Promise<string> {
  checkSecret(secret);
  const claims = parseClaims(payload);
  const body = toBase64Url(encoder.encode(JSON.stringify(claims)));
  return `${body}.${await signatureOf(body, secret)}`;
}

/** Splits a token into its two base64url parts, or throws a SignatureError. */
function splitToken(token: unknown): [string, string] {
  if (typeof token !== 'string' || token.length === 0) {
    throw new SignatureError('identity token: no token given');
  }
  const [body, signature, ...rest] = token.length > MAX_TOKEN_LENGTH ? [] : token.split('.');
  if (!body || !signature || rest.length > 0 || !BASE64URL.test(body) || !BASE64URL.test(signature)) {
    throw new SignatureError('identity token: malformed or unsigned (expected <payload>.<signature>)');
  }
  return [body, signature];
}

function decodePayload(body: string): unknown {
  try {
    return JSON.parse(decoder.decode(fromBase64Url(body)));
  } catch (cause) {
    throw new ValidationError('identity token payload', [{ path: [], message: 'not base64url JSON' }], {
      cause,
    });
  }
}

/**
 * Verifies an identity token made by {@link signIdentityToken}: the HMAC (constant-time compare),
 * then the payload fields, then the expiry. Returns the claims.
 *
 * @param options.now Current time in epoch **milliseconds**. Default `Date.now()`.
 * @throws SignatureError when the token is missing, malformed, unsigned, tampered with or expired.
 * @throws ValidationError naming the field when a correctly signed payload is malformed.
 */
export async function verifyIdentityToken(
  token: string,
  secret: string,
  options: { now?: number } = {},
): Promise<IdentityClaims> {
  checkSecret(secret);
  const [body, signature] = splitToken(token);
  if (!timingSafeEqual(signature, await signatureOf(body, secret))) {
    throw new SignatureError('identity token: signature does not match');
  }
  const claims = parseClaims(decodePayload(body));
  const now = options.now ?? Date.now();
  if (claims.exp * 1000 <= now) throw new SignatureError('identity token: expired');
  return claims;
}
