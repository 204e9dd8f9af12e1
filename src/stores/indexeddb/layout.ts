import type { Position } from '../../core/store.js';
import type { Message } from '../../model/records.js';

/**
 * The key layout of the one object store. Point records live under string keys `<tag>:<id>`;
 * ordered entries (message positions, a customer's conversations, the event log) are array keys,
 * so IndexedDB's own key order (element by element, numbers before strings) sorts them and a range
 * read is one B-tree seek. Appending a message writes four small keys whatever the history size.
 *
 * | key | value |
 * |---|---|
 * | `meta:schema` | layout version (number) |
 * | `meta:seq` | last event sequence number |
 * | `c:<id>` / `v:<id>` / `m:<id>` / `g:<id>` | customer / conversation / message / merge record |
 * | `o:<messageId>` | outbox entry |
 * | `x:<channel>\0<externalId>` | message id (dedupe) |
 * | `i:<brandId>\0<identityKey>` | id of the live customer holding the identity |
 * | `['mc', conversationId, at, id]` / `['mu', customerId, at, id]` | 0 (message position) |
 * | `['vc', customerId, conversationId]` | 0 (a customer's conversation) |
 * | `['e', seq]` | `{ event, origin }` (event log) |
 */
export const OBJECT_STORE = 'records';

/** Version of the key layout this code reads and writes (see `migrations.ts`). */
export const SCHEMA_VERSION = 1;

export const META_SCHEMA = 'meta:schema';
export const META_SEQ = 'meta:seq';

const SEP = '\u0000';

export const customerKey = (id: string): string => `c:${id}`;
export const conversationKey = (id: string): string => `v:${id}`;
export const messageKey = (id: string): string => `m:${id}`;
export const mergeKey = (id: string): string => `g:${id}`;
export const outboxKey = (messageId: string): string => `o:${messageId}`;
export const externalKey = (channel: string, externalId: string): string => `x:${channel}${SEP}${externalId}`;
export const ownerKey = (brandId: string, identityKey: string): string => `i:${brandId}${SEP}${identityKey}`;

/** A message position in one scope: `mc` (by conversation) or `mu` (by customer). */
export type ScopeTag = 'mc' | 'mu';

export const positionKey = (tag: ScopeTag, scopeId: string, at: number, id: string): IDBValidKey => [
  tag,
  scopeId,
  at,
  id,
];
export const conversationPositionKey = (m: Message): IDBValidKey =>
  positionKey('mc', m.conversationId, m.at, m.id);
export const customerPositionKey = (m: Message): IDBValidKey => positionKey('mu', m.customerId, m.at, m.id);
export const customerConversationKey = (customerId: string, conversationId: string): IDBValidKey => [
  'vc',
  customerId,
  conversationId,
];
export const eventKey = (seq: number): IDBValidKey => ['e', seq];

/** Every string key starting with `prefix` (`'o:'`): from the prefix to the prefix with its last char + 1. */
export function prefixRange(prefix: string): IDBKeyRange {
  const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  return IDBKeyRange.bound(prefix, end, false, true);
}

/** Every array key `[tag, scopeId, ...]`: an empty array sorts after any number or string. */
export function scopeRange(tag: string, scopeId: string): IDBKeyRange {
  return IDBKeyRange.bound([tag, scopeId], [tag, scopeId, []], false, true);
}

/** The positions of one scope strictly between `after` and `before` (each optional). */
export function windowRange(
  tag: ScopeTag,
  scopeId: string,
  after?: Position,
  before?: Position,
): IDBKeyRange {
  const lower = after ? positionKey(tag, scopeId, after.at, after.id) : [tag, scopeId];
  const upper = before ? positionKey(tag, scopeId, before.at, before.id) : [tag, scopeId, []];
  return IDBKeyRange.bound(lower, upper, after !== undefined, true);
}

/** Events with a sequence number above `seq`. */
export function eventsAfter(seq: number): IDBKeyRange {
  return IDBKeyRange.bound(eventKey(seq), ['e', Number.POSITIVE_INFINITY], true, false);
}

/** The message id and time of a position key read back from a cursor. */
export function positionOf(key: IDBValidKey): Position {
  const parts = key as [string, string, number, string];
  return { at: parts[2], id: parts[3] };
}
