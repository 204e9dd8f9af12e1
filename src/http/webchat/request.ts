import { HttpRefusal, tooLarge, unreadable } from '../../core/webhook.js';
import { ValidationError } from '../../model/errors.js';

/** The endpoints under the base path. */
export type Endpoint = 'messages' | 'events' | 'typing' | 'read';
const endpoints: ReadonlySet<string> = new Set(['messages', 'events', 'typing', 'read']);

/** Methods each endpoint answers (OPTIONS aside). */
export const allowedMethods: Record<Endpoint, readonly string[]> = {
  messages: ['GET', 'POST'],
  events: ['GET'],
  typing: ['POST'],
  read: ['POST'],
};

/**
 * Where a request goes: the endpoint; `null` for an unknown path under a `basePath` of the chat's
 * own (404); `undefined` for another handler's path: one outside `basePath`, or, when `basePath`
 * is the root (`''` once normalized), any path but the four endpoints.
 */
export function endpointOf(url: URL, basePath: string): Endpoint | null | undefined {
  const { pathname } = url;
  if (pathname !== basePath && !pathname.startsWith(`${basePath}/`)) return undefined;
  const rest = pathname.slice(basePath.length + 1);
  if (endpoints.has(rest)) return rest as Endpoint;
  return basePath === '' ? undefined : null;
}

/** A 400 naming one field of the web-chat request. */
export function invalid(field: string, message: string): ValidationError {
  return new ValidationError('web-chat request', [{ path: [field], message }]);
}

const VISITOR_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The visitor id from `X-Threadline-Visitor` (or `?visitor=` on the event stream). */
export function visitorIdOf(request: Request, url: URL, endpoint: Endpoint): string {
  const header = request.headers.get('x-threadline-visitor');
  const value = header ?? (endpoint === 'events' ? url.searchParams.get('visitor') : null);
  if (value === null || value === '') {
    throw invalid('visitor', 'the X-Threadline-Visitor header is required');
  }
  if (!VISITOR_ID.test(value)) {
    throw invalid('visitor', 'must be 1-128 characters of A-Z a-z 0-9 . _ : -');
  }
  return value;
}

/** The identity token from `Authorization: Bearer` (or `?token=` on the event stream), if any. */
export function bearerTokenOf(request: Request, url: URL, endpoint: Endpoint): string | undefined {
  const header = request.headers.get('authorization');
  if (header !== null) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match)
      throw new HttpRefusal(401, 'UNAUTHORIZED', 'The Authorization header must be "Bearer <token>".');
    return match[1];
  }
  const query = endpoint === 'events' ? url.searchParams.get('token') : null;
  return query === null || query === '' ? undefined : query;
}

function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

const decoder = new TextDecoder('utf-8', { fatal: true });

async function collect(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const bytes = new Uint8Array(limit);
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return bytes.subarray(0, size);
      if (size + value.byteLength > limit) throw tooLarge(limit);
      bytes.set(value, size);
      size += value.byteLength;
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    if (error instanceof HttpRefusal) throw error;
    throw unreadable();
  }
}

/**
 * Reads a JSON request body: `application/json` only (415), at most `limit` bytes whatever
 * Content-Length claims (413), UTF-8 and JSON (400).
 */
export async function readJson(request: Request, limit: number): Promise<unknown> {
  const type = mediaType(request);
  if (type !== 'application/json') {
    const shown = type === '' ? 'none' : type;
    throw new HttpRefusal(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Content type ${shown} is not accepted; send application/json.`,
    );
  }
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > limit) throw tooLarge(limit);
  const bytes = request.body ? await collect(request.body, limit) : new Uint8Array();
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw invalid('body', 'not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw invalid('body', 'not valid JSON');
  }
}

/** A JSON response with `Cache-Control: no-store`. */
export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}
