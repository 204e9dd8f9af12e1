import { postmarkInbound } from '../../../src/channels/email/index.js';
import { webchat } from '../../../src/channels/webchat/index.js';
import type { Desk, DeskOptions } from '../../../src/core/types.js';
import { createWebhookHandler } from '../../../src/http/handler.js';
import {
  createWebChatHandler,
  type WebChatHandler,
  type WebChatOptions,
} from '../../../src/http/webchat/index.js';
import { createDesk } from '../../../src/index.js';
import { memoryStore } from '../../../src/stores/memory/index.js';
import { startServer } from '../../channels/email/helpers.js';
import { serve, type TestServer } from '../helpers.js';

export const SECRET = 'test-identity-secret-0123456789';

/** A real desk (memory store, webchat + Postmark adapters), its web-chat handler and servers on 127.0.0.1. */
export interface ChatFixture {
  desk: Desk;
  chat: WebChatHandler;
  server: TestServer;
  /** The Postmark-shaped API server the email adapter sends to. */
  postmark: Awaited<ReturnType<typeof startServer>>;
  url(path: string): string;
  close(): Promise<void>;
}

/** Starts a fixture; `options` go to `createWebChatHandler`. */
export async function startChat(
  options: WebChatOptions = {},
  deskOptions: Omit<DeskOptions, 'store' | 'channels'> = {},
): Promise<ChatFixture> {
  const postmark = await startServer((_request, index) => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ MessageID: `pm-${index}`, ErrorCode: 0, Message: 'OK' }),
  }));
  const email = postmarkInbound({
    serverToken: 'pm-token',
    baseUrl: postmark.url,
    from: { address: 'support@example.com', name: 'Support' },
    replyTo: 'reply+{conversationId}@inbound.example.com',
    retries: 0,
    timeoutMs: 2_000,
  });
  const desk = createDesk({ ...deskOptions, store: memoryStore(), channels: [webchat(), email] });
  const chat = createWebChatHandler(desk, { identitySecret: SECRET, ...options });
  const webhooks = createWebhookHandler(desk);
  const server = await serve(async (request) => (await chat(request)) ?? webhooks(request));
  return {
    desk,
    chat,
    server,
    postmark,
    url: (path) => `${server.url}${path}`,
    async close() {
      chat.close();
      await server.close();
      await postmark.close();
      await desk.close();
    },
  };
}

/** Request headers of a visitor, with its token when given. */
export function visitorHeaders(visitor: string, token?: string): Record<string, string> {
  const headers: Record<string, string> = { 'x-threadline-visitor': visitor };
  if (token) headers.authorization = `Bearer ${token}`;
  return headers;
}

/** POSTs JSON as a visitor. */
export function post(fx: ChatFixture, path: string, visitor: string, body: unknown, token?: string) {
  return fetch(fx.url(path), {
    method: 'POST',
    headers: { ...visitorHeaders(visitor, token), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** POSTs a message body to `/chat/messages` as a visitor. */
export function say(fx: ChatFixture, visitor: string, body: unknown, token?: string) {
  return post(fx, '/chat/messages', visitor, body, token);
}

/** One parsed Server-Sent Event. */
export interface SseEvent {
  id?: string;
  event: string;
  data: unknown;
}

/** A live SSE connection read with fetch: await events one by one. */
export interface SseClient {
  status: number;
  headers: Headers;
  /** Resolves with the next event matching `match` (skipping others), or rejects after `timeoutMs`. */
  next(match?: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Every event received so far (matched or skipped). */
  received: SseEvent[];
  /** Comment lines received (`keepalive`). */
  comments: string[];
  /** Resolves when the stream ends (the server closed it, or `close()`). */
  done: Promise<void>;
  close(): void;
}

function parseBlock(block: string, client: { comments: string[] }): SseEvent | undefined {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) client.comments.push(line.slice(1).trim());
    else if (line.startsWith('id: ')) id = line.slice(4);
    else if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  if (data.length === 0) return undefined;
  const parsed: SseEvent = { event, data: JSON.parse(data.join('\n')) };
  if (id !== undefined) parsed.id = id;
  return parsed;
}

/** Opens `GET {base}/events` as a visitor. */
export async function connect(
  fx: ChatFixture,
  headers: Record<string, string>,
  query = '',
): Promise<SseClient> {
  const abort = new AbortController();
  const response = await fetch(fx.url(`/chat/events${query}`), { headers, signal: abort.signal });
  const queue: SseEvent[] = [];
  const waiters: (() => void)[] = [];
  const client: SseClient = {
    status: response.status,
    headers: response.headers,
    received: [],
    comments: [],
    done: Promise.resolve(),
    async next(match = () => true, timeoutMs = 3_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = queue.findIndex(match);
        if (index >= 0) return queue.splice(0, index + 1).pop()!;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching SSE event; received ${JSON.stringify(client.received)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () => abort.abort(),
  };
  if (response.body) client.done = pump(response.body, client, queue, waiters);
  return client;
}

async function pump(
  body: ReadableStream<Uint8Array>,
  client: SseClient,
  queue: SseEvent[],
  waiters: (() => void)[],
): Promise<void> {
  const decoder = new TextDecoder();
  let text = '';
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      let end = text.indexOf('\n\n');
      while (end >= 0) {
        const event = parseBlock(text.slice(0, end), client);
        text = text.slice(end + 2);
        if (event) {
          client.received.push(event);
          queue.push(event);
        }
        end = text.indexOf('\n\n');
      }
      for (const wake of waiters.splice(0)) wake();
    }
  } catch {
    // The test closed the connection.
  }
}

/** Waits until `condition` holds, polling the real state (for effects of background delivery). */
export async function until<T>(
  condition: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 3_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
