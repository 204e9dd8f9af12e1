import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseUrlEncoded, urlEncodedBodyOf } from '../../../src/channels/shared/form.js';
import {
  hmac,
  hmacText,
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
    expect(timingSafeEqual('a\u0000', 'a')).toBe(false);
    expect(timingSafeEqual('é', 'e')).toBe(false);
  });

  it('timingSafeEqual is string equality for any pair', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(timingSafeEqual(a, b)).toBe(a === b);
        expect(timingSafeEqual(a, a)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('hmacText gives the RFC known answers as hex and base64', async () => {
    expect(await hmacText('SHA-256', 'Jefe', data, 'hex')).toBe(sha256Answer);
    expect(await hmacText('SHA-1', 'Jefe', data, 'hex')).toBe(sha1Answer);
    expect(await hmacText('SHA-1', 'Jefe', data, 'base64')).toBe(
      Buffer.from(sha1Answer, 'hex').toString('base64'),
    );
    expect(toHex(new Uint8Array([0, 15, 16, 255]))).toBe('000f10ff');
  });
});

describe('urlencoded bodies', () => {
  const standard = (body: string) => [...new URLSearchParams(body)];

  it('parse as URLSearchParams does, valid and malformed alike', () => {
    const component = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.constantFrom('%', '%2', '%zz', '%C3', '%C3%A9', '%F0%9F%98%80', '+', '%2B', '=', '&', '\uD800'),
    );
    const body = fc
      .array(fc.tuple(component, fc.option(component)), { maxLength: 8 })
      .map((pairs) => pairs.map(([name, value]) => (value === null ? name : `${name}=${value}`)).join('&'));
    fc.assert(
      fc.property(body, (text) => {
        expect(parseUrlEncoded(text).pairs).toEqual(standard(text));
      }),
      { numRuns: 2000 },
    );
    expect(parseUrlEncoded('a=1&&b=%2B+x&a=2&c&=d').pairs).toEqual([
      ['a', '1'],
      ['b', '+ x'],
      ['a', '2'],
      ['c', ''],
      ['', 'd'],
    ]);
  });

  it('keep the first value of a name, even one named like an Object method', () => {
    expect(parseUrlEncoded('toString=1&constructor=2&toString=3').fields).toEqual({
      toString: '1',
      constructor: '2',
    });
  });

  it('parse a request body once, and again when the body changes', () => {
    const raw = { body: 'From=%2B14155550100&Body=hi' };
    const first = urlEncodedBodyOf(raw);
    expect(urlEncodedBodyOf(raw)).toBe(first);
    raw.body = 'From=%2B14155550199&Body=hi';
    expect(urlEncodedBodyOf(raw).fields.From).toBe('+14155550199');
  });
});
