import * as z from 'zod';
import { NotFoundError, ValidationError } from '../model/errors.js';
import type { Conversation } from '../model/records.js';
import { isActive } from './continuity.js';
import { iso, parseInput, type Runtime, resolveCustomer } from './runtime.js';
import type { DeskContext } from './types.js';

/** Every conversation: `counts` must count them all (a store reads as many as there are). */
const ALL = Number.MAX_SAFE_INTEGER;

/** Latest contact time per channel, from each conversation's per-channel inbound times and last outbound. */
function lastContactByChannel(conversations: Conversation[]): Map<string, number> {
  const latest = new Map<string, number>();
  const see = (channel: string, at: number) => {
    if (at > (latest.get(channel) ?? Number.NEGATIVE_INFINITY)) latest.set(channel, at);
  };
  for (const conversation of conversations) {
    for (const [channel, at] of Object.entries(conversation.lastInboundAtMs)) see(channel, at);
    if (conversation.lastChannel !== undefined && conversation.lastMessageAtMs !== undefined) {
      see(conversation.lastChannel, conversation.lastMessageAtMs);
    }
  }
  return latest;
}

/** Exactly one of the two ids. */
const ContextQuery = z
  .object({ customerId: z.string().min(1).optional(), conversationId: z.string().min(1).optional() })
  .refine((query) => (query.customerId === undefined) !== (query.conversationId === undefined), {
    message: 'give exactly one of customerId and conversationId',
  });

/**
 * `desk.context`: the continuity payload for a customer (or a conversation's customer): the customer
 * with identities, their conversations, the newest messages across every channel, channels used,
 * last contact per channel and counts. Merged-away ids resolve to the survivor.
 */
export async function buildContext(
  rt: Runtime,
  rawQuery: { customerId: string } | { conversationId: string },
  options?: { limit?: number } | null,
): Promise<DeskContext> {
  const query = parseInput(ContextQuery, rawQuery, 'context query');
  const limit = options?.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 0 || limit > 500) {
    throw new ValidationError('context options', [
      { path: ['limit'], message: 'must be an integer from 0 to 500' },
    ]);
  }
  let conversation: Conversation | undefined;
  let customerId: string;
  if (query.conversationId !== undefined) {
    conversation = await rt.store.getConversation(query.conversationId);
    if (!conversation) throw new NotFoundError(`conversation ${query.conversationId} not found`);
    customerId = conversation.customerId;
  } else customerId = query.customerId!;
  const customer = await resolveCustomer(rt, customerId);
  const [conversations, messages, count] = await Promise.all([
    rt.store.listConversations({ customerId: customer.id, limit: ALL }),
    limit === 0 ? Promise.resolve([]) : rt.store.listMessages({ customerId: customer.id }, { limit }),
    rt.store.countMessages({ customerId: customer.id }),
  ]);
  const latest = [...lastContactByChannel(conversations)].sort((a, b) => b[1] - a[1]);
  const context: DeskContext = {
    customer,
    conversations,
    messages,
    channels: latest.map(([channel]) => channel),
    lastContact: Object.fromEntries(latest.map(([channel, at]) => [channel, iso(at)])),
    counts: {
      conversations: conversations.length,
      open: conversations.filter(isActive).length,
      messages: count,
    },
  };
  if (conversation) context.conversation = conversation;
  return context;
}
