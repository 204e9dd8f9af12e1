import type { ChatClient, ChatEvents } from '../../src/client/index.js';

/** Resolves with the next `event` whose value passes `accept` (no sleeping: it awaits the event). */
export function next<K extends keyof ChatEvents>(
  client: ChatClient,
  event: K,
  accept: (value: ChatEvents[K]) => boolean = () => true,
  timeoutMs = 8000,
): Promise<ChatEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${String(event)} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.on(event, (value) => {
      if (!accept(value)) return;
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

/** Waits until `client.connection` is `state` (now or later). */
export async function connected(client: ChatClient, state: ChatEvents['connection'] = 'open'): Promise<void> {
  if (client.connection !== state) await next(client, 'connection', (value) => value === state);
}

/** Records every event of `client`, to assert exact sequences. */
export function record(client: ChatClient) {
  const log = {
    messages: [] as ChatEvents['message'][],
    statuses: [] as ChatEvents['status'][],
    errors: [] as Error[],
  };
  client.on('message', (message) => log.messages.push(message));
  client.on('status', (status) => log.statuses.push(status));
  client.on('error', (error) => log.errors.push(error));
  return log;
}

/** Every connection state the client reports from now on. */
export function states(client: ChatClient): string[] {
  const seen: string[] = [];
  client.on('connection', (state) => seen.push(state));
  return seen;
}
