import type { WriteBatch } from '../../core/store.js';
import { ConflictError } from '../../model/errors.js';
import type { LoggedEvent } from '../../model/events.js';
import { applyBatch, keysToRead, ownerKeysToRead } from './apply-batch.js';
import { completion, type Database, toStorageError } from './database.js';
import { OBJECT_STORE } from './layout.js';
import { TransactionView } from './view.js';

interface Job {
  batch: WriteBatch;
  resolve: () => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; events: LoggedEvent[] } | { ok: false; error: unknown };

/** Most batches one transaction carries. */
const MAX_GROUP = 128;

/**
 * Group commit: batches handed to `commit` while a transaction is being prepared or is in flight
 * queue up and go together in the next readwrite transaction. Each batch is checked and applied on
 * its own inside it (a ConflictError rejects only that batch, before it wrote anything); a
 * transaction that aborts as a whole (quota, a bad key) is retried batch by batch, so one bad
 * batch cannot fail its neighbours.
 */
export class BatchWriter {
  private pending: Job[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly database: () => Promise<Database>,
    private readonly origin: string,
    private readonly onCommitted: (events: LoggedEvent[]) => void,
  ) {}

  /** Queues a batch; resolves once its transaction committed, rejects with ConflictError or StorageError. */
  commit(batch: WriteBatch): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ batch, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Resolves when every queued batch has settled. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    // Let the commits issued in this tick join the first transaction.
    await Promise.resolve();
    try {
      while (this.pending.length > 0) await this.runGroup(this.pending.splice(0, MAX_GROUP));
    } finally {
      this.draining = undefined;
    }
  }

  private async runGroup(jobs: Job[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.transact(jobs);
    } catch (error) {
      if (jobs.length === 1) jobs[0]!.reject(error);
      else for (const job of jobs) await this.runGroup([job]);
      return;
    }
    const events: LoggedEvent[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) {
        events.push(...outcome.events);
        jobs[i]!.resolve();
      } else jobs[i]!.reject(outcome.error);
    });
    if (events.length > 0) this.onCommitted(events);
  }

  private async transact(jobs: Job[]): Promise<Outcome[]> {
    const db = await this.database();
    const tx = db.transaction('readwrite');
    const store = tx.objectStore(OBJECT_STORE);
    let failure: unknown;
    const committed = completion(tx, 'committing a batch', () => failure);
    const outcomes: Outcome[] = [];
    try {
      const view = new TransactionView(store);
      await view.prefetch(jobs.flatMap((job) => keysToRead(job.batch)));
      await view.prefetch(jobs.flatMap((job) => ownerKeysToRead(job.batch, view)));
      for (const job of jobs) {
        try {
          outcomes.push({ ok: true, events: applyBatch(view, job.batch, this.origin) });
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error;
          outcomes.push({ ok: false, error });
        }
      }
      view.flush();
    } catch (error) {
      failure = toStorageError(error, 'committing a batch');
      abort(tx);
    }
    await committed;
    return outcomes;
  }
}

function abort(tx: IDBTransaction): void {
  try {
    tx.abort();
  } catch {
    // Already finished or aborted by the failed request itself: `completion` reports it.
  }
}
