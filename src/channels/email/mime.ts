import { decodeBytes } from './charset.js';
import { decodeEncodedWords, type HeaderList, headerValue, parseHeaderBlock } from './headers.js';
import { decodeBase64, decodedBase64Size, decodeQuotedPrintable, hexDigit } from './transfer-encoding.js';

/**
 * A minimal MIME reader for inbound mail delivered whole (SendGrid's raw mode, Mailgun's
 * `body-mime`): headers, the first text/plain and text/html bodies (quoted-printable and base64
 * decoded, in their charset) and attachment metadata. Bytes of attachments are not kept.
 */

/** An attachment found in a MIME message (metadata only). */
export interface MimeAttachment {
  filename?: string;
  contentType: string;
  /** Decoded size in bytes. */
  size: number;
  contentId?: string;
}

/** What {@link parseMime} extracts from a message. */
export interface MimeMessage {
  headers: HeaderList;
  text?: string;
  html?: string;
  attachments: MimeAttachment[];
}

const maxDepth = 8;
const maxParts = 200;
const utf8 = new TextEncoder();

/** Splits on semicolons outside double quotes. */
function splitParams(value: string): string[] {
  const items: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of value) {
    if (char === '"') quoted = !quoted;
    if (char === ';' && !quoted) {
      items.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  items.push(current);
  return items;
}

/** A structured header value: `type/subtype; key=value; key="quoted"` (RFC 2231 `key*` decoded). */
export function parseParams(value: string | undefined): { value: string; params: Record<string, string> } {
  const [head = '', ...rest] = splitParams(value ?? '');
  const params: Record<string, string> = {};
  for (const item of rest) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const rawKey = item.slice(0, eq).trim().toLowerCase();
    const key = rawKey.replace(/(\*\d+)?\*?$/, '');
    let raw = item.slice(eq + 1).trim();
    if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2)
      raw = raw.slice(1, -1).replace(/\\(.)/g, '$1');
    if (rawKey.endsWith('*')) {
      const extended = /^([^']*)'[^']*'(.*)$/.exec(raw);
      raw = extended ? decodeRfc2231(extended[2]!, extended[1]!) : decodeRfc2231(raw, 'utf-8');
    }
    const continuation = /\*[1-9]\d*\*?$/.test(rawKey);
    params[key] = continuation && key in params ? params[key] + raw : raw;
  }
  return { value: head.trim().toLowerCase(), params };
}

/** `%XX`-escaped bytes of an RFC 2231 value in `charset`, decoded in one pass over its bytes. */
function decodeRfc2231(text: string, charset: string): string {
  const bytes = utf8.encode(text);
  const out = new Uint8Array(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const high = bytes[i] === 0x25 ? hexDigit(bytes[i + 1] ?? 0) : -1;
    const low = high < 0 ? -1 : hexDigit(bytes[i + 2] ?? 0);
    if (low >= 0) {
      out[length++] = high * 16 + low;
      i += 2;
    } else {
      out[length++] = bytes[i]!;
    }
  }
  return decodeBytes(out.subarray(0, length), charset || 'utf-8');
}

function splitHeaderAndBody(raw: string): { headers: HeaderList; body: string } {
  const empty = /^\r?\n/.exec(raw);
  if (empty) return { headers: [], body: raw.slice(empty[0].length) };
  const match = /\r?\n\r?\n/.exec(raw);
  if (!match) return { headers: parseHeaderBlock(raw), body: '' };
  return {
    headers: parseHeaderBlock(raw.slice(0, match.index)),
    body: raw.slice(match.index + match[0].length),
  };
}

/**
 * Characters of a text part decoded: more than the text (64 KB kept) and HTML (512 KB read) need.
 * A part can be tens of megabytes, and anyone can send one.
 */
const TEXT_PART_SCAN = 2 * 1024 * 1024;

function decodeBody(whole: string, encoding: string, charset: string | undefined): string {
  const body = whole.length > TEXT_PART_SCAN ? whole.slice(0, TEXT_PART_SCAN) : whole;
  if (encoding === 'base64') return decodeBytes(decodeBase64(body), charset);
  if (encoding === 'quoted-printable') return decodeBytes(decodeQuotedPrintable(body), charset);
  return body;
}

function decodedSize(body: string, encoding: string): number {
  if (encoding === 'base64') return decodedBase64Size(body);
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body).length;
  return utf8.encode(body).length;
}

function splitMultipart(body: string, boundary: string): string[] {
  const escaped = boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const delimiter = new RegExp(`(?:^|\\r?\\n)--${escaped}(--)?[ \\t]*(?=\\r?\\n|$)`, 'g');
  const parts: string[] = [];
  let start = -1;
  for (const match of body.matchAll(delimiter)) {
    if (start >= 0) parts.push(body.slice(start, match.index).replace(/^\r?\n/, ''));
    if (match[1] || parts.length >= maxParts) return parts;
    start = match.index + match[0].length;
  }
  if (start >= 0) parts.push(body.slice(start).replace(/^\r?\n/, ''));
  return parts;
}

function walk(raw: string, out: MimeMessage, depth: number): void {
  const { headers, body } = splitHeaderAndBody(raw);
  const type = parseParams(headerValue(headers, 'Content-Type') ?? 'text/plain');
  const mediaType = type.value || 'text/plain';
  if (mediaType.startsWith('multipart/') && type.params.boundary && depth < maxDepth) {
    for (const part of splitMultipart(body, type.params.boundary)) walk(part, out, depth + 1);
    return;
  }
  const encoding = (headerValue(headers, 'Content-Transfer-Encoding') ?? '7bit').trim().toLowerCase();
  const disposition = parseParams(headerValue(headers, 'Content-Disposition'));
  const filename = disposition.params.filename ?? type.params.name;
  const isAttachment = disposition.value === 'attachment' || filename !== undefined;
  if (!isAttachment && mediaType === 'text/plain' && out.text === undefined) {
    out.text = decodeBody(body, encoding, type.params.charset);
  } else if (!isAttachment && mediaType === 'text/html' && out.html === undefined) {
    out.html = decodeBody(body, encoding, type.params.charset);
  } else if (depth > 0) {
    const attachment: MimeAttachment = { contentType: mediaType, size: decodedSize(body, encoding) };
    if (filename) attachment.filename = decodeEncodedWords(filename);
    const contentId = headerValue(headers, 'Content-ID');
    if (contentId) attachment.contentId = contentId.replace(/^<|>$/g, '');
    if (out.attachments.length < maxParts) out.attachments.push(attachment);
  }
}

/** Reads a whole RFC 5322 / MIME message. Never throws: unreadable parts are skipped. */
export function parseMime(raw: string): MimeMessage {
  const { headers } = splitHeaderAndBody(raw);
  const out: MimeMessage = { headers, attachments: [] };
  walk(raw, out, 0);
  return out;
}
