import { assembleDesk } from './core/desk.js';
import type { Desk, DeskOptions } from './core/types.js';
import { memoryStore } from './stores/memory/index.js';

/**
 * Creates a desk: Threadline's one object, tying a store, channel adapters and the continuity,
 * identity and outbox policies together. Every option has a default; with none, it runs on a
 * memory store with no channels (receive, reply, context and timeline all work).
 *
 * @throws ValidationError for a wrong option (a duplicate channel id, a negative window).
 * @example
 * ```ts
 * const desk = createDesk();
 * const { conversation } = await desk.receive({
 *   channel: 'sms',
 *   from: { kind: 'phone', value: '+14155550100', verified: true },
 *   text: 'Hi, my order has not arrived',
 * });
 * const context = await desk.context({ conversationId: conversation.id });
 * ```
 */
export function createDesk(options: DeskOptions = {}): Desk {
  return assembleDesk(options, options.store ?? memoryStore());
}

export type {
  ChannelAdapter,
  ChannelCapabilities,
  OutboundDelivery,
  RawRequest,
  SendResult,
  WebhookReply,
} from './core/channel.js';
export { createIdGenerator } from './core/ids.js';
export type {
  Awaitable,
  ClaimOptions,
  ConversationQuery,
  MessageScope,
  OutboxEntry,
  Position,
  Put,
  Range,
  Store,
  WriteBatch,
} from './core/store.js';
export type {
  ConversationPatch,
  Desk,
  DeskContext,
  DeskListener,
  DeskOptions,
  IdentifyResult,
  IngestResult,
  Logger,
  Page,
  PageOptions,
  Paginator,
  ReceiveResult,
  ReplyInput,
} from './core/types.js';
export * from './model/index.js';
