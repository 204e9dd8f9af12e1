import { type ParsedStatusUpdate, StatusUpdate } from '../model/inbound.js';
import type { Message, MessageStatus } from '../model/records.js';
import { fallbackFor } from './reply.js';
import { commitAndEmit, makeEvent, parseInput, type Runtime, withConflictRetry } from './runtime.js';

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

/**
 * Writes a status move (when it advances) and emits `message.status`. A provider's later `failed`
 * follows the message's fallback chain, as a failed send does.
 */
async function moveStatus(
  rt: Runtime,
  message: Message,
  status: MessageStatus,
  error?: Message['error'],
): Promise<Message> {
  if (!advances(message.status, status)) return message;
  const updated: Message = { ...message, status, version: message.version + 1 };
  if (error) updated.error = error;
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

/**
 * `desk.updateStatus`: applies a provider's delivery status to the outbound message with that
 * external id. Unknown ids are ignored (undefined); late or backward updates change nothing.
 */
export async function updateStatus(rt: Runtime, input: StatusUpdate): Promise<Message | undefined> {
  return applyStatus(rt, parseInput(StatusUpdate, input, 'status update'));
}

/** {@link updateStatus} of an update already validated. */
export async function applyStatus(rt: Runtime, update: ParsedStatusUpdate): Promise<Message | undefined> {
  return withConflictRetry(async () => {
    const message = await rt.store.getMessageByExternalId(update.channel, update.externalId);
    if (!message || message.direction === 'inbound') return message;
    return moveStatus(rt, message, update.status, update.error);
  });
}

/**
 * Matches a provider's echo of our own outbound message (by external id, or by the idempotency
 * key we sent, which is the message id). Echoes are never stored as new messages. An echo of a
 * message still `queued` proves the provider sent it, though its API answer is late or lost: the
 * message is recorded as sent under the echo's id, so the outbox does not send it again.
 */
export async function matchEcho(
  rt: Runtime,
  channel: string,
  externalId: string,
  idempotencyKey?: string,
): Promise<Message | undefined> {
  const byExternal = await rt.store.getMessageByExternalId(channel, externalId);
  if (byExternal) return byExternal;
  if (idempotencyKey === undefined) return undefined;
  return withConflictRetry(async () => {
    const byKey = await rt.store.getMessage(idempotencyKey);
    if (byKey?.channel !== channel) return undefined;
    if (byKey.direction !== 'outbound' || byKey.status !== 'queued') return byKey;
    const sent: Message = { ...byKey, status: 'sent', externalId, version: byKey.version + 1 };
    await commitAndEmit(rt, {
      messages: [{ record: sent, expectedVersion: byKey.version }],
      outboxDone: [byKey.id],
      events: [makeEvent(rt, 'message.sent', byKey.brandId, { message: sent })],
    });
    return sent;
  });
}
