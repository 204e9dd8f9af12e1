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

/** Decodes a quoted-printable body to bytes (soft line breaks removed); never throws. */
export function decodeQuotedPrintable(text: string): Uint8Array {
  const clean = text.replace(/=[ \t]*\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < clean.length; i++) {
    const char = clean[i]!;
    const hex = clean.slice(i + 1, i + 3);
    if (char === '=' && /^[0-9a-f]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      const code = char.charCodeAt(0);
      if (code < 0x80) bytes.push(code);
      else bytes.push(...utf8.encode(char));
    }
  }
  return new Uint8Array(bytes);
}
