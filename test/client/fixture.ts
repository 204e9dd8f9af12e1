import { afterEach, beforeEach } from 'vitest';
import {
  type ChatClient,
  type ChatClientOptions,
  type ChatMessage,
  createChatClient,
} from '../../src/client/index.js';
import { type ChatServer, startChatServer } from './chat-server.js';

/**
 * A fresh chat server per test, and clients on it with quick reconnects, all closed after the test.
 * Call it at the top of a test file.
 */
export function useChatServer() {
  let server: ChatServer;
  let clients: ChatClient[] = [];
  beforeEach(async () => {
    server = await startChatServer();
  });
  afterEach(async () => {
    for (const client of clients) client.close();
    clients = [];
    await server.close();
  });
  return {
    get server() {
      return server;
    },
    open(options: Partial<ChatClientOptions> = {}): ChatClient {
      const client = createChatClient({
        endpoint: server.endpoint,
        backoff: { baseMs: 40, maxMs: 160 },
        ...options,
      });
      clients.push(client);
      return client;
    },
  };
}

/** The text of a message's first part. */
export const text = (message: ChatMessage): string =>
  message.parts[0]?.type === 'text' ? message.parts[0].text : '';
