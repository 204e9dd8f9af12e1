import type { Desk } from '../core/types.js';
import {
  answerToResponse,
  answerWebhook,
  isResponse,
  jsonAnswer,
  requestInput,
  type WebhookAnswer,
  type WebhookInput,
  type WebhookOptions,
} from '../core/webhook.js';

/** Options of {@link createWebhookHandler}. */
export interface WebhookHandlerOptions extends WebhookOptions {
  /**
   * Path the webhooks live under; a channel's URL is `{basePath}/{channelId}`. Default `/webhooks`.
   * Behind an Express mount, give the full path (`app.use('/api', ...)` -> `/api/webhooks`).
   */
  basePath?: string;
}

/** A Fetch-API request handler: works as-is in Deno, Bun, Hono, Next.js route handlers and workers. */
export type FetchHandler = (request: Request) => Promise<Response>;

function normalizeBasePath(basePath: string): string {
  const trimmed = basePath.replace(/\/+$/, '');
  if (trimmed !== '' && !trimmed.startsWith('/')) {
    throw new TypeError(
      `createWebhookHandler: basePath must start with "/", got ${JSON.stringify(basePath)}`,
    );
  }
  return trimmed;
}

/**
 * The path of an absolute http(s) URL as a `Request` serializes it (scheme, `//`, authority, then
 * the path up to `?` or `#`), without parsing it again; other URLs go through `URL`.
 */
function pathnameOf(url: string): string | undefined {
  if (url.startsWith('https://') || url.startsWith('http://')) {
    const start = url.indexOf('/', url.indexOf('//') + 2);
    if (start < 0) return '/';
    let end = url.length;
    const query = url.indexOf('?', start);
    if (query >= 0) end = query;
    const hash = url.indexOf('#', start);
    if (hash >= 0 && hash < end) end = hash;
    return url.slice(start, end);
  }
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}

/** The channel id of `{basePath}/{channelId}`, or undefined when the path is anything else. */
function channelIdOf(url: string, basePath: string): string | undefined {
  const pathname = pathnameOf(url);
  if (pathname === undefined || !pathname.startsWith(`${basePath}/`)) return undefined;
  const rest = pathname.slice(basePath.length + 1);
  if (rest === '' || rest.includes('/')) return undefined;
  try {
    return decodeURIComponent(rest);
  } catch {
    return undefined;
  }
}

/**
 * Creates the Fetch-API webhook handler of a desk: `{basePath}/{channelId}` is handed to
 * `handleWebhook` (POST deliveries and GET handshakes; another method is answered 405), and every
 * other path is answered 404 with a JSON error. The handler never throws.
 *
 * Options: `basePath` (default `/webhooks`), `maxBodyBytes` (default 1 MiB), `publicUrl` (the
 * URL providers call, behind proxies), `onError` (observe errors or replace their response).
 *
 * @throws TypeError when `basePath` does not start with `/`.
 * @example
 * ```ts
 * const handler = createWebhookHandler(desk, { publicUrl: 'https://support.example.com' });
 * Bun.serve({ fetch: handler });
 * ```
 */
export function createWebhookHandler(desk: Desk, options: WebhookHandlerOptions = {}): FetchHandler {
  const basePath = normalizeBasePath(options.basePath ?? '/webhooks');
  const { basePath: _ignored, ...webhookOptions } = options;
  const route: WebhookRoute = async (input) => {
    const channelId = channelIdOf(input.url, basePath);
    if (channelId !== undefined) return answerWebhook(desk, channelId, input, webhookOptions);
    return jsonAnswer(404, 'NOT_FOUND', `No webhook route at ${safePath(input.url)}.`);
  };
  const handler: FetchHandler = async (request) => {
    const answer = await route(requestInput(request));
    return isResponse(answer) ? answer : answerToResponse(answer);
  };
  routes.set(handler, route);
  return handler;
}

/** A webhook handler's own entry, taking a {@link WebhookInput} instead of a Fetch `Request`. */
export type WebhookRoute = (input: WebhookInput) => Promise<WebhookAnswer | Response>;

/** The entries of the handlers {@link createWebhookHandler} made, for `toNodeListener`. */
const routes = new WeakMap<FetchHandler, WebhookRoute>();

/**
 * The entry of a handler made by {@link createWebhookHandler}, or undefined for any other handler.
 * `toNodeListener` serves such a handler from the node:http request directly: building a Fetch
 * `Request` (its body stream, headers and abort signal) and writing a `Response` back cost more
 * than the rest of a webhook.
 */
export function webhookRouteOf(handler: FetchHandler): WebhookRoute | undefined {
  return routes.get(handler);
}

function safePath(url: string): string {
  try {
    return JSON.stringify(new URL(url).pathname.slice(0, 200));
  } catch {
    return 'this URL';
  }
}
