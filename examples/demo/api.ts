/**
 * The agent inbox's JSON API (`/api/...`) and the shop's identity-token route. A Fetch handler:
 * answers its own paths, `undefined` for anything else.
 */
import { type ConversationPatch, type Desk, isThreadlineError } from 'threadline';
import { errorToResponse, signIdentityToken } from 'threadline/http';
import { AGENT, ANN, IDENTITY_SECRET } from './config.js';
import { conversationView, listConversations } from './inbox-views.js';
import type { LiveHub } from './live.js';
import type { MergeSuggestions } from './merge-suggestions.js';
import { type SimulatedChannel, simulate, simulatedChannels } from './simulator.js';
import type { Sink } from './sink.js';

/** What the API works with. */
export interface ApiContext {
  desk: Desk;
  origin: string;
  hub: LiveHub;
  sink: Sink;
  suggestions: MergeSuggestions;
  /** Shows or hides the agent's typing indicator in the customer's widget. */
  agentTyping(conversationId: string, typing: boolean): Promise<void>;
}

type Route = (request: Request, params: string[], context: ApiContext) => Promise<Response>;

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });

const badRequest = (message: string, field?: string) =>
  json({ error: { code: 'VALIDATION', message, ...(field && { field }) } }, 400);

async function body(request: Request): Promise<Record<string, unknown>> {
  try {
    const parsed: unknown = await request.json();
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

const routes: [method: string, pattern: RegExp, route: Route][] = [
  ['GET', /^\/api\/conversations$/, async (_r, _p, { desk }) => json(await listConversations(desk))],
  [
    'GET',
    /^\/api\/conversations\/([^/]+)$/,
    async (_r, [id], { desk }) => json(await conversationView(desk, id!)),
  ],
  ['PATCH', /^\/api\/conversations\/([^/]+)$/, updateConversation],
  ['POST', /^\/api\/conversations\/([^/]+)\/reply$/, reply],
  ['POST', /^\/api\/conversations\/([^/]+)\/typing$/, typing],
  ['POST', /^\/api\/customers\/([^/]+)\/identities$/, linkIdentity],
  ['GET', /^\/api\/merge-suggestions$/, async (_r, _p, { suggestions }) => json(await suggestions.list())],
  [
    'POST',
    /^\/api\/merge-suggestions\/([^/]+)\/accept$/,
    async (_r, [id], { suggestions }) => json({ keptId: await suggestions.accept(id!) }),
  ],
  [
    'POST',
    /^\/api\/merge-suggestions\/([^/]+)\/reject$/,
    async (_r, [id], { suggestions }) => {
      suggestions.reject(id!);
      return json({ rejected: id });
    },
  ],
  ['GET', /^\/api\/sink$/, async (_r, _p, { sink }) => json(sink.deliveries().reverse())],
  ['GET', /^\/api\/events$/, async (request, _p, { hub }) => hub.stream(request.signal)],
  ['POST', /^\/api\/simulate\/([^/]+)$/, simulateRoute],
  ['POST', /^\/api\/identity-token$/, identityToken],
];

async function updateConversation(request: Request, [id]: string[], { desk }: ApiContext) {
  const input = await body(request);
  const patch: ConversationPatch = {};
  if (typeof input.status === 'string') patch.status = input.status as ConversationPatch['status'];
  if ('assigneeId' in input) patch.assigneeId = text(input.assigneeId) || null;
  return json(await desk.conversations.update(id!, patch));
}

async function reply(request: Request, [id]: string[], { desk }: ApiContext) {
  const input = await body(request);
  const message = text(input.text);
  if (!message) return badRequest('Write a reply first.', 'text');
  const note = input.internal === true;
  const channel = text(input.channel);
  const stored = await desk.reply(id!, {
    text: message,
    author: AGENT,
    ...(note ? { direction: 'internal' as const } : channel ? { channel } : {}),
  });
  return json({ message: stored }, 201);
}

async function typing(request: Request, [id]: string[], context: ApiContext) {
  const input = await body(request);
  await context.agentTyping(id!, input.typing === true);
  return new Response(null, { status: 204 });
}

/** An agent links an email or phone by hand: unverified, so a collision only suggests a merge. */
async function linkIdentity(request: Request, [id]: string[], { desk }: ApiContext) {
  const input = await body(request);
  const kind = text(input.kind);
  if (kind !== 'email' && kind !== 'phone') return badRequest('kind must be email or phone', 'kind');
  const result = await desk.identify(id!, { kind, value: text(input.value), verified: false });
  return json(result);
}

async function simulateRoute(request: Request, [channel]: string[], context: ApiContext) {
  if (!simulatedChannels.includes(channel as SimulatedChannel)) {
    return badRequest(`channel must be one of ${simulatedChannels.join(', ')}`, 'channel');
  }
  const input = await body(request);
  const message = {
    from: text(input.from),
    name: text(input.name),
    text: text(input.text),
    subject: text(input.subject),
  };
  if (!message.text && channel !== 'voice') return badRequest('Write a message first.', 'text');
  const result = await simulate(channel as SimulatedChannel, message, context);
  return json(
    { webhook: { status: result.status, body: result.body.slice(0, 500) } },
    result.status < 300 ? 200 : 502,
  );
}

/** How long an identity token the shop signs is valid; the shop page renews it before then. */
const TOKEN_LIFETIME_SEC = 3600;

/** The shop's server vouches for its logged-in user: a token valid for {@link TOKEN_LIFETIME_SEC}. */
async function identityToken() {
  const exp = Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_SEC;
  const token = await signIdentityToken(
    { sub: ANN.sub, email: ANN.email, name: ANN.name, exp },
    IDENTITY_SECRET,
  );
  return json({
    token,
    expiresInSec: TOKEN_LIFETIME_SEC,
    user: { id: ANN.sub, email: ANN.email, name: ANN.name },
  });
}

/** Creates the API handler. */
export function createApi(context: ApiContext) {
  return async (request: Request): Promise<Response | undefined> => {
    const { pathname } = new URL(request.url);
    if (!pathname.startsWith('/api/')) return undefined;
    for (const [method, pattern, route] of routes) {
      const match = pattern.exec(pathname);
      if (!match) continue;
      if (request.method !== method) continue;
      try {
        return await route(request, match.slice(1).map(decodeURIComponent), context);
      } catch (error) {
        if (error instanceof RangeError)
          return json({ error: { code: 'NOT_FOUND', message: error.message } }, 404);
        if (isThreadlineError(error)) return errorToResponse(error);
        throw error;
      }
    }
    return json({ error: { code: 'NOT_FOUND', message: `No API route ${request.method} ${pathname}` } }, 404);
  };
}
