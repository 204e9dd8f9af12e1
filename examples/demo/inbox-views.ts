/**
 * What the agent inbox reads: conversation summaries for the list and the full view of one
 * conversation (customer profile, cross-channel context, timeline oldest first, reply channels).
 */
import type { Conversation, Customer, Desk, Message } from 'threadline';
import { CHANNELS } from './config.js';

/** One row of the conversation list. */
export interface ConversationSummary {
  conversation: Conversation;
  customer: Customer;
  lastMessage?: Message;
}

/** A channel the agent can reply on, and whether the customer can be reached there. */
export interface ReplyChannel {
  id: string;
  kind: string;
  reachable: boolean;
}

/** Every conversation, most recent activity first. */
export async function listConversations(desk: Desk): Promise<ConversationSummary[]> {
  const page = await desk.conversations.list({ limit: 200 });
  const rows = await Promise.all(
    page.items.map(async (conversation) => {
      const [customer, latest] = await Promise.all([
        desk.customers.resolve(conversation.customerId),
        desk.conversations.messages(conversation.id, { limit: 1 }).page(),
      ]);
      const lastMessage = latest.items[0];
      return { conversation, customer, ...(lastMessage && { lastMessage }) };
    }),
  );
  const recency = (row: ConversationSummary) =>
    row.conversation.lastMessageAtMs ?? Date.parse(row.conversation.createdAt);
  return rows.sort((a, b) => recency(b) - recency(a));
}

/** Which identity kinds each sending channel can reach. */
const reachableBy: Record<string, string[]> = {
  [CHANNELS.webchat]: ['webchat'],
  [CHANNELS.sms]: ['phone', 'whatsapp'],
  [CHANNELS.whatsapp]: ['whatsapp', 'phone'],
  [CHANNELS.email]: ['email'],
};

/** The desk's sending channels, each marked reachable when the customer has a fitting identity. */
export function replyChannels(desk: Desk, customer: Customer): ReplyChannel[] {
  const kinds = new Set(customer.identities.map((identity) => identity.kind));
  return [...desk.channels.values()]
    .filter((adapter) => adapter.id in reachableBy)
    .map((adapter) => ({
      id: adapter.id,
      kind: adapter.kind,
      reachable: (reachableBy[adapter.id] ?? []).some((kind) => kinds.has(kind as never)),
    }));
}

/** The whole of one conversation, as the inbox's middle and right panes show it. */
export async function conversationView(desk: Desk, id: string) {
  const conversation = await desk.conversations.get(id);
  const context = await desk.context({ conversationId: id }, { limit: 20 });
  const messages: Message[] = [];
  for await (const message of desk.conversations.messages(id, { limit: 200 })) messages.unshift(message);
  const channels = replyChannels(desk, context.customer);
  const latest = conversation.lastInboundChannel;
  const defaultChannel =
    channels.find((channel) => channel.id === latest && channel.reachable)?.id ??
    channels.find((channel) => channel.reachable)?.id;
  return {
    conversation,
    customer: context.customer,
    context: {
      channels: context.channels,
      lastContact: context.lastContact,
      counts: context.counts,
      conversations: context.conversations.map(({ id, status, lastMessageAt, channels }) => ({
        id,
        status,
        lastMessageAt,
        channels,
      })),
    },
    messages,
    replyChannels: channels,
    defaultChannel,
  };
}
