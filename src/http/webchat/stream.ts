import type { Desk } from '../../core/types.js';
import type { LoggedEvent } from '../../model/events.js';
import type { Author, Customer, Message } from '../../model/records.js';
import type { EventTail } from './tail.js';

const encoder = new TextEncoder();
/** Chunks a slow client may have queued before its stream is ended (it reconnects and resumes). */
const MAX_QUEUED = 1000;
const REPLAY_PAGE = 500;

/** What an event stream needs from its handler. */
export interface StreamContext {
  desk: Desk;
  /** The handler's brand: a visitor id is a customer's in that brand only. */
  brand: string;
  tail: EventTail;
  keepAliveMs: number;
  /** The visitor's live customer now, if any. */
  customerOf(visitorId: string): Promise<Customer | undefined>;
}

function hasVisitor(customer: Customer, visitorId: string, brand: string): boolean {
  return (
    customer.brandId === brand &&
    customer.identities.some((identity) => identity.kind === 'webchat' && identity.value === visitorId)
  );
}

/**
 * One visitor's Server-Sent Events stream: the events of the visitor's customer only, replayed
 * from `Last-Event-ID` and then live. Customer ids are followed through merges (a login merges the
 * visitor into the customer it proves to be) and through the visitor's first message.
 */
export class VisitorStream {
  /** Ids of the customers whose events this visitor sees (the current one and those merged into it). */
  private readonly ids = new Set<string>();
  /** Replay-time answers for customers met in old events: merged into ours since, or not. */
  private readonly owned = new Map<string, boolean>();
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private queue: Promise<void> = Promise.resolve();
  private buffer: LoggedEvent[] | undefined = [];
  private cleanup: (() => void)[] = [];
  private closed = false;
  /** The readable side, for the Response. */
  readonly body: ReadableStream<Uint8Array>;

  constructor(
    private readonly ctx: StreamContext,
    readonly visitorId: string,
    onClose: () => void,
  ) {
    this.cleanup.push(onClose);
    this.body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
      },
      cancel: () => this.close(),
    });
  }

  /** Whether events of this customer id reach this visitor. */
  follows(customerId: string): boolean {
    return this.ids.has(customerId);
  }

  /** Subscribes, sends `ready`, replays after `lastEventId`, then goes live. */
  async open(lastEventId: string | undefined): Promise<void> {
    const unsubscribe = await this.ctx.tail.subscribe((logged) => this.accept(logged));
    // Closed meanwhile (the client left, or close()): nothing may outlive the stream.
    if (this.closed) return unsubscribe();
    this.cleanup.push(unsubscribe);
    // Resolved after subscribing: a customer created in between is seen here or in the buffer.
    const customer = await this.ctx.customerOf(this.visitorId);
    if (this.closed) return;
    if (customer) this.ids.add(customer.id);
    const timer = setInterval(() => this.write(': keepalive\n\n'), this.ctx.keepAliveMs);
    (timer as { unref?: () => void }).unref?.();
    this.cleanup.push(() => clearInterval(timer));
    this.write('retry: 2000\n\n');
    // A fresh stream learns where the log stands, so it can resume even if it drops before any event.
    this.send(
      'ready',
      { customerId: customer?.id ?? null },
      lastEventId === undefined ? this.ctx.tail.cursor : undefined,
    );
    const replayed = lastEventId === undefined ? new Set<string>() : await this.replay(lastEventId);
    const buffered = this.buffer ?? [];
    this.buffer = undefined;
    for (const logged of buffered) {
      if (!replayed.has(logged.event.id)) this.enqueue(logged, false);
    }
  }

  /** Sends the events after `lastEventId`; returns their ids (the live buffer may hold them too). */
  private async replay(lastEventId: string): Promise<Set<string>> {
    const seen = new Set<string>();
    let after = lastEventId;
    for (;;) {
      const page = await this.ctx.desk.store.readEvents({ after, limit: REPLAY_PAGE });
      if (page.length === 0 || this.closed) return seen;
      for (const logged of page) {
        seen.add(logged.event.id);
        await this.handle(logged, true);
      }
      after = page[page.length - 1]!.cursor;
    }
  }

  private accept(logged: LoggedEvent): void {
    if (this.buffer) this.buffer.push(logged);
    else this.enqueue(logged, false);
  }

  /** Handles events one after the other, in log order. */
  private enqueue(logged: LoggedEvent, replay: boolean): void {
    this.queue = this.queue
      .then(() => this.handle(logged, replay))
      .catch((error: unknown) => {
        this.ctx.desk.logger.error('threadline web chat: an event stream failed', error);
        this.close();
      });
  }

  private async handle(logged: LoggedEvent, replay: boolean): Promise<void> {
    const { event } = logged;
    switch (event.type) {
      case 'customer.created':
      case 'customer.identified':
        if (hasVisitor(event.customer, this.visitorId, this.ctx.brand)) this.ids.add(event.customer.id);
        return;
      case 'customer.merged':
        if (this.ids.has(event.mergedId)) this.ids.add(event.keptId);
        return;
      case 'customer.unmerged':
        return this.resolveAgain();
      case 'message.received':
      case 'message.queued':
        if (await this.shows(event.message, replay)) this.send('message', event.message, logged.cursor);
        return;
      case 'message.sent':
      case 'message.status': {
        const { message } = event;
        if (await this.shows(message, replay)) {
          this.send('status', { messageId: message.id, status: message.status }, logged.cursor);
        }
        return;
      }
      default:
        return;
    }
  }

  /** After an unmerge, the visitor belongs to whichever customer holds its identity now. */
  private async resolveAgain(): Promise<void> {
    const customer = await this.ctx.customerOf(this.visitorId);
    this.ids.clear();
    this.owned.clear();
    if (customer) this.ids.add(customer.id);
  }

  private async shows(message: Message, replay: boolean): Promise<boolean> {
    if (message.direction === 'internal') return false;
    if (this.ids.has(message.customerId)) return true;
    if (!replay) return false;
    // An old event may name a customer merged into ours after it was logged.
    let owned = this.owned.get(message.customerId);
    if (owned === undefined) {
      const live = await this.ctx.desk.customers.resolve(message.customerId).catch(() => undefined);
      owned = live !== undefined && this.ids.has(live.id);
      this.owned.set(message.customerId, owned);
    }
    return owned;
  }

  /** Sends an ephemeral typing signal (no id: not resumable). */
  typing(typing: boolean, author: Author): void {
    const shown =
      author.name === undefined ? { type: author.type } : { type: author.type, name: author.name };
    this.send('typing', { typing, author: shown });
  }

  private send(event: string, data: unknown, id?: string): void {
    const head = id === undefined ? '' : `id: ${id}\n`;
    this.write(`${head}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private write(chunk: string): void {
    const controller = this.controller;
    if (this.closed || !controller) return;
    if ((controller.desiredSize ?? 0) < -MAX_QUEUED) {
      this.close();
      return;
    }
    controller.enqueue(encoder.encode(chunk));
  }

  /** Ends the stream and releases its subscriptions and timer. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const release of this.cleanup) release();
    this.cleanup = [];
    try {
      this.controller?.close();
    } catch {
      // Already closed or errored by the consumer.
    }
  }
}
