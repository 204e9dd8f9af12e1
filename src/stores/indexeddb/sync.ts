import type { LoggedEvent } from '../../model/events.js';
import type { StoredEvent } from './apply-batch.js';

/** Reads the log after a sequence number (see `readEvents` in reads.ts). */
export type EventReader = (after: number, limit: number) => Promise<(LoggedEvent & StoredEvent)[]>;

/** What one tab posts after a commit: the newest sequence number it wrote. */
interface Announcement {
  seq: number;
}

const PAGE = 500;

/**
 * Tab sync: after a commit the store posts the newest event sequence number on a BroadcastChannel
 * named after the database; every other store instance on that database reads the log from its
 * own cursor up to there and hands the events written by others to its `watch` listeners. The
 * announcement carries no events, so a lost or coalesced message loses nothing: the next one
 * catches up from the cursor.
 */
export class TabSync {
  private readonly channel: BroadcastChannel | undefined;
  private readonly listeners = new Set<(events: LoggedEvent[]) => void>();
  private cursor: Promise<number> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    channelName: string,
    private readonly origin: string,
    private readonly read: EventReader,
    private readonly head: () => Promise<number>,
    enabled: boolean,
  ) {
    if (!enabled || typeof BroadcastChannel === 'undefined') return;
    this.channel = new BroadcastChannel(channelName);
    this.channel.onmessage = () => this.catchUp();
  }

  /**
   * Tells the other tabs that this instance committed events `first`..`last`, and moves its own
   * cursor past them when they follow it. When they do not, another tab committed in between and
   * has not announced it (or died before it could): this instance catches up at once rather than at
   * the next announcement.
   */
  committed(first: number, last: number): void {
    if (this.closed || !this.channel) return;
    const message: Announcement = { seq: last };
    this.channel.postMessage(message);
    const before = this.cursor;
    if (this.listeners.size === 0 || before === undefined) return;
    before.then(
      (cursor) => {
        if (this.closed || cursor >= last) return;
        // The quick path only when nothing else moved the cursor; otherwise read through.
        if (!this.running && this.cursor === before && cursor === first - 1) {
          this.cursor = Promise.resolve(last);
        } else void this.catchUp();
      },
      () => undefined,
    );
  }

  /** Adds a listener for other instances' events committed from now on. */
  watch(listener: (events: LoggedEvent[]) => void): () => void {
    if (this.listeners.size === 0) this.cursor = this.readHead();
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Where the log ends now. When the store cannot open (blocked, a newer layout), the failure is
   * the callers' to see, not an unhandled rejection here: the cursor is dropped and the next
   * announcement reads the head again.
   */
  private readHead(): Promise<number> {
    const cursor = this.head();
    cursor.catch(() => {
      if (this.cursor === cursor) this.cursor = undefined;
    });
    return cursor;
  }

  /** Reads and delivers everything after the cursor; one reader at a time, re-run when poked meanwhile. */
  catchUp(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.deliverPending();
        } while (this.again && !this.closed);
      } catch (error) {
        if (!this.closed) console.error('threadline indexeddb: reading events from other tabs failed', error);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async deliverPending(): Promise<void> {
    if (this.listeners.size === 0) return;
    this.cursor ??= this.readHead();
    let after = await this.cursor;
    for (;;) {
      const page = await this.read(after, PAGE);
      if (page.length === 0 || this.closed) return;
      after = Number(page[page.length - 1]!.cursor);
      this.cursor = Promise.resolve(after);
      const theirs = page
        .filter((entry) => entry.origin !== this.origin)
        .map(({ cursor, event }) => ({ cursor, event }));
      if (theirs.length > 0) this.deliver(theirs);
      if (page.length < PAGE) return;
    }
  }

  private deliver(events: LoggedEvent[]): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(events);
      } catch (error) {
        console.error('threadline indexeddb: a watch listener threw', error);
      }
    }
  }

  /** Stops listening; pending deliveries are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    this.channel?.close();
    this.listeners.clear();
    await this.running;
  }
}
