import type {
  Awaitable,
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
import { MemoryState } from '../memory/state.js';
import { encodeBatch, putKinds } from './codec.js';
import { type Group, type JournalStats, JournalWriter, MAX_BATCH, type PendingKey } from './journal.js';
import { readLayout } from './layout.js';
import { acquireLock, assertLockHeld, releaseLock } from './lock.js';
import { recover, removeBefore } from './recovery.js';
import { writeSnapshot } from './snapshot.js';

/** Settled options of the file store (see `FileStoreOptions`). */
export interface FileStoreConfig {
  dir: string;
  compactAfterBytes: number;
  fsync: boolean;
  eventRetention: number;
  /** How long an open waits for a live holder of the directory to close it (see `acquireLock`). */
  lockWaitMs: number;
  logger: {
    warn(message: string, ...args: unknown[]): void;
    error(message: string, ...args: unknown[]): void;
  };
}

/**
 * Read-visibility keys of a batch: the very objects it stores (records, outbox entries, events),
 * which reads get back from the state, plus the ids of the outbox entries it removes. Keyed by
 * object identity, a read checks a record with one lookup and no key string built.
 */
function keysOf(batch: WriteBatch): PendingKey[] {
  const keys: PendingKey[] = [];
  for (const kind of putKinds) for (const put of batch[kind] ?? []) keys.push(put.record);
  for (const entry of batch.outbox ?? []) keys.push(entry);
  for (const id of batch.outboxDone ?? []) keys.push(id);
  for (const event of batch.events ?? []) keys.push(event);
  return keys;
}

/**
 * The file store: a `MemoryState` (the memory store's state and indexes) made durable by a
 * journal with group commit and snapshot compaction. A batch is checked, applied in memory and
 * queued in one step, and `commit` resolves once its group is fsynced. A read that would return a
 * record whose group is not durable yet waits for that fsync, so nothing is ever *seen* (and then
 * acknowledged, e.g. as a duplicate delivery) that a crash could still take back.
 */
export class FileStore implements Store {
  readonly name = 'file';
  private readonly state: MemoryState;
  /** What groups that are not durable yet wrote (see `keysOf`): key -> the group holding the latest write. */
  private readonly pending = new Map<PendingKey, Group>();
  private writer!: JournalWriter;
  private closed = false;
  private closing: Promise<void> | undefined;
  private compaction: Promise<void> | undefined;
  private compactAt: number;

  private constructor(private readonly config: FileStoreConfig) {
    this.state = new MemoryState(config.eventRetention);
    this.compactAt = config.compactAfterBytes;
  }

  /** Locks the directory and rebuilds the state from its snapshot and journals. */
  static async open(config: FileStoreConfig): Promise<FileStore> {
    await acquireLock(config.dir, config.logger, config.lockWaitMs);
    const store = new FileStore(config);
    try {
      const { generation, size } = await recover({ ...config, state: store.state });
      store.writer = await JournalWriter.open({
        dir: config.dir,
        generation,
        size,
        fsync: config.fsync,
        onDurable: (group) => store.durable(group),
        guard: () => assertLockHeld(config.dir),
      });
    } catch (error) {
      await releaseLock(config.dir);
      if (error instanceof StorageError) throw error;
      throw new StorageError(`file store: cannot open ${config.dir}`, { cause: error });
    }
    return store;
  }

  getCustomer(id: string): Awaitable<Customer | undefined> {
    return this.visible(this.state.customer(id));
  }
  findCustomerByIdentity(brandId: string, key: string): Awaitable<Customer | undefined> {
    return this.visible(this.state.customerByIdentity(brandId, key));
  }
  getConversation(id: string): Awaitable<Conversation | undefined> {
    return this.visible(this.state.conversation(id));
  }
  listConversations(query: ConversationQuery): Awaitable<Conversation[]> {
    return this.visibleAll(this.state.listConversations(query));
  }
  getMessage(id: string): Awaitable<Message | undefined> {
    return this.visible(this.state.messages.get(id));
  }
  getMessageByExternalId(channel: string, externalId: string): Awaitable<Message | undefined> {
    return this.visible(this.state.messageByExternalId(channel, externalId));
  }
  listMessages(scope: MessageScope, range: Range): Awaitable<Message[]> {
    return this.visibleAll(this.state.listMessages(scope, range));
  }
  countMessages(scope: MessageScope): Awaitable<number> {
    if (this.pending.size === 0) return this.state.countMessages(scope);
    return this.writer.settled().then(() => this.state.countMessages(scope));
  }
  getMerge(id: string): Awaitable<MergeRecord | undefined> {
    return this.visible(this.state.merges.get(id));
  }
  async listOutbox(): Promise<OutboxEntry[]> {
    if (this.pending.size > 0) await this.writer.settled();
    return [...this.state.outbox.values()];
  }
  async readEvents(options: { after?: string | undefined; limit: number }): Promise<LoggedEvent[]> {
    const events = this.state.readEvents(options.after, options.limit);
    if (this.pending.size > 0) await this.waitFor(events.map((entry) => entry.event));
    return events;
  }

  /**
   * Checks the batch (ConflictError, nothing written), applies it in memory, appends it to the
   * journal, and resolves once it is durable. @throws StorageError when the store is closed or a
   * write failed.
   */
  async commit(batch: WriteBatch): Promise<void> {
    this.writable();
    this.state.check(batch);
    const payload = encodeBatch(batch);
    if (payload.length > MAX_BATCH) {
      throw new StorageError(
        `file store: a batch of ${payload.length} bytes exceeds the ${MAX_BATCH}-byte record limit; nothing was written`,
      );
    }
    this.state.applyQuietly(batch);
    await this.append(payload, keysOf(batch));
  }

  /** Leases due entries; the lease is journaled (and durable before it is returned) so it survives a restart. */
  async claimOutbox(options: ClaimOptions): Promise<OutboxEntry[]> {
    this.writable();
    const claimed = this.state.claimOutbox(options);
    if (claimed.length === 0) return claimed;
    const batch: WriteBatch = { outbox: claimed };
    await this.append(encodeBatch(batch), keysOf(batch));
    return claimed;
  }

  /** Group-commit counters since open: how many records shared each fsync. */
  stats(): JournalStats {
    return { ...this.writer.stats };
  }

  /**
   * Writes a snapshot of the current state and drops the journals before it. Runs in the
   * background on its own past `compactAfterBytes`; call it before copying the directory for a
   * backup. Concurrent calls share one run. @throws StorageError when a step fails.
   */
  compact(): Promise<void> {
    try {
      this.writable();
    } catch (error) {
      return Promise.reject(error);
    }
    this.compaction ??= this.runCompaction().finally(() => {
      this.compaction = undefined;
    });
    return this.compaction;
  }

  /**
   * Waits for queued writes and a running compaction, then closes the journal and releases the lock.
   * Every call resolves only once that is done (a second call shares the first one's run).
   */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    await this.compaction?.catch(() => {});
    await this.writer.close();
    await releaseLock(this.config.dir);
  }

  private writable(): void {
    if (this.closed) throw new StorageError(`file store: ${this.config.dir} is closed`);
    if (this.writer.failed) throw this.writer.failed;
  }

  private async append(payload: Buffer, keys: PendingKey[]): Promise<void> {
    const group = this.writer.append(payload, keys);
    for (const key of keys) this.pending.set(key, group);
    await group.done;
  }

  private durable(group: Group): void {
    for (const key of group.keys) if (this.pending.get(key) === group) this.pending.delete(key);
    if (this.writer.size >= this.compactAt && !this.compaction && !this.closed) {
      this.compact().catch((error: unknown) => {
        // Not data loss (the journal keeps growing); try again after another threshold's worth.
        this.compactAt = this.writer.size + this.config.compactAfterBytes;
        this.config.logger.error(`file store: background compaction of ${this.config.dir} failed`, error);
      });
    }
  }

  /**
   * A record as a read returns it: at once when it is durable, else once its group's fsync is done,
   * so a reader never sees (and acts on) a change that a crash could still take back.
   */
  private visible<T extends object>(record: T | undefined): Awaitable<T | undefined> {
    if (record === undefined || this.pending.size === 0) return record;
    const group = this.pending.get(record);
    return group ? group.done.then(() => record) : record;
  }

  private visibleAll<T extends object>(records: T[]): Awaitable<T[]> {
    if (this.pending.size === 0) return records;
    const waiting = this.waitFor(records);
    return waiting ? waiting.then(() => records) : records;
  }

  /** Resolves when every pending group holding one of the keys is durable; undefined when none is pending. */
  private waitFor(keys: readonly PendingKey[]): Promise<void> | undefined {
    const groups = new Set<Promise<void>>();
    for (const key of keys) {
      const group = this.pending.get(key);
      if (group) groups.add(group.done);
    }
    return groups.size === 0 ? undefined : Promise.all(groups).then(() => undefined);
  }

  private async runCompaction(): Promise<void> {
    const { dir, fsync } = this.config;
    // The snapshot and the cut are taken in the same tick: every record applied so far goes to the
    // current journal, everything after to the next generation, which the snapshot precedes.
    const generation = this.writer.generation + 1;
    const snapshot = this.state.snapshot();
    await this.writer.cut();
    try {
      assertLockHeld(dir);
      await writeSnapshot(dir, generation, snapshot, fsync);
      // Journals are deleted only while the directory is still this store's.
      assertLockHeld(dir);
      await removeBefore(dir, await readLayout(dir), generation, fsync);
    } catch (error) {
      throw new StorageError(
        `file store: compacting ${dir} into snapshot ${generation} failed; nothing is lost, the journals still hold every write`,
        { cause: error },
      );
    }
    this.compactAt = this.writer.size + this.config.compactAfterBytes;
  }
}
