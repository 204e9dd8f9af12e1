import type {
  ClaimOptions,
  ConversationQuery,
  MessageScope,
  OutboxEntry,
  Range,
  Store,
  WriteBatch,
} from '../../core/store.js';
import { StorageError } from '../../model/errors.js';
import type { LoggedEvent } from '../../model/events.js';
import type { Conversation, Customer, MergeRecord, Message } from '../../model/records.js';
import { MemoryState } from './state.js';

export { MessagesById } from './by-id.js';
export {
  type FormerExternalId,
  MemoryState,
  type SnapshotList,
  type StateSnapshot,
  snapshotLists,
} from './state.js';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How many events the event log keeps (oldest dropped first). Default 10 000: in memory the log
   * serves followers in the same process, which read it as it grows.
   */
  eventRetention?: number;
}

/**
 * The default store: everything in memory, gone when the process ends. Fast (the reference the
 * other drivers are measured against) and the right choice for tests, demos and bots whose history
 * lives elsewhere. Reads and commits answer synchronously (see `Awaitable`).
 *
 * @example
 * const desk = createDesk({ store: memoryStore() });
 */
export function memoryStore(options: MemoryStoreOptions = {}): Store {
  const state = new MemoryState(options.eventRetention ?? 10_000);
  let closed = false;
  const open = () => {
    if (closed) throw new StorageError('memory store is closed');
  };
  return {
    name: 'memory',
    getCustomer(id: string): Customer | undefined {
      return state.customer(id);
    },
    findCustomerByIdentity(brandId: string, key: string): Customer | undefined {
      return state.customerByIdentity(brandId, key);
    },
    getConversation(id: string): Conversation | undefined {
      return state.conversation(id);
    },
    listConversations(query: ConversationQuery): Conversation[] {
      return state.listConversations(query);
    },
    getMessage(id: string): Message | undefined {
      return state.messages.get(id);
    },
    getMessageByExternalId(channel: string, externalId: string): Message | undefined {
      return state.messageByExternalId(channel, externalId);
    },
    listMessages(scope: MessageScope, range: Range): Message[] {
      return state.listMessages(scope, range);
    },
    countMessages(scope: MessageScope): number {
      return state.countMessages(scope);
    },
    getMerge(id: string): MergeRecord | undefined {
      return state.merges.get(id);
    },
    commit(batch: WriteBatch): void {
      open();
      state.check(batch);
      state.applyQuietly(batch);
    },
    async claimOutbox(options: ClaimOptions): Promise<OutboxEntry[]> {
      open();
      return state.claimOutbox(options);
    },
    async listOutbox(): Promise<OutboxEntry[]> {
      return [...state.outbox.values()];
    },
    async readEvents(options: { after?: string | undefined; limit: number }): Promise<LoggedEvent[]> {
      return state.readEvents(options.after, options.limit);
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
