import type { DeskEvent } from '../model/events.js';
import type { Conversation, Customer, Message } from '../model/records.js';

let counter = 0;
/** A unique, sortable id for test records (`<prefix>-<zero-padded counter>`). */
export function testId(prefix: string): string {
  counter += 1;
  return `${prefix}-${String(counter).padStart(8, '0')}`;
}

const T0 = Date.UTC(2026, 0, 1);

/** A valid customer record for store tests; override any field. */
export function makeCustomer(overrides: Partial<Customer> = {}): Customer {
  return {
    id: testId('cus'),
    brandId: 'default',
    traits: {},
    identities: [],
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    version: 1,
    ...overrides,
  };
}

/** A valid conversation record for store tests; override any field. */
export function makeConversation(customerId: string, overrides: Partial<Conversation> = {}): Conversation {
  return {
    id: testId('con'),
    brandId: 'default',
    customerId,
    status: 'open',
    priority: 'normal',
    tags: [],
    channels: ['sms'],
    lastChannel: 'sms',
    lastInboundAtMs: {},
    messageCount: 0,
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    version: 1,
    ...overrides,
  };
}

/** A valid inbound text message for store tests, at `T0 + offsetMs`; override any field. */
export function makeMessage(
  conversation: Conversation,
  offsetMs: number,
  overrides: Partial<Message> = {},
): Message {
  const at = T0 + offsetMs;
  return {
    id: testId('msg'),
    conversationId: conversation.id,
    customerId: conversation.customerId,
    brandId: conversation.brandId,
    channel: 'sms',
    channelKind: 'sms',
    direction: 'inbound',
    author: { type: 'customer' },
    parts: [{ type: 'text', text: `message at +${offsetMs}` }],
    status: 'received',
    createdAt: new Date(at).toISOString(),
    at,
    version: 1,
    ...overrides,
  };
}

/** A `message.received` event for a message. */
export function makeEvent(message: Message): DeskEvent {
  return {
    id: testId('evt'),
    type: 'message.received',
    at: message.createdAt,
    brandId: message.brandId,
    message,
  };
}
