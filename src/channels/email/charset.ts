/**
 * Byte-to-text decoding for email content. The platform's `TextDecoder` knows the WHATWG
 * encodings; DOS code page 850, which some Windows mail clients still send (SendGrid passes it
 * through in `charsets`), is decoded from a table here.
 */

// Code page 850, bytes 0x80-0xFF in order.
const cp850High =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈıÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u00ad±‗¾¶§÷¸°¨·¹³²■\u00a0';

// Windows-1252, bytes 0x80-0x9F (the rest equals Latin-1). The WHATWG Encoding standard maps
// `iso-8859-1`, `latin1` and `us-ascii` to it too, but Node's TextDecoder decodes all of them as
// plain Latin-1 (C1 controls), so the table is applied here.
const cp1252C1 =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

const cp1252Labels = new Set([
  'windows-1252',
  'cp1252',
  'x-cp1252',
  'iso-8859-1',
  'iso8859-1',
  'iso_8859-1',
  'latin1',
  'l1',
  'us-ascii',
  'ascii',
  'ansi_x3.4-1968',
]);

/** The character of a Windows-1252 byte 0x80-0x9F (HTML maps `&#128;`-`&#159;` the same way). */
export function cp1252Char(byte: number): string {
  return cp1252C1[byte - 0x80] ?? '\ufffd';
}

function decodeCp1252(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    out += byte >= 0x80 && byte < 0xa0 ? (cp1252C1[byte - 0x80] ?? '\ufffd') : String.fromCharCode(byte);
  }
  return out;
}

const cp850Labels = new Set(['cp850', 'ibm850', '850', 'csibm850', 'cp-850']);

function decodeCp850(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes)
    out += byte < 0x80 ? String.fromCharCode(byte) : (cp850High[byte - 0x80] ?? '\ufffd');
  return out;
}

/**
 * Decodes bytes in the named charset. Unknown or missing labels fall back to UTF-8; malformed
 * sequences become U+FFFD rather than throwing.
 */
export function decodeBytes(bytes: Uint8Array, charset: string | undefined): string {
  const label = (charset ?? 'utf-8').trim().toLowerCase().replace(/^"|"$/g, '');
  if (cp850Labels.has(label)) return decodeCp850(bytes);
  if (cp1252Labels.has(label)) return decodeCp1252(bytes);
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label || 'utf-8');
  } catch {
    decoder = new TextDecoder('utf-8');
  }
  return decoder.decode(bytes);
}

/**
 * The bytes of a "binary string" (one char per byte, as a body read as latin1 holds them), or
 * undefined when the string holds a character above U+00FF and so is real text already.
 */
export function binaryStringBytes(value: string): Uint8Array | undefined {
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0xff) return undefined;
    bytes[i] = code;
  }
  return bytes;
}

/** True when no character is above U+00FF (the string can hold one byte per character). */
export function isBinaryString(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0xff) return false;
  return true;
}

/** True when every character is 7-bit ASCII (so no charset can change its meaning). */
export function isAscii(value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
  return /^[\u0000-\u007f]*$/.test(value);
}
