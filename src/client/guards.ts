import { ValidationError } from '../model/errors.js';
import type { ChatMessage, StatusEvent, TypingEvent } from './types.js';

type Kind = 'string' | 'number' | 'boolean' | 'object';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Throws the ValidationError of `what` for one field. */
export function fail(what: string, path: (string | number)[], message: string): never {
  throw new ValidationError(what, [{ path, message }]);
}

// Field path -> expected type. Nested paths are checked after their parent.
const MESSAGE_SHAPE: [string, Kind][] = [
  ['id', 'string'],
  ['channel', 'string'],
  ['channelKind', 'string'],
  ['direction', 'string'],
  ['author', 'object'],
  ['author.type', 'string'],
  ['status', 'string'],
  ['createdAt', 'string'],
  ['at', 'number'],
];
const EVENT_SHAPES: Record<'status' | 'typing', [string, Kind][]> = {
  status: [
    ['messageId', 'string'],
    ['status', 'string'],
  ],
  typing: [
    ['author', 'object'],
    ['author.type', 'string'],
    ['typing', 'boolean'],
  ],
};

/** Throws a ValidationError naming `path` unless `value` holds every `[path, kind]` of `shape`. */
function checkShape(what: string, value: unknown, shape: [string, Kind][]): void {
  if (!isObject(value)) fail(what, [], 'expected an object');
  for (const [path, kind] of shape) {
    const keys = path.split('.');
    const found = keys.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), value);
    if (kind === 'object' ? !isObject(found) : typeof found !== kind) fail(what, keys, `expected a ${kind}`);
  }
}

/**
 * Checks the shape of a message the server sent (its fields the client relies on).
 * @throws ValidationError naming the first bad field, e.g. `parts[0].type`.
 */
export function checkMessage(value: unknown, what = 'message'): ChatMessage {
  checkShape(what, value, MESSAGE_SHAPE);
  const parts = (value as { parts: unknown }).parts;
  if (!Array.isArray(parts) || parts.length === 0) fail(what, ['parts'], 'expected a non-empty array');
  parts.forEach((part, i) => {
    if (!isObject(part) || typeof part.type !== 'string')
      fail(what, ['parts', i, 'type'], 'expected a string');
  });
  return value as ChatMessage;
}

/**
 * Checks a history page `{ items, nextCursor }`.
 * @throws ValidationError naming the bad field.
 */
export function checkPage(value: unknown): { items: ChatMessage[]; nextCursor: string | null } {
  if (!isObject(value) || !Array.isArray(value.items)) fail('history page', ['items'], 'expected an array');
  const cursor = value.nextCursor ?? null;
  if (cursor !== null && typeof cursor !== 'string')
    fail('history page', ['nextCursor'], 'expected a string or null');
  return { items: value.items.map((item, i) => checkMessage(item, `history item ${i}`)), nextCursor: cursor };
}

/** A live event the client acts on, checked. */
export type LiveEvent =
  | { type: 'message'; value: ChatMessage }
  | { type: 'status'; value: StatusEvent }
  | { type: 'typing'; value: TypingEvent };

/**
 * Parses and checks the data of a `message`, `status` (`{ messageId, status }`) or `typing`
 * (`{ typing, author }`) SSE event; undefined for other types (`ready`, future ones).
 * @throws ValidationError when the data is not JSON or not the expected shape.
 */
export function parseLiveEvent(event: string, data: string): LiveEvent | undefined {
  if (event !== 'message' && event !== 'status' && event !== 'typing') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (cause) {
    throw new ValidationError(`${event} event`, [{ path: [], message: 'not JSON' }], { cause });
  }
  if (event === 'message') checkMessage(value);
  else checkShape(`${event} event`, value, EVENT_SHAPES[event]);
  return { type: event, value } as LiveEvent;
}
