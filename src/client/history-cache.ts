import type { ChatMessage, ChatStorage, StatusEvent } from './types.js';

const KEEP = 100;

/** The newest messages kept in storage for instant display on reload. */
export interface HistoryCache {
  /** Newest first. */
  list(): Promise<ChatMessage[]>;
  /** Merges messages in by id (newer copies win), keeping the newest {@link KEEP}. */
  add(messages: ChatMessage[]): void;
  setStatus(event: StatusEvent): void;
}

/** A history cache under `key`. Writes are fire-and-forget; a failed write is reported to `onError`. */
export function createHistoryCache(
  storage: ChatStorage,
  key: string,
  onError: (error: Error) => void,
): HistoryCache {
  const change = (fn: (list: ChatMessage[]) => ChatMessage[]) => {
    storage.update<ChatMessage[]>(key, (old = []) => fn(old)).catch(onError);
  };
  return {
    list: async () => (await storage.get<ChatMessage[]>(key)) ?? [],
    add: (messages) =>
      change((list) => {
        const byId = new Map(list.map((message) => [message.id, message]));
        for (const message of messages) byId.set(message.id, message);
        return [...byId.values()].sort((a, b) => b.at - a.at).slice(0, KEEP);
      }),
    setStatus: ({ messageId, status }) =>
      change((list) => list.map((message) => (message.id === messageId ? { ...message, status } : message))),
  };
}
