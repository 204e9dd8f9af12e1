import type { KyInstance } from 'ky';
import { DeliveryError } from '../model/errors.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { createSseParser, readEventStream, type SseEvent } from './sse.js';
import type { ConnectionState } from './types.js';

/** Options of {@link openLive}. */
export interface LiveOptions {
  http: KyInstance;
  /** Reconnect pacing; default as `backoffDelay`'s. */
  backoff?: BackoffOptions | undefined;
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
  /** A page hidden this long parks the stream; `Infinity`: never (see `ChatClientOptions.hiddenMs`). */
  hiddenMs: number;
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
  /** Ends the loop for good (and stops watching the page's visibility). */
  close(): void;
}

const REFUSED = [401, 403, 404, 409];

/**
 * Opens `GET {endpoint}/events` as a fetch-based SSE stream (so it can send the visitor and
 * Authorization headers and run in Node) and keeps it open: after a drop it reconnects with
 * exponential backoff and jitter, sending `Last-Event-ID` so the server replays what was missed.
 *
 * In a browser it parks the stream of a page hidden for `hiddenMs`: over HTTP/1.1 each open stream
 * holds one of the 6 connections a browser allows per host, so a few background tabs would starve
 * every other request to the site. Parked, the loop waits without a timer and without `offline`
 * (nothing is down); showing the page reopens the stream at once, quietly as a token renewal does.
 * A page loaded hidden (a tab opened in the background) starts parked: it connects when first shown.
 */
export function openLive(options: LiveOptions): Live {
  let closed = false;
  /** The server refused the stream for good: the loop has ended. */
  let refused = false;
  /** The stream was ended on purpose (a renewed token, or parked): no `connecting`, no `offline`, no backoff. */
  let renewing = false;
  // `globalThis.document`: undefined outside browsers, where a bare `document` would throw.
  const doc: Document | undefined = options.hiddenMs < Infinity ? globalThis.document : undefined;
  /** The page has been hidden for `hiddenMs` (or since it loaded): no stream until it is shown. */
  let parked = doc?.hidden;
  let parking: ReturnType<typeof setTimeout> | undefined;
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
      const response = await options.http.get('events', {
        headers: lastEventId ? { 'last-event-id': lastEventId } : {},
        signal: abort.signal,
        timeout: false,
      });
      if (!response.ok || !response.body) return response.status;
      options.onState('open');
      activity();
      await readEventStream(response.body, parser, activity, abort.signal);
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
      // Parked: no timer, only showing the page (or `close`) ends the wait.
      const timer = parked ? undefined : setTimeout(resolve, backoffDelay(attempt++, options.backoff));
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const run = async () => {
    while (!closed) {
      if (!parked && options.isOnline()) {
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
      if (!parked) options.onState('offline');
      await pause();
    }
  };
  void run();

  /** Ends an open or opening stream without `offline` or backoff: the loop goes on at once. */
  const restart = () => {
    if (controller?.signal.aborted === false) {
      renewing = true;
      controller.abort();
    }
  };
  const onVisibility = () => {
    clearTimeout(parking);
    if (doc!.hidden)
      parking = setTimeout(() => {
        parked = true;
        restart();
      }, options.hiddenMs);
    else {
      // Shown: a parked loop reconnects at once (so does one waiting for a backoff timer).
      parked = false;
      wake();
    }
  };
  doc?.addEventListener('visibilitychange', onVisibility);

  return {
    wake: () => wake(),
    drop: () => controller?.abort(),
    reconnect() {
      if (refused) {
        refused = false;
        void run();
      } else restart(); // not while waiting for a backoff timer: the next attempt sends the new token
    },
    close() {
      closed = true;
      // A parking timer still running finds the stream aborted: it does nothing.
      doc?.removeEventListener('visibilitychange', onVisibility);
      controller?.abort();
      wake();
    },
  };
}
