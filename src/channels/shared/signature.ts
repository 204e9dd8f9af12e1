import { SignatureError } from '../../model/errors.js';

const encoder = new TextEncoder();

/** HMAC algorithms the providers use. */
export type HmacHash = 'SHA-1' | 'SHA-256';

const keyCache = new Map<string, Promise<CryptoKey>>();

function importKey(secret: string, hash: HmacHash): Promise<CryptoKey> {
  const cacheKey = `${hash}\u0000${secret}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash }, false, ['sign']);
    if (keyCache.size > 64) keyCache.clear();
    keyCache.set(cacheKey, key);
  }
  return key;
}

/** The part of `node:crypto` used here, when the runtime offers it without an import. */
interface NodeDigest {
  update(data: string | Uint8Array): NodeDigest;
  digest(): Uint8Array;
  digest(encoding: 'hex' | 'base64'): string;
}
interface NodeCrypto {
  createHmac(algorithm: string, key: unknown): NodeDigest;
  createHash(algorithm: string): NodeDigest;
  createSecretKey(key: Uint8Array): unknown;
}

/**
 * Node's own crypto, reached through `process.getBuiltinModule` (Node >= 20.16) so that no bundle
 * sees an import of a Node built-in. Web Crypto in Node runs each HMAC on the thread pool and costs
 * tens of microseconds per webhook; the synchronous one costs about one. Other runtimes (browsers,
 * workers, edge) use Web Crypto.
 */
const nodeCrypto = (() => {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return runtime?.getBuiltinModule?.('crypto') as NodeCrypto | undefined;
  } catch {
    return undefined;
  }
})();

const nodeNames: Record<HmacHash, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256' };

const nodeKeys = new Map<string, unknown>();

/** A Node HMAC keyed by a cached secret-key object (building one from the string on every call costs more than the hash). */
function nodeHmac(crypto: NodeCrypto, hash: HmacHash, secret: string): NodeDigest {
  let key = nodeKeys.get(secret);
  if (key === undefined) {
    key = crypto.createSecretKey(encoder.encode(secret));
    if (nodeKeys.size > 64) nodeKeys.clear();
    nodeKeys.set(secret, key);
  }
  return crypto.createHmac(nodeNames[hash], key);
}

/** HMAC of `data` with `secret`: Node's crypto where available, else Web Crypto (browsers, edge runtimes). */
export async function hmac(hash: HmacHash, secret: string, data: string | Uint8Array): Promise<Uint8Array> {
  if (nodeCrypto) return new Uint8Array(nodeHmac(nodeCrypto, hash, secret).update(data).digest());
  return webCryptoHmac(hash, secret, data);
}

/**
 * HMAC of `data` with `secret` as text: lowercase `hex` or standard `base64`, the way providers
 * put signatures in headers. In Node the digest is encoded natively.
 */
export async function hmacText(
  hash: HmacHash,
  secret: string,
  data: string | Uint8Array,
  encoding: 'hex' | 'base64',
): Promise<string> {
  if (nodeCrypto) return nodeHmac(nodeCrypto, hash, secret).update(data).digest(encoding);
  const bytes = await webCryptoHmac(hash, secret, data);
  return encoding === 'hex' ? toHex(bytes) : toBase64(bytes);
}

/** HMAC through Web Crypto: the path browsers, workers and edge runtimes take. */
export async function webCryptoHmac(
  hash: HmacHash,
  secret: string,
  data: string | Uint8Array,
): Promise<Uint8Array> {
  const key = await importKey(secret, hash);
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, bytes as Uint8Array<ArrayBuffer>));
}

/** SHA-256 digest of `data`. */
export async function sha256(data: string | Uint8Array): Promise<Uint8Array> {
  if (nodeCrypto) return new Uint8Array(nodeCrypto.createHash('sha256').update(data).digest());
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

const hexPairs = /* @__PURE__ */ Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += hexPairs[byte];
  return out;
}

/** Standard base64 of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Compares two strings in time that depends only on their lengths, so an attacker cannot learn
 * a signature byte by byte from response times. Compares UTF-16 code units, so no copy is made.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  // Past the shorter string charCodeAt gives NaN, which `| 0` turns to 0; the length differs then anyway.
  for (let i = 0; i < length; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

/** Throws a SignatureError naming the channel unless `expected` equals one of `candidates`. */
export function assertSignature(channel: string, given: string | undefined, candidates: string[]): void {
  if (!given) throw new SignatureError(`${channel}: the request carries no signature`);
  let ok = false;
  // Compare against every candidate (no early exit), keeping the time independent of which matched.
  for (const candidate of candidates) ok = timingSafeEqual(given, candidate) || ok;
  if (!ok) throw new SignatureError(`${channel}: signature does not match`);
}

/** Rejects a timestamp outside `windowSec` of `nowMs` (replay protection). */
export function assertFresh(channel: string, timestampSec: number, nowMs: number, windowSec: number): void {
  if (!Number.isFinite(timestampSec)) throw new SignatureError(`${channel}: missing or malformed timestamp`);
  if (Math.abs(nowMs / 1000 - timestampSec) > windowSec) {
    throw new SignatureError(`${channel}: timestamp outside the ${windowSec} s replay window`);
  }
}
