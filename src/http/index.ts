/**
 * `threadline/http`: the Fetch-API webhook handler and its `node:http` / Express adapter. Runs in
 * Node, Deno, Bun and edge runtimes (the node adapter imports `node:http` for types only).
 * @module
 */

export { errorToResponse, handleWebhook, jsonError, type WebhookOptions } from '../core/webhook.js';
export { createWebhookHandler, type FetchHandler, type WebhookHandlerOptions } from './handler.js';
export {
  type NodeListener,
  type NodeRequest,
  type NodeRequestBody,
  toNodeListener,
  toRequest,
  writeResponse,
} from './node.js';
export { type IdentityClaims, signIdentityToken, verifyIdentityToken } from './token.js';
export {
  createWebChatHandler,
  type VisitorTyping,
  type WebChatCors,
  type WebChatEmailFallback,
  type WebChatHandler,
  type WebChatOptions,
} from './webchat/index.js';
