import * as z from 'zod';
import { hmac, timingSafeEqual } from '../channels/shared/signature.js';
import { SignatureError, ValidationError } from '../model/errors.js';
import { normalizeEmail } from '../model/identity.js';

/**
 * What an identity token asserts about a web-chat visitor: the host's user id (`sub`), optionally
 * their email and name, when the assertion expires (`exp`, epoch seconds, required) and, optionally,
 * from when it holds (`nbf`, epoch seconds).
 */
export interface IdentityClaims {
  /** The host's user id; becomes a verified `external` identity. */
  sub: string;
  /** The user's email address, proven by the host's login; becomes a verified `email` identity. */
  email?: string;
  /** Display name, used when the customer has none. */
  name?: string;
  /** Expiry, in epoch **seconds**; at most 10 years ahead (further means milliseconds were given). */
  exp: number;
  /** Not before, in epoch **seconds**: the token is refused until then. */
  nbf?: number;
  /**
   * The brand the token is for (the web-chat handler's `brand`). A handler of another brand refuses
   * it. Set it when one secret signs tokens for several brands whose user ids are not the same
   * people; a token without it is taken by every handler that shares the secret.
   */
  brand?: string;
}

const Claims = z.object({
  sub: z.string().trim().min(1).max(256),
  email: z.string().refine(isEmailAddress, 'not a valid email address').optional(),
  name: z.string().trim().min(1).max(256).optional(),
  exp: z.number().finite().positive(),
  nbf: z.number().finite().nonnegative().optional(),
  brand: z.string().min(1).max(128).optional(),
});

/**
 * How far ahead `exp` and `nbf` may be, in seconds: 10 years (3 650 days). A time in epoch
 * milliseconds by mistake (`Date.now() + 3600_000`, about 1.8e12) reads as tens of thousands of
 * years ahead in seconds, so it is caught rather than accepted as a token valid for millennia.
 */
const MAX_AHEAD_SEC = 3650 * 86_400;

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
  const { sub, email, name, exp, nbf, brand } = checked.data;
  return {
    sub,
    ...(email === undefined ? {} : { email }),
    ...(name === undefined ? {} : { name }),
    exp,
    ...(nbf === undefined ? {} : { nbf }),
    ...(brand === undefined ? {} : { brand }),
  };
}

/** The first of `exp` and `nbf` more than {@link MAX_AHEAD_SEC} after `nowSec`: given in milliseconds. */
function inMilliseconds({ exp, nbf }: IdentityClaims, nowSec: number): 'exp' | 'nbf' | undefined {
  if (exp - nowSec > MAX_AHEAD_SEC) return 'exp';
  if (nbf !== undefined && nbf - nowSec > MAX_AHEAD_SEC) return 'nbf';
  return undefined;
}

/**
 * Checks what a host asks to sign: times in seconds, and an `nbf` before `exp` (else the token is
 * valid at no time). An `exp` already past is allowed (a test of the refusal may want one).
 */
function checkTimes(claims: IdentityClaims, nowMs: number): void {
  const field = inMilliseconds(claims, nowMs / 1000);
  const problem = field
    ? { path: [field], message: 'more than 10 years ahead: give it in epoch seconds, not milliseconds' }
    : claims.nbf !== undefined && claims.nbf >= claims.exp
      ? { path: ['nbf'], message: 'must be before exp' }
      : undefined;
  if (problem) throw new ValidationError('identity token payload', [problem]);
}

async function signatureOf(body: string, secret: string): Promise<string> {
  return toBase64Url(await hmac('SHA-256', secret, body));
}

/**
 * Signs an identity token for a logged-in user, on the host's server (never in the browser):
 * `base64url(JSON payload) + "." + base64url(HMAC-SHA256(secret, first part))`. Hand the token to
 * the page; the web-chat client sends it as `Authorization: Bearer <token>`.
 *
 * @param payload `{ sub, email?, name?, exp, nbf?, brand? }`, `exp` and `nbf` in epoch **seconds**
 *   (keep `exp` short: minutes to hours); `brand` binds the token to one brand's handler.
 * @param secret The `identitySecret` the web-chat handler is configured with (at least 16 characters).
 * @param options.now Current time in epoch milliseconds, to check the times against. Default `Date.now()`.
 * @throws ValidationError naming the field when the payload or secret is malformed: among others an
 *   `exp` or `nbf` more than 10 years ahead (milliseconds given for seconds), or an `nbf` not before `exp`.
 * @example
 * ```ts
 * const token = await signIdentityToken(
 *   { sub: user.id, email: user.email, exp: Math.floor(Date.now() / 1000) + 3600 },
 *   process.env.CHAT_IDENTITY_SECRET!,
 * );
 * ```
 */
export async function signIdentityToken(
  payload: IdentityClaims,
  secret: string,
  options: { now?: number } = {},
): Promise<string> {
  checkSecret(secret);
  const claims = parseClaims(payload);
  checkTimes(claims, options.now ?? Date.now());
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
 * then the payload fields, then the times: `exp` (refused from that second on) and `nbf` (refused
 * before it), with no clock tolerance for either, then the brand. Returns the claims.
 *
 * @param options.now Current time in epoch **milliseconds**. Default `Date.now()`.
 * @param options.brand The brand verifying: a token whose `brand` claim names another is refused
 *   (a token without the claim is not). The web-chat handler passes its own `brand`.
 * @throws SignatureError when the token is missing, malformed, unsigned, tampered with, expired or
 *   not valid yet, when its `exp` or `nbf` is more than 10 years ahead (given in milliseconds), or
 *   when it is for another brand.
 * @throws ValidationError naming the field when a correctly signed payload is malformed.
 */
export async function verifyIdentityToken(
  token: string,
  secret: string,
  options: { now?: number; brand?: string } = {},
): Promise<IdentityClaims> {
  checkSecret(secret);
  const [body, signature] = splitToken(token);
  if (!timingSafeEqual(signature, await signatureOf(body, secret))) {
    throw new SignatureError('identity token: signature does not match');
  }
  const claims = parseClaims(decodePayload(body));
  const now = options.now ?? Date.now();
  const field = inMilliseconds(claims, now / 1000);
  if (field) {
    throw new SignatureError(
      `identity token: ${field} is more than 10 years ahead; give it in epoch seconds, not milliseconds`,
    );
  }
  if (claims.exp * 1000 <= now) throw new SignatureError('identity token: expired');
  if (claims.nbf !== undefined && claims.nbf * 1000 > now) {
    const ahead = Math.ceil((claims.nbf * 1000 - now) / 1000);
    throw new SignatureError(`identity token: not valid yet (nbf is ${ahead} s ahead)`);
  }
  // Threat: one secret shared by several brands made a user id of one brand log in as the same id
  // of another, whose user may be someone else.
  if (options.brand !== undefined && claims.brand !== undefined && claims.brand !== options.brand) {
    throw new SignatureError(
      `identity token: for brand ${JSON.stringify(claims.brand)}, not ${JSON.stringify(options.brand)}`,
    );
  }
  return claims;
}
