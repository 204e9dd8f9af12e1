import { getMany } from 'idb-keyval';
import { comparePositions } from '../../core/cursor.js';
import type { ClaimOptions, ConversationQuery, MessageScope, OutboxEntry, Range } from '../../core/store.js';
import type { LoggedEvent } from '../../model/events.js';
import type { Conversation, Customer, Message } from '../../model/records.js';
import type { StoredEvent } from './apply-batch.js';
import { completion, type Database, request, toStorageError, within } from './database.js';
import {
  conversationKey,
  customerKey,
  eventsAfter,
  externalKey,
  messageKey,
  OBJECT_STORE,
  outboxKey,
  ownerKey,
  positionOf,
  prefixRange,
  type ScopeTag,
  scopeRange,
  windowRange,
} from './layout.js';

function scopeOf(scope: MessageScope): [ScopeTag, string] {
  return 'conversationId' in scope ? ['mc', scope.conversationId] : ['mu', scope.customerId];
}

/**
 * Walks a cursor request, calling `visit` for each position until it returns false or the range
 * ends. Each step continues the cursor from its success handler, which keeps the transaction alive.
 */
function walk<C extends IDBCursor>(req: IDBRequest<C | null>, visit: (cursor: C) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => {
      const cursor = req.result;
      if (cursor && visit(cursor)) cursor.continue();
      else resolve();
    };
    req.onerror = () => reject(toStorageError(req.error, 'reading with a cursor'));
  });
}

/** Reads a point record and the record it points to, in one transaction (a consistent pair). */
async function follow<T>(
  db: Database,
  pointer: string,
  target: (id: string) => string,
  action: string,
): Promise<T | undefined> {
  const store = db.transaction('readonly').objectStore(OBJECT_STORE);
  const id = await request<string | undefined>(store.get(pointer), action);
  return id === undefined ? undefined : request<T | undefined>(store.get(target(id)), action);
}

export const findCustomerByIdentity = (
  db: Database,
  brandId: string,
  key: string,
): Promise<Customer | undefined> =>
  follow<Customer>(db, ownerKey(brandId, key), customerKey, 'finding a customer by identity');

export const findMessageByExternalId = (
  db: Database,
  channel: string,
  externalId: string,
): Promise<Message | undefined> =>
  follow<Message>(db, externalKey(channel, externalId), messageKey, 'finding a message by external id');

function emptyWindow(range: Range): boolean {
  return (
    range.limit <= 0 ||
    (range.after !== undefined &&
      range.before !== undefined &&
      comparePositions(range.after, range.before) >= 0)
  );
}

/** Below this many, a newest-first page walks a key cursor backwards; above it one `getAllKeys` is cheaper. */
const CURSOR_LIMIT = 64;

/**
 * Positions of a window: oldest-first pages are one `getAllKeys(range, limit)`; newest-first pages
 * walk a reverse key cursor when small, and read the window's keys at once and take the tail when
 * large (`getAllKeys` has no reverse direction, and one request beats thousands of cursor steps).
 */
async function windowKeys(
  store: IDBObjectStore,
  range: IDBKeyRange,
  limit: number,
  newestFirst: boolean,
): Promise<IDBValidKey[]> {
  if (!newestFirst) return request(store.getAllKeys(range, limit), 'listing messages');
  if (limit > CURSOR_LIMIT)
    return (await request(store.getAllKeys(range), 'listing messages')).slice(-limit).reverse();
  const keys: IDBValidKey[] = [];
  await walk(store.openKeyCursor(range, 'prev'), (cursor) => keys.push(cursor.key) < limit);
  return keys;
}

/** Messages of a scope in the order `Range` describes: the window's position keys, then the records. */
export async function listMessages(db: Database, scope: MessageScope, range: Range): Promise<Message[]> {
  if (emptyWindow(range)) return [];
  const [tag, id] = scopeOf(scope);
  const store = db.transaction('readonly').objectStore(OBJECT_STORE);
  const keys = await windowKeys(
    store,
    windowRange(tag, id, range.after, range.before),
    range.limit,
    !range.after,
  );
  const messages = await getMany<Message>(
    keys.map((key) => messageKey(positionOf(key).id)),
    within(store),
  );
  return messages.filter((message): message is Message => message !== undefined);
}

export function countMessages(db: Database, scope: MessageScope): Promise<number> {
  const [tag, id] = scopeOf(scope);
  return db.use('readonly', (store) => request(store.count(scopeRange(tag, id)), 'counting messages'));
}

function matches(query: ConversationQuery, conversation: Conversation): boolean {
  if (query.brandId !== undefined && conversation.brandId !== query.brandId) return false;
  return !query.status || query.status.includes(conversation.status);
}

/** Conversations newest id first, filtered as the query says. */
export async function listConversations(db: Database, query: ConversationQuery): Promise<Conversation[]> {
  if (query.limit <= 0) return [];
  const store = db.transaction('readonly').objectStore(OBJECT_STORE);
  const out: Conversation[] = [];
  if (query.customerId === undefined) {
    const upper = query.beforeId === undefined ? 'v;' : conversationKey(query.beforeId);
    const range = IDBKeyRange.bound('v:', upper, false, true);
    await walk(store.openCursor(range, 'prev'), (cursor) => {
      const conversation = cursor.value as Conversation;
      if (matches(query, conversation)) out.push(conversation);
      return out.length < query.limit;
    });
    return out;
  }
  const keys = (await request(
    store.getAllKeys(scopeRange('vc', query.customerId)),
    'listing conversations',
  )) as [string, string, string][];
  const ids = keys.map((key) => key[2]).filter((id) => query.beforeId === undefined || id < query.beforeId);
  const conversations = await getMany<Conversation>(ids.reverse().map(conversationKey), within(store));
  for (const conversation of conversations) {
    if (conversation && matches(query, conversation) && out.length < query.limit) out.push(conversation);
  }
  return out;
}

/** Events after the cursor, oldest first, in one readonly transaction. */
export async function readEvents(
  db: Database,
  after: string | undefined,
  limit: number,
): Promise<(LoggedEvent & StoredEvent)[]> {
  const seq = after === undefined ? 0 : Number(after);
  if (!Number.isFinite(seq) || limit <= 0) return [];
  const store = db.transaction('readonly').objectStore(OBJECT_STORE);
  const range = eventsAfter(seq);
  const [keys, values] = await Promise.all([
    request(store.getAllKeys(range, limit), 'reading events'),
    request(store.getAll(range, limit) as IDBRequest<StoredEvent[]>, 'reading events'),
  ]);
  return values.map((stored, i) => ({ ...stored, cursor: String((keys[i] as [string, number])[1]) }));
}

export function listOutbox(db: Database): Promise<OutboxEntry[]> {
  return db.use('readonly', (store) =>
    request(store.getAll(prefixRange('o:')) as IDBRequest<OutboxEntry[]>, 'listing the outbox'),
  );
}

/** Leases due, unleased outbox entries (of `channels`, when given) in one readwrite transaction (atomic across tabs). */
export async function claimOutbox(db: Database, options: ClaimOptions): Promise<OutboxEntry[]> {
  if (options.limit <= 0) return [];
  const tx = db.transaction('readwrite');
  const committed = completion(tx, 'claiming outbox entries');
  committed.catch(() => undefined); // awaited below; a cursor failure must not leave it unhandled
  const store = tx.objectStore(OBJECT_STORE);
  const claimed: OutboxEntry[] = [];
  await walk(store.openCursor(prefixRange('o:')), (cursor) => {
    const entry = cursor.value as OutboxEntry;
    const leased = entry.leaseUntil !== undefined && entry.leaseUntil > options.now;
    const ours = options.channels === undefined || options.channels.includes(entry.channel);
    if (entry.notBefore <= options.now && !leased && ours) {
      const next = { ...entry, leaseOwner: options.owner, leaseUntil: options.now + options.leaseMs };
      store.put(next, outboxKey(entry.messageId));
      claimed.push(next);
    }
    return claimed.length < options.limit;
  });
  await committed;
  return claimed;
}
