import { ValidationError } from '../model/errors.js';
import type { Position } from './store.js';

/**
 * The kinds of listing a cursor pages: a customer's timeline, one conversation's messages, every
 * conversation, or one customer's conversations.
 */
export type CursorKind = 'timeline' | 'messages' | 'conversations' | 'customer-conversations';

/** What a cursor was issued for: a kind of listing and the id it lists (`''` for every conversation). */
export interface CursorScope {
  kind: CursorKind;
  id: string;
}

/** A decoded cursor: the listing it was issued for and the position it stands at. */
export interface DecodedCursor {
  scope: CursorScope;
  position: Position;
}

/** Every cursor starts with this (Threadline cursor, version 1), which tells one apart from a message id. */
const PREFIX = 'tc1.';
/** Longer strings are refused before any decoding: a cursor of two 256-character ids stays under it. */
export const MAX_CURSOR_LENGTH = 1024;

const CODES = new Map<CursorKind, string>([
  ['timeline', 't'],
  ['messages', 'm'],
  ['conversations', 'c'],
  ['customer-conversations', 'k'],
]);
const KINDS = new Map([...CODES].map(([kind, code]) => [code, kind]));

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** FNV-1a over the UTF-16 code units, base 36: a tamper-evident check, not a secret. */
function checksum(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

function toBase64Url(text: string): string {
  let binary = '';
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The UTF-8 text of unpadded base64url, or undefined when it is not that. */
function fromBase64Url(text: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  try {
    return decoder.decode(Uint8Array.from(atob(padded), (char) => char.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/**
 * Encodes a position in a listing as an opaque, URL-safe cursor. The cursor names its listing, so
 * that another listing refuses it, and carries a check, so that an edited or truncated one is refused.
 */
export function encodeCursor(scope: CursorScope, position: Position): string {
  const fields = [CODES.get(scope.kind), scope.id, position.at, position.id];
  const text = JSON.stringify(fields);
  return PREFIX + toBase64Url(`${text.slice(0, -1)},${JSON.stringify(checksum(text))}]`);
}

/** True when a string has the shape of a cursor (as opposed to a message id); it may still be invalid. */
export function looksLikeCursor(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** The ValidationError of a cursor option that is not a cursor this listing accepts. */
export function cursorError(field: string, message: string, what = 'page options'): ValidationError {
  return new ValidationError(what, [{ path: [field], message }]);
}

/** The listing and position of a payload, or undefined when it is not one {@link encodeCursor} makes. */
function parsePayload(text: string): DecodedCursor | undefined {
  let fields: unknown;
  try {
    fields = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(fields) || fields.length !== 5) return undefined;
  const [code, scopeId, at, id] = fields as unknown[];
  const kind = typeof code === 'string' ? KINDS.get(code) : undefined;
  if (kind === undefined || typeof scopeId !== 'string' || typeof id !== 'string' || id.length === 0)
    return undefined;
  if (typeof at !== 'number' || !Number.isFinite(at)) return undefined;
  return { scope: { kind, id: scopeId }, position: { at, id } };
}

/**
 * Decodes a cursor made by {@link encodeCursor}. Anything else (another type, a string too long, not
 * base64url, not the payload, edited, truncated or padded) is a ValidationError on `field`.
 */
export function decodeCursor(cursor: unknown, field: string, what = 'page options'): DecodedCursor {
  if (typeof cursor !== 'string') throw cursorError(field, 'must be a cursor string', what);
  if (cursor.length > MAX_CURSOR_LENGTH)
    throw cursorError(field, `too long for a cursor (over ${MAX_CURSOR_LENGTH} characters)`, what);
  const text = looksLikeCursor(cursor) ? fromBase64Url(cursor.slice(PREFIX.length)) : undefined;
  const decoded = text === undefined ? undefined : parsePayload(text);
  // The one encoding of what it decodes to: this refuses a wrong check and any other spelling.
  if (!decoded || encodeCursor(decoded.scope, decoded.position) !== cursor)
    throw cursorError(field, 'not a cursor this desk issued', what);
  return decoded;
}

/** Compares two positions: by time, then id. */
export function comparePositions(a: Position, b: Position): number {
  if (a.at !== b.at) return a.at - b.at;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The first position after `position`: every item at or before it sorts before this one. */
export function justAfter(position: Position): Position {
  // No id sorts between `id` and `id + '\0'`, whatever ids look like.
  return { at: position.at, id: `${position.id}\u0000` };
}
