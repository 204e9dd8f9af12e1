import * as z from 'zod';
import type { Desk } from '../../core/types.js';
import { HttpRefusal } from '../../core/webhook.js';
import { ValidationError } from '../../model/errors.js';
import type { InboundMessage } from '../../model/inbound.js';
import { MAX_TEXT_LENGTH, Part } from '../../model/parts.js';
import type { Customer, Message } from '../../model/records.js';
import type { EmailFallback } from './email-fallback.js';
import { claimedIdentities, type Visitor, type VisitorIdentities } from './identity.js';
import type { WebChatSettings } from './options.js';
import { invalid, json, readJson } from './request.js';

/** A visitor's typing signal, as `onTyping` listeners receive it. */
export interface VisitorTyping {
  visitorId: string;
  /** The visitor's customer, when it has one yet. */
  customerId: string | undefined;
  /** The customer's newest conversation, when there is one. */
  conversationId: string | undefined;
  typing: boolean;
}

/** What the routes share. */
export interface RouteContext {
  desk: Desk;
  settings: WebChatSettings;
  identities: VisitorIdentities;
  fallback: EmailFallback | undefined;
  emitTyping(signal: VisitorTyping): void;
}

const SendBody = z
  .object({
    clientId: z.string().min(1).max(128),
    text: z.string().min(1).max(MAX_TEXT_LENGTH).optional(),
    parts: z.array(Part).min(1).max(100).optional(),
  })
  .refine((body) => body.text !== undefined || body.parts !== undefined, {
    message: 'either text or parts is required',
    path: ['text'],
  });
const TypingBody = z.object({ typing: z.boolean() });
const ReadBody = z.object({ messageId: z.string().min(1).max(128) });

function parseBody<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const checked = schema.safeParse(data);
  if (!checked.success) throw ValidationError.fromZod(what, checked.error);
  return checked.data;
}

/** `POST {base}/messages`: stores the visitor's message once per clientId (201, then 200). */
export async function postMessage(ctx: RouteContext, visitor: Visitor, request: Request): Promise<Response> {
  const body = parseBody(SendBody, await readJson(request, ctx.settings.maxBodyBytes), 'web-chat message');
  const inbound: InboundMessage = {
    brand: ctx.settings.brand,
    channel: ctx.settings.channel,
    channelKind: 'webchat',
    from: { kind: 'webchat', value: visitor.id, verified: false },
    externalId: body.clientId,
    ...(body.parts ? { parts: body.parts } : { text: body.text! }),
  };
  const deferred = visitor.claims !== undefined && !ctx.identities.isApplied(visitor);
  if (deferred && visitor.claims) {
    // No customer held the token's identities yet: the first message brings them.
    inbound.identities = claimedIdentities(visitor.claims);
    if (visitor.claims.name !== undefined) inbound.displayName = visitor.claims.name;
  }
  const result = await ctx.desk.receive(inbound);
  if (deferred) ctx.identities.markApplied(visitor);
  if (!result.created) {
    const own = await ctx.identities.customerOf(visitor.id);
    if (own?.id !== result.customer.id) {
      throw new HttpRefusal(409, 'CONFLICT', 'This clientId is already used; make a new one per message.');
    }
  }
  return json(result.created ? 201 : 200, { message: result.message });
}

function limitOf(url: URL): number {
  const raw = url.searchParams.get('limit');
  if (raw === null) return 50;
  const limit = Number(raw);
  if (!/^\d{1,3}$/.test(raw) || limit < 1 || limit > 100) throw invalid('limit', 'an integer from 1 to 100');
  return limit;
}

/** `GET {base}/messages`: the customer's timeline across channels, newest first, without notes. */
export async function listMessages(ctx: RouteContext, visitor: Visitor, url: URL): Promise<Response> {
  const limit = limitOf(url);
  const before = url.searchParams.get('before') ?? undefined;
  if (before !== undefined && (before.length === 0 || before.length > 512)) {
    throw invalid('before', 'not a cursor this server issued');
  }
  const customer = await ctx.identities.customerOf(visitor.id);
  if (!customer) return json(200, { items: [], nextCursor: null });
  const page = await ctx.desk
    .timeline(customer.id, { limit, ...(before === undefined ? {} : { before }) })
    .page();
  const items = page.items.filter((message) => message.direction !== 'internal');
  return json(200, { items, nextCursor: page.hasNext ? (page.nextCursor ?? null) : null });
}

/** The visitor's customer's newest conversation id. */
async function latestConversation(
  ctx: RouteContext,
  customer: Customer | undefined,
): Promise<string | undefined> {
  if (!customer) return undefined;
  const page = await ctx.desk.conversations.list({ customerId: customer.id, limit: 1 });
  return page.items[0]?.id;
}

/** `POST {base}/typing`: hands the signal to `onTyping` listeners (204). */
export async function postTyping(ctx: RouteContext, visitor: Visitor, request: Request): Promise<Response> {
  const { typing } = parseBody(
    TypingBody,
    await readJson(request, ctx.settings.maxBodyBytes),
    'typing signal',
  );
  const customer = await ctx.identities.customerOf(visitor.id);
  const conversationId = await latestConversation(ctx, customer);
  ctx.emitTyping({ visitorId: visitor.id, customerId: customer?.id, conversationId, typing });
  return new Response(null, { status: 204 });
}

/** Outbound messages of the conversation up to `upTo` (inclusive), newest first. */
async function readableUpTo(ctx: RouteContext, upTo: Message): Promise<Message[]> {
  const earlier = await ctx.desk.store.listMessages(
    { conversationId: upTo.conversationId },
    { limit: 200, before: { at: upTo.at, id: upTo.id } },
  );
  return [upTo, ...earlier].filter(
    (message) => message.direction === 'outbound' && message.channel === ctx.settings.channel,
  );
}

/** `POST {base}/read`: marks that message and the earlier ones of its conversation read (204). */
export async function postRead(ctx: RouteContext, visitor: Visitor, request: Request): Promise<Response> {
  const { messageId } = parseBody(
    ReadBody,
    await readJson(request, ctx.settings.maxBodyBytes),
    'read receipt',
  );
  const [message, customer] = await Promise.all([
    ctx.desk.store.getMessage(messageId),
    ctx.identities.customerOf(visitor.id),
  ]);
  const owner = message && (await ctx.desk.customers.resolve(message.customerId).catch(() => undefined));
  if (!message || !customer || owner?.id !== customer.id) {
    throw new HttpRefusal(404, 'NOT_FOUND', `No message ${JSON.stringify(messageId)} in this chat.`);
  }
  const messages = await readableUpTo(ctx, message);
  ctx.fallback?.read(messages.map((m) => m.id));
  for (const unread of messages) {
    if (unread.externalId === undefined || unread.status === 'read' || unread.status === 'failed') continue;
    await ctx.desk.updateStatus({ channel: unread.channel, externalId: unread.externalId, status: 'read' });
  }
  return new Response(null, { status: 204 });
}
