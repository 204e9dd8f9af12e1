import type { ParsedInboundMessage } from '../model/inbound.js';
import type { Conversation, ConversationStatus, Customer, Message } from '../model/records.js';
import type { Step } from './flow.js';
import type { Runtime } from './runtime.js';

const ACTIVE: ReadonlySet<ConversationStatus> = new Set(['open', 'pending', 'snoozed']);
/** How many of a customer's newest conversations continuity looks at. */
const CANDIDATES = 25;

/** True for `open`, `pending` and `snoozed`. */
export function isActive(conversation: Conversation): boolean {
  return ACTIVE.has(conversation.status);
}

/**
 * Email threading: the conversation of the message this one answers (In-Reply-To first, then
 * References newest to oldest), if it belongs to the same customer and is not closed. A
 * Message-ID of someone else's thread never lets a sender into it.
 */
function* threadByReference(
  rt: Runtime,
  customer: Customer,
  channel: string,
  inbound: ParsedInboundMessage,
): Step<Conversation | undefined> {
  const references = [inbound.replyTo, ...(inbound.references ?? []).slice().reverse()];
  for (const reference of references) {
    if (!reference) continue;
    const message = (yield rt.store.getMessageByExternalId(channel, reference)) as Message | undefined;
    if (!message) continue;
    const conversation = (yield rt.store.getConversation(message.conversationId)) as Conversation | undefined;
    if (conversation && conversation.customerId === customer.id && conversation.status !== 'closed')
      return conversation;
  }
  return undefined;
}

function joinable(rt: Runtime, conversation: Conversation, channel: string, now: number): boolean {
  if (rt.settings.mode === 'multichannel' && conversation.channels[0] !== channel) return false;
  if (isActive(conversation)) return true;
  return (
    conversation.status === 'resolved' &&
    conversation.resolvedAtMs !== undefined &&
    now - conversation.resolvedAtMs <= rt.settings.reopenWithinMs
  );
}

/**
 * Picks the conversation an inbound message joins (a {@link Step}), or undefined when it starts a new one:
 * an email reply's thread first; else the customer's most recently active conversation that is
 * active, or resolved within `reopenWithinMs` (in `multichannel` mode: only one on the same channel).
 */
export function* chooseConversation(
  rt: Runtime,
  customer: Customer,
  channel: string,
  inbound: ParsedInboundMessage,
  now: number,
): Step<Conversation | undefined> {
  if (inbound.conversationId !== undefined) {
    const named = (yield rt.store.getConversation(inbound.conversationId)) as Conversation | undefined;
    if (named && named.customerId === customer.id && named.status !== 'closed') return named;
  }
  if (inbound.replyTo || inbound.references?.length) {
    const threaded = yield* threadByReference(rt, customer, channel, inbound);
    if (threaded) return threaded;
  }
  const candidates = (yield rt.store.listConversations({
    customerId: customer.id,
    brandId: customer.brandId,
    limit: CANDIDATES,
  })) as Conversation[];
  let best: Conversation | undefined;
  for (const conversation of candidates) {
    if (!joinable(rt, conversation, channel, now)) continue;
    if (!best || (conversation.lastMessageAtMs ?? 0) > (best.lastMessageAtMs ?? 0)) best = conversation;
  }
  return best;
}
