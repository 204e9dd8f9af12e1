import type { Desk } from '../../core/types.js';
import type { LoggedEvent } from '../../model/events.js';

/** Events read from the log per round trip. */
const PAGE = 500;

/**
 * Follows the store's event log for every open event stream of one handler. Live events from
 * `desk.onAny` (and `store.watch`, for other processes) only wake it: it then reads the log after
 * its cursor, so each event reaches listeners once, in log order, with its cursor as SSE id.
 */
export class EventTail {
  private readonly listeners = new Set<(logged: LoggedEvent) => void>();
  private head: string | undefined;
  private ready: Promise<void> | undefined;
  private unwatch: (() => void)[] = [];
  private pumping = false;
  private again = false;

  constructor(private readonly desk: Desk) {}

  /** The cursor of the last event read from the log (undefined before the first event). */
  get cursor(): string | undefined {
    return this.head;
  }

  /**
   * Adds a listener of every event logged from now on; resolves once the tail is at the end of
   * the log (the first time, it reads through the log to find its end). Returns the unsubscriber.
   */
  async subscribe(listener: (logged: LoggedEvent) => void): Promise<() => void> {
    this.listeners.add(listener);
    if (this.unwatch.length === 0) this.start();
    const unsubscribe = () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
    try {
      await this.ready;
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  private start(): void {
    const wake = () => this.wake();
    this.unwatch.push(this.desk.onAny(wake));
    const watch = this.desk.store.watch?.(wake);
    if (watch) this.unwatch.push(watch);
    this.ready = this.drain(() => undefined);
    this.ready.catch(() => this.stop());
  }

  /** Stops following (no listener left); a later subscriber catches up from the cursor. */
  stop(): void {
    for (const off of this.unwatch) off();
    this.unwatch = [];
    this.listeners.clear();
  }

  private wake(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      await this.ready;
      do {
        this.again = false;
        await this.drain((logged) => {
          for (const listener of this.listeners) listener(logged);
        });
      } while (this.again);
    } catch (error) {
      this.desk.logger.error('threadline web chat: reading the event log failed', error);
    } finally {
      this.pumping = false;
    }
  }

  /** Reads the log after the cursor to its end, handing each event to `deliver`. */
  private async drain(deliver: (logged: LoggedEvent) => void): Promise<void> {
    for (;;) {
      const page = await this.desk.store.readEvents({ after: this.head, limit: PAGE });
      if (page.length === 0) return;
      this.head = page[page.length - 1]!.cursor;
      for (const logged of page) deliver(logged);
    }
  }
}
