import { ValidationError } from '../model/errors.js';
import type { Position } from './store.js';

/** Encodes a list position as an opaque, URL-safe cursor. */
export function encodeCursor(position: Position): string {
  return `${position.at.toString(36)}.${position.id}`;
}

/** Decodes a cursor made by {@link encodeCursor}; a malformed one is a ValidationError on `field`. */
export function decodeCursor(cursor: string, field = 'cursor'): Position {
  const dot = cursor.indexOf('.');
  const at = dot > 0 ? Number.parseInt(cursor.slice(0, dot), 36) : Number.NaN;
  const id = cursor.slice(dot + 1);
  if (!Number.isFinite(at) || id.length === 0 || id.length > 256) {
    throw new ValidationError('page options', [{ path: [field], message: 'not a cursor this desk issued' }]);
  }
  return { at, id };
}

/** Compares two positions: by time, then id. */
export function comparePositions(a: Position, b: Position): number {
  if (a.at !== b.at) return a.at - b.at;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
