import type { Part } from '../model/parts.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import type { ChatMessage, ChatStorage } from './types.js';

/** A message waiting to be accepted by the server. `clientId` is its idempotency key. */
export interface OutboxEntry {
  clientId: string;
  text?: string;
  parts?: Part[];
  createdAt: string;
  at: number;
}

/**
 * What one POST attempt came to: stored, refused for good, or to retry (with the reason, when it is
 * worth reporting: a network error is not, a 2xx answer without the message is).
 */
export type PostOutcome =
  | { message: ChatMessage }
  | { error: Error }
  | { retryAfterMs: number | undefined; error?: Error };

/** Options of {@link createOutbox}. */
export interface OutboxOptions {
  storage: ChatStorage;
  key: string;
  /** Retry pacing; default as `backoffDelay`'s. */
  backoff?: BackoffOptions | undefined;
  post(entry: OutboxEntry): Promise<PostOutcome>;
  onSent(message: ChatMessage): void;
  /** The server refused `clientId` for good; `watched` when a `send` call takes the outcome. */
  onRefused(clientId: string, error: Error, watched: boolean): void;
  /** The storage failed (quota, blocked database), or a retry's reason: the queue stays as it was. */
  onError(error: Error): void;
}

/** The persistent, ordered outbox. */
export interface Outbox {
  add(entry: OutboxEntry): Promise<void>;
  list(): Promise<OutboxEntry[]>;
  /** Sends queued entries in order; resolves when the queue is empty or waits for a retry. */
  flush(): Promise<void>;
  /** Remembers the outcome of `clientId` for one `take`. */
  watch(clientId: string): void;
  /** The outcome of a watched entry if it left the outbox (sent or refused); stops watching it. */
  take(clientId: string): ChatMessage | Error | undefined;
  close(): void;
}

/**
 * An outbox kept in `storage` under `key`. Entries leave it only when the server answered (2xx with
 * the stored message: sent; a non-retryable 4xx: refused); on a network error, 408, 429, 5xx or a
 * 2xx without the message the head entry stays and the whole queue waits (a retry timer with
 * backoff, or an explicit `flush`), so order holds.
 */
export function createOutbox(options: OutboxOptions): Outbox {
  const { storage, key } = options;
  let chain = Promise.resolve();
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const watched = new Map<string, ChatMessage | Error | undefined>();
  const list = async () => (await storage.get<OutboxEntry[]>(key)) ?? [];

  const drain = async () => {
    for (let head = (await list())[0]; head && !closed; head = (await list())[0]) {
      const outcome = await options.post(head);
      if ('retryAfterMs' in outcome) {
        if (outcome.error) options.onError(outcome.error);
        clearTimeout(timer);
        timer = setTimeout(flush, outcome.retryAfterMs ?? backoffDelay(attempt++, options.backoff));
        return;
      }
      const done = head.clientId;
      await storage.update<OutboxEntry[]>(key, (old = []) => old.filter((entry) => entry.clientId !== done));
      attempt = 0;
      const isWatched = watched.has(done);
      if (isWatched) watched.set(done, 'message' in outcome ? outcome.message : outcome.error);
      if ('message' in outcome) options.onSent(outcome.message);
      else options.onRefused(done, outcome.error, isWatched);
    }
  };
  const flush = (): Promise<void> => {
    chain = chain.then(drain).catch(options.onError);
    return chain;
  };

  return {
    add: (entry) => storage.update<OutboxEntry[]>(key, (old = []) => [...old, entry]),
    list,
    flush,
    watch: (clientId) => watched.set(clientId, undefined),
    take(clientId) {
      const result = watched.get(clientId);
      watched.delete(clientId);
      return result;
    },
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
