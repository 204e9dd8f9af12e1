import type { KyInstance } from 'ky';
import { DeliveryError } from '../model/errors.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { createSseParser, readEventStream, type SseEvent } from './sse.js';
import type { ConnectionState } from './types.js';

/** Options of {@link openLive}. */
export interface LiveOptions {
  http: KyInstance;
  backoff: BackoffOptions;
  /** A stream silent for this long (no event, no keepalive) is dropped and reopened. */
  idleMs: number;
  isOnline(): boolean;
  onEvent(event: SseEvent): void;
  onState(state: ConnectionState): void;
  /**
   * The server refused the stream for good (401, 403, 404; 409 when the visitor is signed in as
   * another user): no more reconnects.
   */
  onRefused(error: DeliveryError): void;
}

/** A live-update connection that keeps itself open. */
export interface Live {
  /** Reconnects now if waiting for a backoff timer (the browser came back online). */
  wake(): void;
  /** Drops the current stream (the browser went offline); it reconnects with backoff. */
  drop(): void;
  /**
   * Reopens the stream at once, so that its request carries a renewed token. The state stays as it
   * is meanwhile (no `offline`); a stream the server had refused for good is opened again.
   */
  reconnect(): void;
  close(): void;
}

const REFUSED = [401, 403, 404, 409];

/**
 * Opens `GET {endpoint}/events` as a fetch-based SSE stream (so it can send the visitor and
 * Authorization headers and run in Node) and keeps it open: after a drop it reconnects with
 * exponential backoff and jitter, sending `Last-Event-ID` so the server replays what was missed.
 */
export function openLive(options: LiveOptions): Live {
  let closed = false;
  /** The server refused the stream for good: the loop has ended. */
  let refused = false;
  /** The stream is being reopened for a renewed token: no `connecting`, no backoff. */
  let renewing = false;
  let attempt = 0;
  let lastEventId = '';
  let controller: AbortController | undefined;
  let wake = (): void => {};

  const connectOnce = async (): Promise<number> => {
    const abort = new AbortController();
    controller = abort;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const activity = () => {
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(), options.idleMs);
    };
    const parser = createSseParser((event) => {
      attempt = 0;
      lastEventId = event.id;
      options.onEvent(event);
    }, lastEventId);
    try {
      const headers: Record<string, string> = lastEventId ? { 'last-event-id': lastEventId } : {};
      const response = await options.http.get('events', { headers, signal: abort.signal, timeout: false });
      if (!response.ok || !response.body) return response.status;
      options.onState('open');
      activity();
      await readEventStream(response.body, parser, activity);
    } catch {
      // A network error or our own abort (offline, idle, close): the loop below reconnects.
    } finally {
      clearTimeout(idle);
      abort.abort();
      lastEventId = parser.lastEventId;
    }
    return 0;
  };

  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, backoffDelay(attempt++, options.backoff));
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const run = async () => {
    while (!closed) {
      if (options.isOnline()) {
        if (!renewing) options.onState('connecting');
        renewing = false;
        const status = await connectOnce();
        if (closed) return;
        if (REFUSED.includes(status)) {
          refused = true; // first: a listener of the refusal may renew the token at once
          options.onState('offline');
          options.onRefused(
            new DeliveryError(`live updates refused with status ${status}`, { retryable: false, status }),
          );
          return;
        }
        if (renewing) continue;
      }
      options.onState('offline');
      await pause();
    }
  };
  void run();

  return {
    wake: () => wake(),
    drop: () => controller?.abort(),
    reconnect() {
      if (refused) {
        refused = false;
        void run();
      } else if (controller?.signal.aborted === false) {
        // Open or opening (not waiting for a backoff timer, whose next attempt sends the new token).
        renewing = true;
        controller.abort();
      }
    },
    close() {
      closed = true;
      controller?.abort();
      wake();
    },
  };
}
