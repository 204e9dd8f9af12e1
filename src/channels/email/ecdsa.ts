import { SignatureError } from '../../model/errors.js';
import { decodeBase64 } from './transfer-encoding.js';

/**
 * ECDSA P-256 / SHA-256 verification of SendGrid's signed webhooks (Web Crypto, so it runs at the
 * edge). SendGrid sends the signature base64 DER-encoded; Web Crypto wants the raw `r || s` form.
 */

const keyCache = new Map<string, Promise<CryptoKey>>();

/** Imports a base64 SPKI DER public key (as SendGrid shows it) once per key string. */
function importPublicKey(publicKey: string): Promise<CryptoKey> {
  let key = keyCache.get(publicKey);
  if (!key) {
    const der = decodeBase64(publicKey.replace(/-----[^-]+-----/g, ''));
    key = crypto.subtle.importKey(
      'spki',
      der as Uint8Array<ArrayBuffer>,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    if (keyCache.size > 16) keyCache.clear();
    keyCache.set(publicKey, key);
  }
  return key;
}

function readInteger(der: Uint8Array, offset: number): { value: Uint8Array; next: number } {
  if (der[offset] !== 0x02) throw new Error('expected an INTEGER');
  const length = der[offset + 1] ?? 0;
  const start = offset + 2;
  if (length > 33 || start + length > der.length) throw new Error('bad INTEGER length');
  let value = der.subarray(start, start + length);
  while (value.length > 32 && value[0] === 0) value = value.subarray(1);
  if (value.length > 32) throw new Error('INTEGER too long');
  return { value, next: start + length };
}

/** Converts a DER `SEQUENCE { r INTEGER, s INTEGER }` to the 64-byte `r || s` form. */
export function derToRaw(der: Uint8Array): Uint8Array {
  if (der[0] !== 0x30 || der.length < 8) throw new Error('not a DER sequence');
  const r = readInteger(der, 2);
  const s = readInteger(der, r.next);
  const raw = new Uint8Array(64);
  raw.set(r.value, 32 - r.value.length);
  raw.set(s.value, 64 - s.value.length);
  return raw;
}

/**
 * Verifies a base64 DER ECDSA P-256/SHA-256 `signature` over `timestamp + payload` with a base64
 * SPKI `publicKey`. Throws `SignatureError` when it does not verify or cannot be read.
 */
export async function verifyEcdsa(
  channel: string,
  publicKey: string,
  signature: string,
  timestamp: string,
  payload: string,
): Promise<void> {
  let ok = false;
  try {
    const key = await importPublicKey(publicKey);
    const raw = derToRaw(decodeBase64(signature));
    const data = new TextEncoder().encode(timestamp + payload);
    ok = await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      key,
      raw as Uint8Array<ArrayBuffer>,
      data,
    );
  } catch (cause) {
    throw new SignatureError(`${channel}: unreadable ECDSA signature or public key`, { cause });
  }
  if (!ok) throw new SignatureError(`${channel}: signature does not match`);
}
