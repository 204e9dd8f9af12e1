import type { Identity } from './identity.js';
import type { Conversation, Customer, MergeRecord, Message, MessageStatus } from './records.js';

/** A field that changed: its value before and after. */
export interface Change<T> {
  from: T;
  to: T;
}
/** What changed on an updated record, field by field. */
export type Changes<T> = { [K in keyof T]?: Change<T[K]> };

/** Every domain event, by type: the payload each handler receives (without the envelope). */
export interface DeskEventPayloads {
  'message.received': { message: Message };
  'message.queued': { message: Message };
  'message.sent': { message: Message };
  'message.status': { message: Message; previous: MessageStatus };
  'conversation.created': { conversation: Conversation };
  'conversation.updated': { conversation: Conversation; changes: Changes<Conversation> };
  'conversation.channel_switched': {
    conversationId: string;
    customerId: string;
    from: string;
    to: string;
    messageId: string;
  };
  'customer.created': { customer: Customer };
  'customer.updated': { customer: Customer; changes: Changes<Customer> };
  'customer.identified': { customer: Customer; identity: Identity };
  'customer.merged': {
    keptId: string;
    mergedId: string;
    reason: MergeRecord['reason'];
    mergeId: string;
    moved: { conversations: number; messages: number; identities: Identity[] };
  };
  'customer.unmerged': { keptId: string; restoredId: string; mergeId: string };
  'customer.merge_suggested': {
    customerId: string;
    otherCustomerId: string;
    identity: Identity;
    reason: 'unverified' | 'policy';
  };
}

/** The name of a domain event. */
export type DeskEventType = keyof DeskEventPayloads;

/** The envelope every event carries: its id, type, time and brand. */
export interface EventEnvelope<T extends DeskEventType = DeskEventType> {
  id: string;
  type: T;
  at: string;
  brandId: string;
}

/** A domain event: envelope plus its own payload. A discriminated union on `type`. */
export type DeskEvent = { [T in DeskEventType]: EventEnvelope<T> & DeskEventPayloads[T] }[DeskEventType];
/** The event of one type. */
export type DeskEventOf<T extends DeskEventType> = Extract<DeskEvent, { type: T }>;

/** An event as the store's log keeps it, with its cursor for followers. */
export interface LoggedEvent {
  /** Opaque, store-assigned position: read on with `readEvents({ after: cursor })`. */
  cursor: string;
  event: DeskEvent;
}
