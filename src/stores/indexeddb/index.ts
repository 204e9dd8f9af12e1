import { get } from 'idb-keyval';
import type {
  ClaimOptions,
  ConversationQuery,
  MessageScope,
  OutboxEntry,
  Range,
  Store,
  WriteBatch,
} from '../../core/store.js';
import { StorageError, ValidationError } from '../../model/errors.js';
import type { LoggedEvent } from '../../model/events.js';
import type { Conversation, Customer, MergeRecord, Message } from '../../model/records.js';
import { type Database, type Durability, openDatabase } from './database.js';
import { conversationKey, customerKey, META_SEQ, mergeKey, messageKey } from './layout.js';
import { migrate } from './migrations.js';
import * as reads from './reads.js';
import { TabSync } from './sync.js';
import { exportRecords, importRecords, type RecordEntry } from './transfer.js';
import { BatchWriter } from './writer.js';

export type { Durability } from './database.js';
export type { RecordEntry } from './transfer.js';

/** Options of {@link indexedDbStore}. */
export interface IndexedDbStoreOptions {
  /** IndexedDB database name; tabs using the same name share one store. Default `'threadline'`. */
  name?: string;
  /** Post committed events to other tabs (BroadcastChannel) so their `watch` sees them. Default true. */
  broadcast?: boolean;
  /**
   * Durability of write transactions. `'strict'` (default) resolves `commit` only after the browser
   * flushed it to disk; `'relaxed'` once the OS has it (faster; a power cut may lose the last writes).
   */
  durability?: Durability;
}

/** The IndexedDB store: a {@link Store} plus export and import of its raw records (backups). */
export interface IndexedDbStore extends Store {
  /** Every record of the database as `[key, value]` pairs (a consistent snapshot). */
  exportRecords(): Promise<RecordEntry[]>;
  /** Loads pairs made by `exportRecords` into this store, which must be empty. @throws StorageError otherwise. */
  importRecords(entries: RecordEntry[]): Promise<void>;
}

function validate(options: IndexedDbStoreOptions): Required<IndexedDbStoreOptions> {
  const name = options.name ?? 'threadline';
  const durability = options.durability ?? 'strict';
  const fail = (field: string, message: string) =>
    new ValidationError('indexeddb store options', [{ path: [field], message }]);
  if (typeof name !== 'string' || name.length === 0) throw fail('name', 'must be a non-empty string');
  if (!['strict', 'relaxed', 'default'].includes(durability))
    throw fail('durability', "must be 'strict', 'relaxed' or 'default'");
  return { name, broadcast: options.broadcast ?? true, durability };
}

function randomOrigin(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * A browser store on IndexedDB (through idb-keyval): survives reloads, is shared by every tab of
 * the origin, and tells the other tabs' desks about each change (`watch`). Opening is lazy: the
 * first call opens the database and runs any pending layout migration. Appending a message writes
 * a handful of small keys whatever the conversation's length; commits issued together share one
 * transaction.
 *
 * @throws ValidationError for a wrong option. Calls reject with StorageError when IndexedDB is
 *   missing, the quota is exceeded, the open is blocked by another tab, or the store is closed;
 *   `commit` rejects with ConflictError when a version, dedupe key or identity check fails.
 * @example
 * const desk = createDesk({ store: indexedDbStore({ name: 'support' }) });
 */
export function indexedDbStore(options: IndexedDbStoreOptions = {}): IndexedDbStore {
  const settings = validate(options);
  const origin = randomOrigin();
  let closed = false;
  let opened: Promise<Database> | undefined;
  const open = (): Promise<Database> => {
    if (closed) return Promise.reject(new StorageError(`indexeddb store "${settings.name}" is closed`));
    // A failed open (blocked, newer layout) is not cached: the next call tries again.
    opened ??= openDatabase(settings.name, settings.durability)
      .then(async (db) => {
        await migrate(db).catch((error: unknown) => {
          db.close();
          throw error;
        });
        return db;
      })
      .catch((error: unknown) => {
        opened = undefined;
        throw error;
      });
    return opened;
  };
  const head = async () => (await get<number>(META_SEQ, (await open()).use)) ?? 0;
  const sync = new TabSync(
    `threadline:${settings.name}`,
    origin,
    async (after, limit) => reads.readEvents(await open(), String(after), limit),
    head,
    settings.broadcast,
  );
  const writer = new BatchWriter(open, origin, (events) =>
    sync.committed(Number(events[0]!.cursor), Number(events[events.length - 1]!.cursor)),
  );
  const record = async <T>(key: string) => get<T>(key, (await open()).use);

  return {
    name: 'indexeddb',
    getCustomer: (id) => record<Customer>(customerKey(id)),
    findCustomerByIdentity: async (brandId, key) => reads.findCustomerByIdentity(await open(), brandId, key),
    getConversation: (id) => record<Conversation>(conversationKey(id)),
    listConversations: async (query: ConversationQuery) => reads.listConversations(await open(), query),
    getMessage: (id) => record<Message>(messageKey(id)),
    getMessageByExternalId: async (channel, externalId) =>
      reads.findMessageByExternalId(await open(), channel, externalId),
    listMessages: async (scope: MessageScope, range: Range) => reads.listMessages(await open(), scope, range),
    countMessages: async (scope: MessageScope) => reads.countMessages(await open(), scope),
    getMerge: (id) => record<MergeRecord>(mergeKey(id)),
    commit: (batch: WriteBatch) => (closed ? open().then(() => undefined) : writer.commit(batch)),
    claimOutbox: async (claim: ClaimOptions) => reads.claimOutbox(await open(), claim),
    listOutbox: async (): Promise<OutboxEntry[]> => reads.listOutbox(await open()),
    readEvents: async ({ after, limit }): Promise<LoggedEvent[]> =>
      (await reads.readEvents(await open(), after, limit)).map(({ cursor, event }) => ({ cursor, event })),
    watch: (listener) => sync.watch(listener),
    exportRecords: async () => exportRecords(await open()),
    importRecords: async (entries) => importRecords(await open(), entries),
    close: async () => {
      if (closed) return;
      await writer.idle();
      closed = true;
      await sync.close();
      if (opened) (await opened.catch(() => undefined))?.close();
    },
  };
}
