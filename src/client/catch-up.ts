import type { ChatMessage, HistoryPage, StatusEvent } from './types.js';

/** Options of {@link createCatchUp}. */
export interface CatchUpOptions {
  fetchPage(limit: number, before?: string): Promise<HistoryPage>;
  /** `at` of the newest server message the client knows; undefined when it knows none. */
  newestAt(): number | undefined;
  /** Emits server messages, oldest first (once per id: the caller drops the ones it knows). */
  deliver(messages: ChatMessage[]): void;
  status(event: StatusEvent): void;
  report(error: Error): void;
}

/** The live path of server messages and statuses, which a catch-up holds back to emit in order. */
export interface CatchUp {
  message(message: ChatMessage): void;
  status(event: StatusEvent): void;
  /**
   * After a reconnect: holds the stream's messages and statuses (its replay, then live ones), reads
   * history back to the newest message known before the drop (what the event log may no longer
   * hold), then emits the messages in time order and the held statuses after them.
   */
  run(): Promise<void>;
}

const PAGE = 50;
/** History pages read per catch-up at most (500 messages). */
const MAX_PAGES = 10;

/** Makes the {@link CatchUp} of one client. */
export function createCatchUp(options: CatchUpOptions): CatchUp {
  let held: ChatMessage[] | undefined;
  let statuses: StatusEvent[] = [];
  let runs = 0;
  let chain = Promise.resolve();

  /** The newest history pages, back to a message from before the drop (one page when none is known). */
  const missed = async (newest: number): Promise<ChatMessage[]> => {
    const found: ChatMessage[] = [];
    let before: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const page = await options.fetchPage(PAGE, before);
      found.push(...page.items);
      before = page.nextCursor ?? undefined;
      if (!before || page.items.some((message) => message.at <= newest)) break;
    }
    return found.reverse();
  };

  const catchUp = async (newest: number) => {
    const found = await missed(newest).catch((error: Error) => {
      options.report(error);
      return [];
    });
    held!.unshift(...found); // before the stream's copies: a page's copy is the newer one
    if (--runs) return; // a newer reconnect catches up next: keep holding
    // A stable sort: equal times keep the server's order.
    const messages = held!.sort((a, b) => a.at - b.at);
    const later = statuses;
    held = undefined;
    statuses = [];
    options.deliver(messages);
    for (const event of later) options.status(event);
  };

  return {
    message: (message) => (held ? held.push(message) : options.deliver([message])),
    status: (event) => (held ? statuses.push(event) : options.status(event)),
    run() {
      held ??= [];
      runs++;
      const newest = options.newestAt() ?? Number.POSITIVE_INFINITY;
      chain = chain.then(() => catchUp(newest));
      return chain;
    },
  };
}
