import { describe, expect, it } from 'vitest';
import {
  hmac,
  sha256,
  timingSafeEqual,
  toBase64,
  toHex,
  webCryptoHmac,
} from '../../../src/channels/shared/signature.js';

// RFC 4231 test case 2 and RFC 2202 test case 2: key "Jefe", data "what do ya want for nothing?".
const data = 'what do ya want for nothing?';
const sha256Answer = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
const sha1Answer = 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79';

describe('signature primitives', () => {
  it('HMAC matches the RFC known answers on both the Node and the Web Crypto path', async () => {
    expect(toHex(await hmac('SHA-256', 'Jefe', data))).toBe(sha256Answer);
    expect(toHex(await webCryptoHmac('SHA-256', 'Jefe', data))).toBe(sha256Answer);
    expect(toHex(await hmac('SHA-1', 'Jefe', data))).toBe(sha1Answer);
    expect(toHex(await webCryptoHmac('SHA-1', 'Jefe', new TextEncoder().encode(data)))).toBe(sha1Answer);
  });

  it('SHA-256 and base64 match known answers', async () => {
    expect(toHex(await sha256('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(toBase64(new Uint8Array([0xfb, 0xff, 0x00]))).toBe('+/8A');
  });

  it('compares in constant time and by value', () => {
    expect(timingSafeEqual('abc', 'abc')).toBe(true);
    expect(timingSafeEqual('abc', 'abd')).toBe(false);
    expect(timingSafeEqual('abc', 'abcd')).toBe(false);
    expect(timingSafeEqual('', '')).toBe(true);
  });
});
