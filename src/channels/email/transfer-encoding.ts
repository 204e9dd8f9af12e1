/** Content-Transfer-Encoding decoders (RFC 2045): base64 and quoted-printable, lenient, never throwing. */

const utf8 = new TextEncoder();

/** Decodes standard base64 leniently (ignores whitespace and junk); never throws. */
export function decodeBase64(text: string): Uint8Array {
  const clean = text.replace(/[^A-Za-z0-9+/]/g, '');
  const usable = clean.slice(0, clean.length - (clean.length % 4 === 1 ? 1 : 0));
  const padded = usable + '='.repeat((4 - (usable.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Decoded byte length of a base64 string (whitespace ignored). */
export function decodedBase64Size(text: string): number {
  const clean = text.replace(/[^A-Za-z0-9+/]/g, '');
  return Math.floor((clean.length * 3) / 4);
}

/** The value of an ASCII hex digit's char code, or -1. */
export function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** A byte buffer that grows by doubling. */
class ByteWriter {
  private bytes: Uint8Array;
  length = 0;
  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(16, capacity));
  }
  push(byte: number): void {
    if (this.length === this.bytes.length) this.grow(1);
    this.bytes[this.length++] = byte;
  }
  append(chunk: Uint8Array): void {
    if (this.length + chunk.length > this.bytes.length) this.grow(chunk.length);
    this.bytes.set(chunk, this.length);
    this.length += chunk.length;
  }
  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
  private grow(needed: number): void {
    const larger = new Uint8Array(Math.max(this.bytes.length * 2, this.length + needed));
    larger.set(this.bytes.subarray(0, this.length));
    this.bytes = larger;
  }
}

/**
 * Decodes a quoted-printable body to bytes (soft line breaks removed); never throws. Characters
 * that are not ASCII (a body already decoded once) are kept as their UTF-8 bytes. One pass into a
 * byte buffer: a body or attachment can be tens of megabytes.
 */
export function decodeQuotedPrintable(text: string): Uint8Array {
  const clean = text.includes('=') ? text.replace(/=[ \t]*\r?\n/g, '') : text;
  const out = new ByteWriter(clean.length);
  for (let i = 0; i < clean.length; i++) {
    const code = clean.charCodeAt(i);
    if (code === 0x3d) {
      const high = hexDigit(clean.charCodeAt(i + 1));
      const low = high < 0 ? -1 : hexDigit(clean.charCodeAt(i + 2));
      if (low >= 0) {
        out.push(high * 16 + low);
        i += 2;
        continue;
      }
    }
    if (code < 0x80) {
      out.push(code);
      continue;
    }
    const point = clean.codePointAt(i)!;
    out.append(utf8.encode(String.fromCodePoint(point)));
    if (point > 0xffff) i++;
  }
  return out.result();
}
