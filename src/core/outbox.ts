import { DeliveryError, isThreadlineError, PolicyError } from '../model/errors.js';
import type { DeskEvent } from '../model/events.js';
import type { Conversation, Customer, Message } from '../model/records.js';
import type { OutboundDelivery } from './channel.js';
import { keyOf } from './identity.js';
import { outboundMessage, pickRoute, withOutbound } from './reply.js';
import { commitAndEmit, makeEvent, type Runtime, resolveCustomer, withConflictRetry } from './runtime.js';
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
 * Delivers queued messages: claims due entries with a lease (so several processes can share one
 * store and a crashed sender's claim expires), sends each through its adapter, and records the
 * outcome. Retryable failures go back with exponential backoff and jitter; final ones mark the
 * message `failed` and follow its fallback chain.
 */
export class Outbox {
  private readonly owner: string;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private tail: Promise<void> = Promise.resolve();
  private pending: Promise<void> | undefined;
  private started = false;

  constructor(
    private readonly rt: Runtime,
    private readonly settings: OutboxSettings,
  ) {
    this.owner = `desk-${rt.newId()}`;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
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

  private async round(): Promise<void> {
    for (;;) {
      const claimed = await this.rt.store.claimOutbox({
        now: this.rt.clock(),
        leaseMs: this.settings.leaseMs,
        owner: this.owner,
        limit: CLAIM_BATCH,
      });
      if (claimed.length === 0) return;
      await Promise.all(claimed.map((entry) => this.deliver(entry)));
    }
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    const message = await this.rt.store.getMessage(entry.messageId);
    if (message?.status !== 'queued') {
      await this.rt.store.commit({ outboxDone: [entry.messageId] });
      return;
    }
    const adapter = this.rt.channels.get(message.channel);
    if (!adapter) {
      await this.rt.store.commit({
        outbox: [
          {
            ...entry,
            notBefore: this.rt.clock() + this.settings.pollMs * 60,
            leaseOwner: undefined,
            leaseUntil: undefined,
          },
        ],
      });
      return;
    }
    try {
      const delivery = await this.prepare(message, entry);
      const result = await adapter.send(delivery);
      await this.settle(
        message.id,
        (current) => ({
          ...current,
          status: result.status ?? 'sent',
          externalId: result.externalId,
          ...(result.meta ? { meta: { ...current.meta, ...result.meta } } : {}),
        }),
        entry,
        'message.sent',
      );
    } catch (error) {
      await this.fail(message, entry, error);
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

  /** Rewrites the message (re-read for a fresh version), removes the entry, emits. */
  private async settle(
    id: string,
    change: (message: Message) => Message,
    entry: OutboxEntry,
    type: 'message.sent' | 'message.status',
    extra: WriteBatch = {},
  ): Promise<void> {
    await withConflictRetry(async () => {
      const current = (await this.rt.store.getMessage(id))!;
      const updated = { ...change(current), version: current.version + 1 };
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
    const retryable = error instanceof DeliveryError && error.retryable;
    if (retryable && entry.attempts + 1 < this.settings.maxAttempts) {
      const backoff = this.settings.retryBaseMs * 2 ** entry.attempts * (0.5 + Math.random() / 2);
      const wait = Math.max(backoff, error.retryAfterMs ?? 0);
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
    const code =
      error instanceof DeliveryError
        ? (error.providerCode ?? String(error.status ?? 'DELIVERY'))
        : isThreadlineError(error)
          ? error.code
          : 'ERROR';
    const fallback = await this.fallbackFor(message);
    await this.settle(
      message.id,
      (current) => ({ ...current, status: 'failed', error: { code, message: reason } }),
      entry,
      'message.status',
      fallback,
    );
  }

  /** A queued copy of a failed message on the next channel of its fallback chain, if any accepts it. */
  private async fallbackFor(message: Message): Promise<WriteBatch> {
    const chain = Array.isArray(message.meta?.fallback) ? (message.meta.fallback as string[]) : [];
    if (chain.length === 0) return {};
    const conversation = await this.rt.store.getConversation(message.conversationId);
    if (!conversation) return {};
    const customer: Customer = await resolveCustomer(this.rt, message.customerId);
    const now = this.rt.clock();
    let picked: ReturnType<typeof pickRoute>;
    try {
      picked = pickRoute(this.rt, chain, message.parts, conversation, customer, now);
    } catch {
      return {};
    }
    const meta: Message['meta'] = { fallbackOf: message.id };
    if (picked.rest.length > 0) meta.fallback = picked.rest;
    const copy = outboundMessage(
      this.rt,
      conversation,
      message.parts,
      message.author,
      picked.route,
      'outbound',
      now,
      meta,
    );
    return {
      conversations: [
        { record: withOutbound(conversation, copy, now), expectedVersion: conversation.version },
      ],
      messages: [{ record: copy, expectedVersion: null }],
      outbox: [{ messageId: copy.id, channel: copy.channel, attempts: 0, notBefore: now }],
      events: [makeEvent(this.rt, 'message.queued', copy.brandId, { message: copy }, now)],
    };
  }
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
