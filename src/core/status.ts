import { ValidationError } from '../model/errors.js';
import { type ParsedStatusUpdate, StatusUpdate } from '../model/inbound.js';
import type { Message, MessageStatus } from '../model/records.js';
import { fallbackFor } from './reply.js';
import {
  commitAndEmit,
  epochMs,
  iso,
  makeEvent,
  parseInput,
  type Runtime,
  withConflictRetry,
} from './runtime.js';

const rank: Record<MessageStatus, number> = {
  received: 0,
  queued: 1,
  sent: 2,
  delivered: 3,
  read: 4,
  failed: 5,
};

/**
 * Whether a message may move from `from` to `to`: statuses only move forward
 * (queued -> sent -> delivered -> read), and `failed` only before delivery.
 */
function advances(from: MessageStatus, to: MessageStatus): boolean {
  if (to === 'failed') return from === 'queued' || from === 'sent';
  if (from === 'failed') return false;
  return rank[to] > rank[from];
}

/** Validates a status update: its shape, and `at` as a time. @throws ValidationError naming the field. */
export function parseStatusUpdate(input: unknown): ParsedStatusUpdate {
  const update = parseInput(StatusUpdate, input, 'status update');
  if (update.at !== undefined && epochMs(update.at) === undefined) {
    throw new ValidationError('status update', [{ path: ['at'], message: 'not a valid time' }]);
  }
  return update;
}

/** `meta` with `statusAt[status]` set: when the message reached each status a status update moved it to. */
function withStatusTime(meta: Message['meta'], status: MessageStatus, at: number): Message['meta'] {
  const times = meta?.statusAt;
  const previous = typeof times === 'object' && times !== null && !Array.isArray(times) ? times : {};
  return { ...meta, statusAt: { ...previous, [status]: iso(at) } };
}

/**
 * Writes a status move (when it advances) and emits `message.status`. The provider's time (`at`,
 * else now) goes to `meta.statusAt`; its `error` is kept on a `failed` move only (a provider's
 * warning on a delivered message is no failure). A provider's later `failed` follows the message's
 * fallback chain, as a failed send does.
 */
async function moveStatus(rt: Runtime, message: Message, update: ParsedStatusUpdate): Promise<Message> {
  const { status } = update;
  if (!advances(message.status, status)) return message;
  const at = update.at === undefined ? rt.clock() : epochMs(update.at)!;
  const updated: Message = {
    ...message,
    status,
    meta: withStatusTime(message.meta, status, at),
    version: message.version + 1,
  };
  if (status === 'failed' && update.error) updated.error = update.error;
  const event = makeEvent(rt, 'message.status', message.brandId, {
    message: updated,
    previous: message.status,
  });
  const fallback = status === 'failed' ? await fallbackFor(rt, updated) : {};
  await commitAndEmit(rt, {
    ...fallback,
    messages: [{ record: updated, expectedVersion: message.version }, ...(fallback.messages ?? [])],
    events: [event, ...(fallback.events ?? [])],
  });
  return updated;
}

/** Most provider ids whose early status updates a desk keeps at once; the oldest go first. */
const MAX_EARLY_IDS = 1_000;

/**
 * Status updates that arrived before the send they are about recorded its provider id: a provider
 * may call back (`sent`, even `failed`) before its API has answered the send. An update for an
 * unknown id is kept, in this desk's memory, only while the desk has a send in flight on that
 * channel (so callbacks about messages sent by other systems are not hoarded), for at most `ttlMs`
 * (the outbox lease, which no send outlives) and for at most {@link MAX_EARLY_IDS} ids; it is applied
 * once the send (or an echo) records that id.
 */
export class EarlyStatuses {
  private readonly kept = new Map<string, { since: number; updates: ParsedStatusUpdate[] }>();
  private readonly sending = new Map<string, number>();

  constructor(private readonly ttlMs: number) {}

  /** Marks a send on `channel` in flight until the returned function is called. */
  begin(channel: string): () => void {
    this.sending.set(channel, (this.sending.get(channel) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = this.sending.get(channel)! - 1;
      if (left > 0) this.sending.set(channel, left);
      else this.sending.delete(channel);
    };
  }

  /** Keeps an update whose id is unknown yet; false (not kept) when no send on its channel is in flight. */
  keep(update: ParsedStatusUpdate, now: number): boolean {
    if (!this.sending.has(update.channel)) return false;
    this.expire(now);
    const key = `${update.channel}\u0000${update.externalId}`;
    const entry = this.kept.get(key);
    if (entry) {
      // One update per status: a provider's retry of a callback adds nothing.
      if (!entry.updates.some((kept) => kept.status === update.status)) entry.updates.push(update);
      return true;
    }
    if (this.kept.size >= MAX_EARLY_IDS) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(key, { since: now, updates: [update] });
    return true;
  }

  /** Removes and returns the updates kept for an id, in arrival order. */
  take(channel: string, externalId: string, now: number): ParsedStatusUpdate[] {
    this.expire(now);
    const key = `${channel}\u0000${externalId}`;
    const entry = this.kept.get(key);
    if (!entry) return [];
    this.kept.delete(key);
    return entry.updates;
  }

  private expire(now: number): void {
    for (const [key, entry] of this.kept) {
      if (now - entry.since <= this.ttlMs) return;
      this.kept.delete(key);
    }
  }
}

/**
 * `desk.updateStatus`: applies a provider's delivery status to the outbound message with that
 * external id. Unknown ids are ignored (undefined), or kept by `early` while a send is in flight;
 * late or backward updates change nothing.
 */
export async function updateStatus(
  rt: Runtime,
  input: StatusUpdate,
  early?: EarlyStatuses,
): Promise<Message | undefined> {
  return applyStatus(rt, parseStatusUpdate(input), early);
}

/** Applies an update to the message carrying its id; undefined when none does. */
function applyKnown(rt: Runtime, update: ParsedStatusUpdate): Promise<Message | undefined> {
  return withConflictRetry(async () => {
    const message = await rt.store.getMessageByExternalId(update.channel, update.externalId);
    if (!message || message.direction === 'inbound') return message;
    return moveStatus(rt, message, update);
  });
}

/** {@link updateStatus} of an update already validated. */
export async function applyStatus(
  rt: Runtime,
  update: ParsedStatusUpdate,
  early?: EarlyStatuses,
): Promise<Message | undefined> {
  const message = await applyKnown(rt, update);
  if (message !== undefined || !early?.keep(update, rt.clock())) return message;
  // The send may have recorded the id (and taken what was kept) while this update looked for it.
  const recorded = await rt.store.getMessageByExternalId(update.channel, update.externalId);
  if (recorded === undefined) return undefined;
  return (await applyEarly(rt, early, update.channel, update.externalId)) ?? recorded;
}

/**
 * Applies the updates `early` kept for an id that a send or an echo has just recorded, in arrival
 * order; returns the message after the last one, or undefined when none was kept.
 */
export async function applyEarly(
  rt: Runtime,
  early: EarlyStatuses,
  channel: string,
  externalId: string,
): Promise<Message | undefined> {
  let message: Message | undefined;
  for (const update of early.take(channel, externalId, rt.clock())) {
    message = await applyStatus(rt, update, early);
  }
  return message;
}

/**
 * Matches a provider's echo of our own outbound message (by external id, or by the idempotency
 * key we sent, which is the message id). Echoes are never stored as new messages. An echo of a
 * message still `queued` proves the provider sent it, though its API answer is late or lost: the
 * message is recorded as sent under the echo's id (then status updates `early` kept for that id
 * apply), so the outbox does not send it again.
 */
export async function matchEcho(
  rt: Runtime,
  channel: string,
  externalId: string,
  idempotencyKey?: string,
  early?: EarlyStatuses,
): Promise<Message | undefined> {
  const matched = await withConflictRetry(async () => {
    // Looked up on each attempt: a send recording this id first makes the commit below a conflict.
    const byExternal = await rt.store.getMessageByExternalId(channel, externalId);
    if (byExternal || idempotencyKey === undefined) return { message: byExternal, recorded: false };
    const byKey = await rt.store.getMessage(idempotencyKey);
    if (byKey?.channel !== channel) return { message: undefined, recorded: false };
    if (byKey.direction !== 'outbound' || byKey.status !== 'queued')
      return { message: byKey, recorded: false };
    const sent: Message = { ...byKey, status: 'sent', externalId, version: byKey.version + 1 };
    await commitAndEmit(rt, {
      messages: [{ record: sent, expectedVersion: byKey.version }],
      outboxDone: [byKey.id],
      events: [makeEvent(rt, 'message.sent', byKey.brandId, { message: sent })],
    });
    return { message: sent, recorded: true };
  });
  if (!matched.recorded || !early) return matched.message;
  return (await applyEarly(rt, early, channel, externalId)) ?? matched.message;
}
