import type { Desk } from '../../core/types.js';
import type { LoggedEvent } from '../../model/events.js';
import type { Author, Customer, Message } from '../../model/records.js';
import { isSignedIn, tokenRequired } from './identity.js';
import type { EventTail } from './tail.js';

const encoder = new TextEncoder();
/** Chunks a slow client may have queued before its stream is ended (it reconnects and resumes). */
const MAX_QUEUED = 1000;
const REPLAY_PAGE = 500;
/**
 * Events a resume replays at most (the memory and file stores keep this many by default). Threat:
 * any client may send `Last-Event-ID: 0`, and each stream would read the whole event log (with a
 * store that keeps years of it, per request). A client further behind misses the rest of the
 * replay and catches up from history, as `threadline/client` does after every reconnect.
 */
const MAX_REPLAY = 10_000;
/** The longest delay `setTimeout` takes (about 24.8 days); a longer one fires at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** What an event stream needs from its handler. */
export interface StreamContext {
  desk: Desk;
  /** The handler's brand: a visitor id is a customer's in that brand only. */
  brand: string;
  tail: EventTail;
  keepAliveMs: number;
  /** The visitor's live customer now, if any. */
  customerOf(visitorId: string): Promise<Customer | undefined>;
  /** Epoch-ms clock, for the token's expiry. */
  clock(): number;
}

/** Who opened a stream. */
export interface StreamVisitor {
  id: string;
  /** The client's address (per-address stream limit), when known. */
  address: string | undefined;
  /** When the visitor's identity token expires, in epoch ms; undefined for a stream opened without one. */
  expiresAt: number | undefined;
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
  readonly visitorId: string;

  constructor(
    private readonly ctx: StreamContext,
    readonly visitor: StreamVisitor,
    onClose: () => void,
  ) {
    this.visitorId = visitor.id;
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
    // Signed in since the request was authorized: without the token, the stream must not open.
    if (this.visitor.expiresAt === undefined && customer && isSignedIn(customer)) throw tokenRequired();
    if (customer) this.ids.add(customer.id);
    if (this.visitor.expiresAt !== undefined) this.expireAt(this.visitor.expiresAt);
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

  /**
   * Sends the events after `lastEventId`, up to {@link MAX_REPLAY} of them; returns their ids (the
   * live buffer may hold them too).
   */
  private async replay(lastEventId: string): Promise<Set<string>> {
    const seen = new Set<string>();
    let after = lastEventId;
    while (seen.size < MAX_REPLAY) {
      const page = await this.ctx.desk.store.readEvents({ after, limit: REPLAY_PAGE });
      if (page.length === 0 || this.closed) return seen;
      for (const logged of page) {
        seen.add(logged.event.id);
        await this.handle(logged, true);
      }
      after = page[page.length - 1]!.cursor;
    }
    return seen;
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
        if (!replay && this.ids.has(event.customer.id)) this.endIfSignedIn(event.customer);
        return;
      case 'customer.merged':
        if (!this.ids.has(event.mergedId) && !this.ids.has(event.keptId)) return;
        this.ids.add(event.keptId);
        if (!replay && this.visitor.expiresAt === undefined) {
          this.endIfSignedIn(await this.ctx.customerOf(this.visitorId));
        }
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

  /**
   * Ends a stream opened without a token once its visitor's customer signs in (a login, or a merge
   * into a user's customer). Threat: a stream opened while the visitor was anonymous, by anyone
   * who knew the visitor id, would otherwise go on to receive the signed-in user's messages on
   * every channel. The browser that signed in reconnects with its token.
   */
  private endIfSignedIn(customer: Customer | undefined): void {
    if (this.visitor.expiresAt === undefined && customer && isSignedIn(customer)) this.close();
  }

  /**
   * Ends the stream when the visitor's identity token expires, as a new request with it would be
   * refused from then on: an expired or withdrawn login must not stay connected.
   */
  private expireAt(at: number): void {
    const left = at - this.ctx.clock();
    if (left <= 0) {
      this.close();
      return;
    }
    const timer = setTimeout(() => this.expireAt(at), Math.min(left, MAX_TIMEOUT_MS));
    (timer as { unref?: () => void }).unref?.();
    this.cleanup.push(() => clearTimeout(timer));
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
