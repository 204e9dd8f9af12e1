import { jsonError } from '../../core/webhook.js';
import type { WebChatCors } from './options.js';

const ALLOW_HEADERS = 'authorization, content-type, last-event-id, x-threadline-visitor';

/** The CORS headers for a request from `origin` (none when CORS is off or the origin is not allowed). */
export function corsHeaders(cors: WebChatCors | undefined, origin: string | null): Record<string, string> {
  if (!cors || origin === null) return {};
  const any = cors.origins === '*';
  if (!any && !cors.origins.includes(origin)) return {};
  const headers: Record<string, string> = { 'access-control-expose-headers': 'retry-after' };
  if (any && !cors.credentials) {
    headers['access-control-allow-origin'] = '*';
    return headers;
  }
  headers['access-control-allow-origin'] = origin;
  headers.vary = 'Origin';
  if (cors.credentials) headers['access-control-allow-credentials'] = 'true';
  return headers;
}

/**
 * Answers a preflight: 204 with the allowed methods and headers for an allowed origin, 403 for
 * another origin when CORS is configured, and a plain 204 with `Allow` otherwise.
 */
export function preflight(
  cors: WebChatCors | undefined,
  request: Request,
  methods: readonly string[],
): Response {
  const allow = [...methods, 'OPTIONS'].join(', ');
  const origin = request.headers.get('origin');
  const headers = corsHeaders(cors, origin);
  if (cors && origin !== null && Object.keys(headers).length === 0) {
    return jsonError(403, 'CORS', `Origin ${JSON.stringify(origin.slice(0, 200))} is not allowed.`);
  }
  if (headers['access-control-allow-origin']) {
    headers['access-control-allow-methods'] = allow;
    headers['access-control-allow-headers'] = ALLOW_HEADERS;
    headers['access-control-max-age'] = '600';
  }
  return new Response(null, { status: 204, headers: { ...headers, allow } });
}
