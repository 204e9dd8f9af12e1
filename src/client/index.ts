/**
 * `threadline/client`: the browser side of web chat, a small framework-agnostic client
 * (`createChatClient`). The `<threadline-chat>` widget built on it is `threadline/client/widget`.
 * No Node built-ins, no zod: it stays under 10 KB minified and gzipped, ky and idb-keyval included.
 * @module
 */

export type { BackoffOptions } from './backoff.js';
export { type ChatClient, type ChatClientOptions, createChatClient } from './chat-client.js';
export { indexedDbStorage, memoryStorage } from './storage.js';
export type {
  ChatEvents,
  ChatMessage,
  ChatMessageStatus,
  ChatStorage,
  ConnectionState,
  HistoryPage,
  StatusEvent,
  TypingEvent,
} from './types.js';
