import { decodeBytes } from './charset.js';
import { decodeBase64, decodeQuotedPrintable } from './transfer-encoding.js';

/** Header fields in message order, as `[name, value]` pairs (names as sent). */
export type HeaderList = [string, string][];

/**
 * Characters of a header block read. A real one is a few kilobytes (Postfix by default keeps at
 * most 100 KB of a header); the sender can make one of tens of megabytes, which took seconds to
 * split into lines.
 */
const MAX_HEADER_BLOCK = 1024 * 1024;

/**
 * Parses an RFC 5322 header block (CRLF or LF): unfolds continuation lines and splits each field
 * at its first colon. Lines without a colon are ignored, as mail readers do. Reads the first
 * 1 MiB of the block.
 */
export function parseHeaderBlock(block: string): HeaderList {
  const headers: HeaderList = [];
  const read = block.length > MAX_HEADER_BLOCK ? block.slice(0, MAX_HEADER_BLOCK) : block;
  for (const line of read.split(/\r?\n/)) {
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

/**
 * A message id without its angle brackets and surrounding whitespace. A scan, not `/>+$/`: that
 * regex retries from every `>` of a run, quadratic on an id of many `>` (seconds for 100 KB).
 */
export function stripAngles(id: string): string {
  const trimmed = id.trim();
  let start = 0;
  let end = trimmed.length;
  while (start < end && trimmed[start] === '<') start++;
  while (end > start && trimmed[end - 1] === '>') end--;
  return trimmed.slice(start, end).trim();
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const unusableIdChar = /[\u0000-\u001f\u007f<>]/;

/**
 * The message ids in a Message-ID, In-Reply-To or References value, brackets stripped, in order.
 * Ids in angle brackets win; a value without brackets is split on whitespace and commas. An id
 * holding a control character or an angle bracket (`foo>bar@x`, `a\0b@x`) is dropped: it is no
 * msg-id (RFC 5322 section 3.6.4), and as the sender wrote it, it would reach a store key and,
 * when we answer, the In-Reply-To and References of our reply.
 */
export function parseMessageIds(value: string | undefined): string[] {
  if (!value) return [];
  const bracketed = [...value.matchAll(/<([^<>\s]+)>/g)].map((match) => match[1]!);
  const ids = bracketed.length > 0 ? bracketed : value.split(/[\s,]+/).map(stripAngles);
  return ids.filter((id) => id.length > 0 && id.length <= 1024 && !unusableIdChar.test(id));
}

/**
 * Characters of a Message-ID or In-Reply-To value read for its first id, and of a References
 * value read at each end: anyone can send a References field of megabytes, and only its first
 * and last ids are kept.
 */
const ID_SCAN = 8 * 1024;
const REFERENCES_SCAN = 128 * 1024;
/** References kept from an inbound email: the inbound message schema's limit. */
const MAX_REFERENCES = 100;

/**
 * At most {@link MAX_REFERENCES} ids: the first (the thread's root) and the newest, as mail and
 * news clients trim a long References field, dropping ids from the second on (RFC 5537). Keeping
 * only the newest lost the root. Continuity looks the newest up first.
 */
function keepThreadEnds(ids: string[]): string[] {
  if (ids.length <= MAX_REFERENCES) return ids;
  return [ids[0]!, ...ids.slice(ids.length - (MAX_REFERENCES - 1))];
}

function referencesOf(value: string | undefined): string[] {
  if (!value || value.length <= 2 * REFERENCES_SCAN) return keepThreadEnds(parseMessageIds(value));
  const first = parseMessageIds(value.slice(0, ID_SCAN))[0];
  // The tail's first token may be the end of an id cut in two: it is not read.
  const last = parseMessageIds(value.slice(-REFERENCES_SCAN)).slice(1);
  return keepThreadEnds(first === undefined ? last : [first, ...last]);
}

function firstId(value: string | undefined): string | undefined {
  return parseMessageIds(value?.slice(0, ID_SCAN))[0];
}

/** The threading headers of a message, ids stripped of angle brackets. */
export interface ThreadHeaders {
  messageId?: string;
  inReplyTo?: string;
  references: string[];
}

/**
 * Extracts Message-ID, In-Reply-To (its first id) and References (at most 100: the first and the
 * last 99) from a header list. Reads a bounded part of each value, however long.
 */
export function threadHeaders(headers: HeaderList): ThreadHeaders {
  const thread: ThreadHeaders = { references: referencesOf(headerValue(headers, 'References')) };
  const messageId = firstId(headerValue(headers, 'Message-ID'));
  if (messageId) thread.messageId = messageId;
  const inReplyTo = firstId(headerValue(headers, 'In-Reply-To'));
  if (inReplyTo) thread.inReplyTo = inReplyTo;
  return thread;
}

const encodedWord = /=\?([^?\s]+)\?([bq])\?([^?\s]*)\?=/gi;

function wordBytes(encoding: string, text: string): Uint8Array {
  // Q encoding is quoted-printable where `_` stands for a space (a literal `_` arrives as `=5F`).
  return encoding.toLowerCase() === 'b'
    ? decodeBase64(text)
    : decodeQuotedPrintable(text.replaceAll('_', ' '));
}

function concatBytes(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/**
 * Decodes RFC 2047 encoded words (`=?utf-8?q?Op=C3=A9rateur?=`) in a header value. Whitespace
 * between two adjacent encoded words is dropped, as the RFC requires, and adjacent words in one
 * charset are decoded as one byte run: mail clients split a long name anywhere, also inside a
 * multi-byte UTF-8 character or an ISO-2022-JP escape sequence. The result is one line
 * ({@link cleanHeaderText}): an encoded `=0D=0A` or `=00` never yields a line break or a NUL.
 */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return cleanHeaderText(value);
  let out = '';
  let position = 0;
  let run: { charset: string; chunks: Uint8Array[] } | undefined;
  const flush = () => {
    if (run) out += decodeBytes(concatBytes(run.chunks), run.charset);
    run = undefined;
  };
  for (const match of value.matchAll(encodedWord)) {
    const between = value.slice(position, match.index);
    const charset = match[1]!.split('*')[0]!.toLowerCase();
    const bytes = wordBytes(match[2]!, match[3]!);
    const adjacent = run !== undefined && between.trim() === '';
    if (adjacent && run!.charset === charset) {
      run!.chunks.push(bytes);
    } else {
      flush();
      if (!adjacent) out += between;
      run = { charset, chunks: [bytes] };
    }
    position = match.index + match[0].length;
  }
  flush();
  return cleanHeaderText(out + value.slice(position));
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
const lineBreaking = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/**
 * Header text as one line: every run of control characters (CR, LF, NUL, tab, C1 controls such
 * as NEL) and Unicode line or paragraph separators becomes one space. Subjects, display names and
 * filenames come from the sender; a line break kept in one would split a header of our reply in
 * two (header injection) or show a forged line to the agent.
 */
export function cleanHeaderText(value: string): string {
  return value.replace(lineBreaking, ' ');
}
