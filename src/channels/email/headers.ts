import { decodeBytes } from './charset.js';
import { decodeBase64, decodeQuotedPrintable } from './transfer-encoding.js';

/** Header fields in message order, as `[name, value]` pairs (names as sent). */
export type HeaderList = [string, string][];

/**
 * Parses an RFC 5322 header block (CRLF or LF): unfolds continuation lines and splits each field
 * at its first colon. Lines without a colon are ignored, as mail readers do.
 */
export function parseHeaderBlock(block: string): HeaderList {
  const headers: HeaderList = [];
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      const last = headers[headers.length - 1];
      if (last) last[1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return headers;
}

/** The first value of a header, by case-insensitive name. */
export function headerValue(headers: HeaderList, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return headers.find(([key]) => key.toLowerCase() === wanted)?.[1];
}

/** Every value of a header, by case-insensitive name. */
export function headerValues(headers: HeaderList, name: string): string[] {
  const wanted = name.toLowerCase();
  return headers.filter(([key]) => key.toLowerCase() === wanted).map(([, value]) => value);
}

/** A message id without its angle brackets and surrounding whitespace. */
export function stripAngles(id: string): string {
  return id.trim().replace(/^<+/, '').replace(/>+$/, '').trim();
}

/**
 * The message ids in a Message-ID, In-Reply-To or References value, brackets stripped, in order.
 * Ids in angle brackets win; a value without brackets is split on whitespace and commas.
 */
export function parseMessageIds(value: string | undefined): string[] {
  if (!value) return [];
  const bracketed = [...value.matchAll(/<([^<>\s]+)>/g)].map((match) => match[1]!.trim());
  const ids = bracketed.length > 0 ? bracketed : value.split(/[\s,]+/).map(stripAngles);
  return ids.filter((id) => id.length > 0 && id.length <= 1024);
}

/** The threading headers of a message, ids stripped of angle brackets. */
export interface ThreadHeaders {
  messageId?: string;
  inReplyTo?: string;
  references: string[];
}

/** Extracts Message-ID, In-Reply-To (its first id) and References from a header list. */
export function threadHeaders(headers: HeaderList): ThreadHeaders {
  const thread: ThreadHeaders = {
    references: parseMessageIds(headerValue(headers, 'References')).slice(-100),
  };
  const messageId = parseMessageIds(headerValue(headers, 'Message-ID'))[0];
  if (messageId) thread.messageId = messageId;
  const inReplyTo = parseMessageIds(headerValue(headers, 'In-Reply-To'))[0];
  if (inReplyTo) thread.inReplyTo = inReplyTo;
  return thread;
}

const encodedWord = /=\?([^?\s]+)\?([bq])\?([^?\s]*)\?=/gi;

/**
 * Decodes RFC 2047 encoded words (`=?utf-8?q?Op=C3=A9rateur?=`) in a header value. Whitespace
 * between two adjacent encoded words is dropped, as the RFC requires.
 */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  const joined = value.replace(/(\?=)\s+(?==\?)/g, '$1');
  return joined.replace(encodedWord, (_match, charset: string, encoding: string, text: string) => {
    // Q encoding is quoted-printable where `_` stands for a space (a literal `_` arrives as `=5F`).
    const bytes =
      encoding.toLowerCase() === 'b' ? decodeBase64(text) : decodeQuotedPrintable(text.replaceAll('_', ' '));
    return decodeBytes(bytes, charset.split('*')[0]);
  });
}
