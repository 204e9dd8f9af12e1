import { DeliveryError, isThreadlineError, PolicyError } from '../model/errors.js';
import type { DeskEvent } from '../model/events.js';
import type { Conversation, Message } from '../model/records.js';
import type { ChannelAdapter, OutboundDelivery, SendResult } from './channel.js';
import { keyOf } from './identity.js';
import { fallbackFor } from './reply.js';
import { commitAndEmit, makeEvent, type Runtime, resolveCustomer, withConflictRetry } from './runtime.js';
import { applyEarly, type EarlyStatuses } from './status.js';
import type { OutboxEntry, WriteBatch } from './store.js';

/** Resolved outbox settings. */
export interface OutboxSettings {
  leaseMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  pollMs: number;
}

const CLAIM_BATCH = 16;
const THREAD_DEPTH = 20;
/**
 * Longest wait before a retry: a Retry-After past a day is a provider's bug, and would park the
 * message (and its fallback) for its whole span.
 */
const MAX_RETRY_WAIT_MS = 86_400_000;
/** Share of the lease one send may take: the rest is left to record its outcome while the claim is ours. */
const SEND_SHARE_OF_LEASE = 0.9;
/** Longest delay `setTimeout` keeps (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a settled message becomes, with more writes (a fallback copy) to commit beside it. */
type Settlement = { message: Message; extra?: WriteBatch } | undefined;

/**
 * Delivers queued messages: claims due entries with a lease (so several processes can share one
 * store and a crashed sender's claim expires), sends each through its adapter, and records the
 * outcome. Retryable failures go back with exponential backoff and jitter; final ones mark the
 * message `failed` and follow its fallback chain. Only entries on channels this desk has an
 * adapter for are claimed: the others are left to a desk sharing the store that has one.
 */
export class Outbox {
  private readonly owner: string;
  /** The channels this desk can send on: the only ones it claims. */
  private readonly channels: readonly string[];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private tail: Promise<void> = Promise.resolve();
  private pending: Promise<void> | undefined;
  private started = false;

  constructor(
    private readonly rt: Runtime,
    private readonly settings: OutboxSettings,
    private readonly early: EarlyStatuses,
  ) {
    this.owner = `desk-${rt.newId()}`;
    this.channels = [...rt.channels.keys()];
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.tail = this.tail.then(() =>
      this.reportStranded().catch((error) =>
        this.rt.logger.error('threadline: reading the outbox at start failed', error),
      ),
    );
    this.kick();
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.tail;
  }

  /** Runs a delivery round soon (coalesced); used after each reply. */
  kick(): void {
    if (!this.started) return;
    void this.flush().catch((error) => this.rt.logger.error('threadline: outbox round failed', error));
  }

  /**
   * Delivers everything due now. Rounds run one after another; callers that arrive while a round
   * is waiting to start share it, so a round always starts after the caller's own commits.
   */
  flush(): Promise<void> {
    if (this.pending) return this.pending;
    const run = this.tail.then(() => {
      this.pending = undefined;
      return this.round();
    });
    this.pending = run;
    this.tail = run.catch(() => undefined).then(() => this.schedule());
    return run;
  }

  private schedule(): void {
    if (!this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), this.settings.pollMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /**
   * Warns once, at start, about queued messages on channels this desk has no adapter for. They are
   * not failed: another desk sharing the store may have that adapter (a worker, a rolling deploy),
   * and only the host knows whether one does.
   */
  private async reportStranded(): Promise<void> {
    const stranded = new Map<string, number>();
    for (const { channel } of await this.rt.store.listOutbox()) {
      if (!this.rt.channels.has(channel)) stranded.set(channel, (stranded.get(channel) ?? 0) + 1);
    }
    for (const [channel, count] of stranded) {
      this.rt.logger.warn(
        `threadline: ${count} queued message(s) on channel "${channel}" wait for a desk with an adapter of that id; this desk has none and leaves them queued`,
      );
    }
  }

  private async round(): Promise<void> {
    if (this.channels.length === 0) return;
    for (;;) {
      const claimed = await this.rt.store.claimOutbox({
        now: this.rt.clock(),
        leaseMs: this.settings.leaseMs,
        owner: this.owner,
        limit: CLAIM_BATCH,
        channels: this.channels,
      });
      if (claimed.length === 0) return;
      // One entry's failure to record must neither end the round under the others' sends nor leave
      // them running unawaited (stop() waits for the round); its claim lapses and it is retried.
      await Promise.all(
        claimed.map((entry) =>
          this.deliver(entry).catch((error) =>
            this.rt.logger.error(`threadline: delivering message ${entry.messageId} failed`, error),
          ),
        ),
      );
    }
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    const message = await this.rt.store.getMessage(entry.messageId);
    if (message?.status !== 'queued') {
      await this.rt.store.commit({ outboxDone: [entry.messageId] });
      return;
    }
    const adapter = this.rt.channels.get(message.channel);
    // Only a store that ignores `channels` hands over such an entry (or one whose message moved to
    // another channel): it is left as it is, and its claim lapses for a desk that can send it.
    if (!adapter) return;
    const sending = this.early.begin(message.channel);
    try {
      let result: SendResult;
      try {
        result = await this.send(adapter, message, entry);
      } catch (error) {
        await this.fail(message, entry, error);
        return;
      }
      await this.recordSent(message, entry, result);
    } finally {
      sending();
    }
  }

  /**
   * Sends through the adapter with a signal that aborts before the lease runs out, so a send (ky's
   * retries and Retry-After waits, a body that never ends) cannot outlive the claim and race another
   * desk's. The lease is in the desk's clock; this bound is in real time.
   */
  private async send(adapter: ChannelAdapter, message: Message, entry: OutboxEntry): Promise<SendResult> {
    const delivery = await this.prepare(message, entry);
    const controller = new AbortController();
    const expired = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    const timer = this.leaseTimer(message.channel, controller);
    delivery.signal = controller.signal;
    try {
      // Raced as well, for an adapter that ignores the signal.
      return await Promise.race([adapter.send(delivery), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Aborts a send once {@link SEND_SHARE_OF_LEASE} of the lease has passed (a timer holds ~24.8 days). */
  private leaseTimer(
    channel: string,
    controller: AbortController,
  ): ReturnType<typeof setTimeout> | undefined {
    const { leaseMs } = this.settings;
    const ms = Math.min(leaseMs * SEND_SHARE_OF_LEASE, MAX_TIMER_MS);
    if (!(ms > 0)) return undefined;
    const timer = setTimeout(() => {
      const reason = `${channel}: the send outlasted ${SEND_SHARE_OF_LEASE * 100}% of its ${leaseMs} ms lease`;
      controller.abort(new DeliveryError(reason, { retryable: true }));
    }, ms);
    (timer as { unref?: () => void }).unref?.();
    return timer;
  }

  /**
   * Records an accepted send, then applies the status updates that arrived before this answer (see
   * `EarlyStatuses`). The provider has the message now: a failure to store that is logged, never
   * turned into `failed` or a fallback; the claim lapses and the send is retried with the same
   * idempotency key. A provider id another message holds already (a provider reusing ids) is not
   * taken from it: the message is recorded as sent without one, and a warning logged.
   */
  private async recordSent(message: Message, entry: OutboxEntry, result: SendResult): Promise<void> {
    const { id, channel } = message;
    let holder: string | undefined;
    try {
      await this.settle(id, entry, 'message.sent', async (current) => {
        const held = await this.rt.store.getMessageByExternalId(channel, result.externalId);
        holder = held !== undefined && held.id !== id ? held.id : undefined;
        const sent: Message = { ...current, status: result.status ?? 'sent' };
        if (holder === undefined) sent.externalId = result.externalId;
        if (result.meta) sent.meta = { ...current.meta, ...result.meta };
        return { message: sent };
      });
    } catch (error) {
      this.rt.logger.error(`threadline: message ${id} was sent but its outcome could not be stored`, error);
      return;
    }
    if (holder !== undefined) {
      this.rt.logger.warn(
        `threadline: ${channel} answered the send of message ${id} with id ${result.externalId}, which message ${holder} holds; recorded as sent without it`,
      );
      return;
    }
    try {
      await applyEarly(this.rt, this.early, channel, result.externalId);
    } catch (error) {
      this.rt.logger.error(`threadline: applying early status updates of message ${id} failed`, error);
    }
  }

  private async prepare(message: Message, entry: OutboxEntry): Promise<OutboundDelivery> {
    const conversation = (await this.rt.store.getConversation(message.conversationId))!;
    const customer = await resolveCustomer(this.rt, message.customerId);
    const to = customer.identities.find((identity) => keyOf(identity) === message.to);
    if (!to)
      throw new PolicyError(
        `the customer no longer has the identity ${message.to ?? '(none)'} this message was addressed to`,
      );
    const delivery: OutboundDelivery = {
      message,
      conversation,
      customer,
      to,
      idempotencyKey: message.id,
      attempt: entry.attempts + 1,
    };
    const recent = await this.rt.store.listMessages(
      { conversationId: conversation.id },
      { limit: THREAD_DEPTH },
    );
    const sameChannel = recent.filter((m) => m.channel === message.channel && m.id !== message.id);
    const thread = threadOf(conversation, sameChannel);
    if (thread) delivery.thread = thread;
    const lastInbound = sameChannel.find((m) => m.direction === 'inbound');
    if (lastInbound) delivery.lastInbound = lastInbound;
    return delivery;
  }

  /**
   * Rewrites the message (re-read for a fresh version, `change` re-run on each conflict), removes
   * the entry, emits. Only a message still `queued` changes: when another desk's send (after this
   * claim lapsed) or a status callback settled it first, that outcome stands.
   */
  private async settle(
    id: string,
    entry: OutboxEntry,
    type: 'message.sent' | 'message.status',
    change: (message: Message) => Settlement | Promise<Settlement>,
  ): Promise<void> {
    await withConflictRetry(async () => {
      const current = await this.rt.store.getMessage(id);
      const settled = current?.status === 'queued' ? await change(current) : undefined;
      if (!current || !settled) {
        await this.rt.store.commit({ outboxDone: [entry.messageId] });
        return;
      }
      const { extra = {} } = settled;
      const updated = { ...settled.message, version: current.version + 1 };
      const event: DeskEvent =
        type === 'message.sent'
          ? makeEvent(this.rt, 'message.sent', current.brandId, { message: updated })
          : makeEvent(this.rt, 'message.status', current.brandId, {
              message: updated,
              previous: current.status,
            });
      await commitAndEmit(this.rt, {
        ...extra,
        messages: [{ record: updated, expectedVersion: current.version }, ...(extra.messages ?? [])],
        outboxDone: [entry.messageId],
        events: [event, ...(extra.events ?? [])],
      });
    });
  }

  private async fail(message: Message, entry: OutboxEntry, error: unknown): Promise<void> {
    const delivery = asDeliveryError(error);
    if (delivery?.retryable && entry.attempts + 1 < this.settings.maxAttempts) {
      // A lapsed claim may be another desk's now: rewriting the entry would drop its lease.
      if (entry.leaseUntil !== undefined && this.rt.clock() >= entry.leaseUntil) return;
      const backoff = this.settings.retryBaseMs * 2 ** entry.attempts * (0.5 + Math.random() / 2);
      const wait = Math.min(MAX_RETRY_WAIT_MS, Math.max(backoff, delivery.retryAfterMs ?? 0));
      await this.rt.store.commit({
        outbox: [
          {
            ...entry,
            attempts: entry.attempts + 1,
            notBefore: this.rt.clock() + wait,
            leaseOwner: undefined,
            leaseUntil: undefined,
          },
        ],
      });
      return;
    }
    if (!isThreadlineError(error))
      this.rt.logger.error(`threadline: sending message ${message.id} threw`, error);
    const reason = error instanceof Error ? error.message : String(error);
    const code = delivery
      ? (delivery.providerCode ?? String(delivery.status ?? 'DELIVERY'))
      : isThreadlineError(error)
        ? error.code
        : 'ERROR';
    await this.settle(message.id, entry, 'message.status', async (current) => {
      const failed: Message = { ...current, status: 'failed', error: { code, message: reason } };
      return { message: failed, extra: await fallbackFor(this.rt, failed) };
    });
  }
}

/**
 * The error as a DeliveryError, by its name and code rather than `instanceof`: an adapter bundled
 * with its own copy of Threadline throws that copy's class.
 */
function asDeliveryError(error: unknown): DeliveryError | undefined {
  return isThreadlineError(error) && error.code === 'DELIVERY' ? (error as DeliveryError) : undefined;
}

/** Provider ids of the conversation's recent messages on this channel (newest first in): email In-Reply-To/References. */
function threadOf(conversation: Conversation, sameChannel: Message[]): OutboundDelivery['thread'] {
  const references = sameChannel
    .filter((m) => m.externalId !== undefined)
    .map((m) => m.externalId!)
    .reverse();
  if (references.length === 0 && conversation.subject === undefined) return undefined;
  const thread: NonNullable<OutboundDelivery['thread']> = { references };
  const inReplyTo = references[references.length - 1];
  if (inReplyTo !== undefined) thread.inReplyTo = inReplyTo;
  if (conversation.subject !== undefined) thread.subject = conversation.subject;
  return thread;
}
