import type { ParsedInboundMessage } from '../model/inbound.js';
import type { Conversation, ConversationStatus, Customer, Message } from '../model/records.js';
import type { Step } from './flow.js';
import type { Runtime } from './runtime.js';
import type { ConversationQuery } from './store.js';

const ACTIVE_STATUSES: ConversationStatus[] = ['open', 'pending', 'snoozed'];
const ACTIVE: ReadonlySet<ConversationStatus> = new Set(ACTIVE_STATUSES);
/** Every status a message can continue (a closed conversation never is). */
const JOINABLE_STATUSES: ConversationStatus[] = [...ACTIVE_STATUSES, 'resolved'];
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

/** Whether the message names its conversation (a web-chat session, `reply+<id>@`) or answers an email thread. */
export function namesConversation(inbound: ParsedInboundMessage): boolean {
  return inbound.conversationId !== undefined || !!inbound.replyTo || !!inbound.references?.length;
}

/**
 * The conversation an inbound message names or answers (a {@link Step}): the one its
 * `conversationId` names, else an email reply's thread; only the customer's own, and not closed.
 */
export function* namedConversation(
  rt: Runtime,
  customer: Customer,
  channel: string,
  inbound: ParsedInboundMessage,
): Step<Conversation | undefined> {
  if (inbound.conversationId !== undefined) {
    const named = (yield rt.store.getConversation(inbound.conversationId)) as Conversation | undefined;
    if (named && named.customerId === customer.id && named.status !== 'closed') return named;
  }
  if (inbound.replyTo || inbound.references?.length)
    return yield* threadByReference(rt, customer, channel, inbound);
  return undefined;
}

/** The query for the conversations continuity chooses from: the customer's newest in these statuses. */
export function candidatesOf(customer: Customer, status: ConversationStatus[]): ConversationQuery {
  return { customerId: customer.id, brandId: customer.brandId, status, limit: CANDIDATES };
}

/**
 * The conversation a message continues by the continuity policy (a {@link Step}). One read lists
 * the customer's conversations that are not closed; when there are more than one read holds, the
 * newest active and the newest resolved ones are read apart, so that long resolved ones never
 * crowd out an older conversation that is still open (one an email reply reopened, or an agent did).
 */
export function* continuedConversation(
  rt: Runtime,
  customer: Customer,
  channel: string,
  at: number,
): Step<Conversation | undefined> {
  const all = (yield rt.store.listConversations(candidatesOf(customer, JOINABLE_STATUSES))) as Conversation[];
  if (all.length < CANDIDATES) return chooseConversation(rt, all, channel, at);
  const active = (yield rt.store.listConversations(
    candidatesOf(customer, ACTIVE_STATUSES),
  )) as Conversation[];
  const resolved = (yield rt.store.listConversations(candidatesOf(customer, ['resolved']))) as Conversation[];
  return chooseConversation(rt, [...active, ...resolved], channel, at);
}

/**
 * Picks, among a customer's newest conversations, the one a message continues: the most recently
 * active that is active, or resolved within `reopenWithinMs` (in `multichannel` mode: only one on
 * the same channel). Undefined when the message starts a new conversation. (A message that names
 * its conversation or answers an email thread is first matched by {@link namedConversation}.)
 */
export function chooseConversation(
  rt: Runtime,
  candidates: readonly Conversation[],
  channel: string,
  now: number,
): Conversation | undefined {
  let best: Conversation | undefined;
  for (const conversation of candidates) {
    if (!joinable(rt, conversation, channel, now)) continue;
    if (!best || (conversation.lastMessageAtMs ?? 0) > (best.lastMessageAtMs ?? 0)) best = conversation;
  }
  return best;
}
