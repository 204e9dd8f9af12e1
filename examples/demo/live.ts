/**
 * The inbox's live feed: a tiny Server-Sent Events hub. The server publishes a short notice per
 * desk event and per sink delivery; the inbox refetches what the notice names.
 */

/** One notice on the feed. */
export interface LiveNotice {
  type: string;
  conversationId?: string;
  customerId?: string;
  /** For `visitor.typing`: whether the visitor is typing. */
  typing?: boolean;
}

/** Publishes notices to every open `/api/events` stream. */
export interface LiveHub {
  publish(notice: LiveNotice): void;
  /** A `text/event-stream` response that stays open until the client leaves or the hub closes. */
  stream(signal: AbortSignal): Response;
  close(): void;
}

const KEEPALIVE_MS = 15_000;

/** Creates the hub. */
export function createLiveHub(): LiveHub {
  const clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const encoder = new TextEncoder();
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, chunk: string) => {
    try {
      controller.enqueue(encoder.encode(chunk));
    } catch {
      clients.delete(controller);
    }
  };
  const keepalive = setInterval(() => {
    for (const client of clients) send(client, ': keepalive\n\n');
  }, KEEPALIVE_MS);
  keepalive.unref();

  return {
    publish(notice) {
      const chunk = `event: ${notice.type}\ndata: ${JSON.stringify(notice)}\n\n`;
      for (const client of clients) send(client, chunk);
    },
    stream(signal) {
      let self: ReadableStreamDefaultController<Uint8Array> | undefined;
      const leave = () => {
        if (!self) return;
        clients.delete(self);
        try {
          self.close();
        } catch {
          // Already closed by the client.
        }
      };
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          self = controller;
          clients.add(controller);
          send(controller, 'retry: 1000\nevent: ready\ndata: {}\n\n');
          signal.addEventListener('abort', leave, { once: true });
        },
        cancel: leave,
      });
      return new Response(body, {
        headers: {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
        },
      });
    },
    close() {
      clearInterval(keepalive);
      for (const client of clients) {
        try {
          client.close();
        } catch {
          // Already closed.
        }
      }
      clients.clear();
    },
  };
}
