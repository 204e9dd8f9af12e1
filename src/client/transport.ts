import ky from 'ky';
import { DeliveryError } from '../model/errors.js';
import { checkMessage, checkPage } from './guards.js';
import type { OutboxEntry, PostOutcome } from './outbox.js';
import { isRetryableStatus, refusal, retryAfterMs } from './responses.js';
import type { HistoryPage } from './types.js';

/** What the transport needs to know. */
export interface TransportOptions {
  endpoint: string;
  visitorId: string;
  identityToken?: string | undefined;
  fetch?: typeof fetch | undefined;
}

/** Whether the browser believes it is online (always true where `navigator` is missing). */
export const isOnline = (): boolean => typeof navigator === 'undefined' || navigator.onLine !== false;

/**
 * The client's HTTP side, on one ky instance: every request carries `X-Threadline-Visitor` and,
 * with a token, `Authorization: Bearer` (the current one: `setToken` swaps it for the next
 * requests). ky's own retries are off: the outbox and the live connection pace their retries
 * themselves.
 */
export function createTransport(options: TransportOptions) {
  let token = options.identityToken;
  const http = ky.create({
    prefixUrl: options.endpoint,
    retry: 0,
    timeout: 15_000,
    throwHttpErrors: false,
    headers: { 'x-threadline-visitor': options.visitorId },
    hooks: {
      beforeRequest: [
        (request) => {
          if (token) request.headers.set('authorization', `Bearer ${token}`);
        },
      ],
    },
    fetch: options.fetch, // undefined: ky's default, globalThis.fetch
  });

  /** POSTs one outbox entry; a network error, 408, 429 or 5xx keeps it queued. */
  const postMessage = async ({ clientId, text, parts }: OutboxEntry): Promise<PostOutcome> => {
    if (!isOnline()) return { retryAfterMs: undefined };
    let response: Response;
    try {
      response = await http.post('messages', { json: parts ? { clientId, parts } : { clientId, text } });
    } catch {
      return { retryAfterMs: undefined }; // network error or timeout: the entry stays queued
    }
    if (isRetryableStatus(response.status)) return { retryAfterMs: retryAfterMs(response) };
    if (!response.ok) return { error: await refusal(response, 'sending a message') };
    try {
      return { message: checkMessage(((await response.json()) as { message?: unknown }).message) };
    } catch (cause) {
      // A 2xx that is not our JSON (a proxy's or portal's page) proves nothing was stored: send
      // again; the server stores one message per clientId, so a stored one is not duplicated.
      const problem = `sending a message got ${response.status} without the stored message: retrying`;
      return {
        retryAfterMs: undefined,
        error: new DeliveryError(problem, { retryable: true, status: response.status, cause }),
      };
    }
  };

  /** GETs one history page. Throws DeliveryError or ValidationError. */
  const fetchPage = async (limit: number, before?: string): Promise<HistoryPage> => {
    let response: Response;
    try {
      // ky leaves out undefined values (~1.14 is pinned).
      response = await http.get('messages', { searchParams: { limit, before: before || undefined } });
    } catch (cause) {
      // Offline, DNS, a timeout: worth retrying.
      throw new DeliveryError('loading history failed: the network is unreachable', {
        retryable: true,
        cause,
      });
    }
    if (!response.ok) throw await refusal(response, 'loading history');
    return checkPage(await response.json());
  };

  /** POSTs a best-effort signal: false when unreachable or retryable; throws when refused. */
  const signal = async (path: string, json: object): Promise<boolean> => {
    let response: Response;
    try {
      response = await http.post(path, { json });
    } catch {
      return false;
    }
    if (response.ok || isRetryableStatus(response.status)) return response.ok;
    throw await refusal(response, `POST ${path}`);
  };

  const setToken = (renewed: string) => {
    token = renewed;
  };

  return { http, postMessage, fetchPage, signal, setToken };
}
