import * as z from 'zod';
import { ValidationError } from '../../model/errors.js';
import { connectionAddress } from '../address.js';

/** CORS settings of the web-chat endpoints. */
export interface WebChatCors {
  /** Allowed page origins (`https://shop.example.com`), or `'*'` for any. */
  origins: string[] | '*';
  /**
   * Allow credentials (cookies); the matching origin is echoed instead of `*`. Default false. Only
   * with a list of `origins`: `'*'` with credentials is refused, as it would let every site send
   * the user's cookies and read the answers. The endpoints themselves read no cookies.
   */
  credentials?: boolean;
}

/** Email continuity: copy unread web-chat replies to the customer's email. */
export interface WebChatEmailFallback {
  /** Id of a registered email adapter (`postmark`, `sendgrid`, `mailgun`, or your own id). */
  channel: string;
  /** How long a reply may stay unread in the widget before it is emailed. Default 5 minutes. */
  delayMs?: number;
  /**
   * Domain of the `reply+<conversationId>@<replyDomain>` address, recorded on the copy as
   * `meta.replyTo`. The Reply-To header itself comes from the email adapter's `replyTo` option
   * (`'reply+{conversationId}@<replyDomain>'`).
   */
  replyDomain?: string;
  /** Only email addresses that are verified (token, SPF/DKIM) receive copies. Default true. */
  verifiedOnly?: boolean;
}

/** Options of `createWebChatHandler`. Every option has a default. */
export interface WebChatOptions {
  /** Path the endpoints live under. Default `/chat`. */
  basePath?: string;
  /** Id of the web-chat channel adapter (`webchat()` from `threadline/channels/webchat`). Default `webchat`. */
  channel?: string;
  /** Secret that signs identity tokens (at least 16 characters). Without it, a token is refused (401). */
  identitySecret?: string;
  /** CORS for pages on other origins. Default none: same-origin only. */
  cors?: WebChatCors;
  /** Per-visitor token bucket for sent messages. Default `{ capacity: 20, refillPerSec: 2 }` (20 / 10 s). */
  rateLimit?: { capacity: number; refillPerSec: number };
  /**
   * Largest request body, in bytes; larger is answered 413. Default 512 KiB, which holds the
   * longest text a message may have (65 536 characters) even when every character is JSON-escaped
   * to 6 bytes, and is the largest message the browser client sends. Lower it and long messages
   * are refused (413).
   */
  maxBodyBytes?: number;
  /** Email continuity (see {@link WebChatEmailFallback}). Default off. */
  emailFallback?: WebChatEmailFallback;
  /** Interval of `: keepalive` comments on the event stream, in ms. Default 15 000. */
  keepAliveMs?: number;
  /** Open event streams allowed per visitor; more are answered 429. Default 5. */
  maxStreamsPerVisitor?: number;
  /** Brand of the visitors' customers. Default: the desk's `brand`. */
  brand?: string;
  /**
   * The client's address, for the per-address limits (see `visitorsPerAddress`). Default: the
   * connection's address as `toNodeListener` saw it (with Express, `req.ip`, which follows the
   * app's `trust proxy` setting); none for requests from other adapters. Headers such as
   * `X-Forwarded-For` are read only if this function reads them: do so only behind a proxy that
   * sets them (`(request) => request.headers.get('cf-connecting-ip') ?? undefined`). Return
   * undefined to skip the per-address limits for a request.
   */
  clientAddress?: (request: Request) => string | undefined;
  /**
   * How many visitors' worth of traffic one address may make: its own message and request
   * buckets are this many times the visitor's, and it may hold this many times
   * `maxStreamsPerVisitor` event streams (100 by default). Visitor ids are chosen by the client,
   * so without this a client makes up a new id per request and is never limited. Default 20.
   */
  visitorsPerAddress?: number;
  /** Epoch-ms clock (token expiry, rate limits). Default `Date.now`. */
  clock?: () => number;
}

/** Options with every default applied. */
export interface WebChatSettings {
  basePath: string;
  channel: string;
  identitySecret: string | undefined;
  cors: WebChatCors | undefined;
  rateLimit: { capacity: number; refillPerSec: number };
  maxBodyBytes: number;
  emailFallback: Required<Omit<WebChatEmailFallback, 'replyDomain'>> & { replyDomain?: string };
  fallbackEnabled: boolean;
  keepAliveMs: number;
  maxStreamsPerVisitor: number;
  brand: string;
  clientAddress: (request: Request) => string | undefined;
  visitorsPerAddress: number;
  clock: () => number;
}

/**
 * The default body limit: 512 KiB. The longest text (`MAX_TEXT_LENGTH`, 65 536 UTF-16 units) takes
 * at most 393 216 bytes as JSON (6 bytes a unit: `\u0001`, a lone surrogate; 3 for CJK), plus the
 * clientId and the JSON around it. The browser client refuses bigger messages before queueing.
 */
export const DEFAULT_MAX_BODY_BYTES = 512 * 1024;

const positive = z.number().finite().positive();
const Schema = z.object({
  basePath: z
    .string()
    .regex(/^(\/[^/?#]+)*\/?$/, 'must start with "/" (e.g. /chat)')
    .optional(),
  channel: z.string().min(1).max(128).optional(),
  identitySecret: z.string().min(16, 'use a secret of at least 16 characters').optional(),
  cors: z
    .object({
      origins: z.union([z.literal('*'), z.array(z.string().min(1))]),
      credentials: z.boolean().optional(),
    })
    // Threat: any site could send the user's cookies and read the answers.
    .refine((cors) => !(cors.origins === '*' && cors.credentials), {
      message: "credentials need a list of origins, not '*'",
      path: ['credentials'],
    })
    .optional(),
  rateLimit: z.object({ capacity: z.number().int().min(1), refillPerSec: positive }).optional(),
  maxBodyBytes: z.number().int().min(256).optional(),
  emailFallback: z
    .object({
      channel: z.string().min(1).max(128),
      delayMs: z.number().int().nonnegative().optional(),
      replyDomain: z
        .string()
        .regex(/^[^\s@<>]+$/, 'a bare domain name')
        .optional(),
      verifiedOnly: z.boolean().optional(),
    })
    .optional(),
  keepAliveMs: z.number().int().min(10).optional(),
  maxStreamsPerVisitor: z.number().int().min(1).optional(),
  brand: z.string().min(1).max(128).optional(),
  visitorsPerAddress: z.number().int().min(1).optional(),
});

/**
 * Validates the options once and applies the defaults.
 * @throws ValidationError naming the option.
 */
export function resolveOptions(options: WebChatOptions): WebChatSettings {
  const { clock, clientAddress, ...rest } = options;
  const checked = Schema.safeParse(rest);
  if (!checked.success) throw ValidationError.fromZod('web-chat options', checked.error);
  if (clientAddress !== undefined && typeof clientAddress !== 'function') {
    throw new ValidationError('web-chat options', [
      { path: ['clientAddress'], message: 'expected a function of the request' },
    ]);
  }
  const fallback = options.emailFallback;
  return {
    basePath: (options.basePath ?? '/chat').replace(/\/+$/, ''),
    channel: options.channel ?? 'webchat',
    identitySecret: options.identitySecret,
    cors: options.cors,
    rateLimit: options.rateLimit ?? { capacity: 20, refillPerSec: 2 },
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    emailFallback: {
      channel: fallback?.channel ?? '',
      delayMs: fallback?.delayMs ?? 5 * 60_000,
      verifiedOnly: fallback?.verifiedOnly ?? true,
      ...(fallback?.replyDomain === undefined ? {} : { replyDomain: fallback.replyDomain }),
    },
    fallbackEnabled: fallback !== undefined,
    keepAliveMs: options.keepAliveMs ?? 15_000,
    maxStreamsPerVisitor: options.maxStreamsPerVisitor ?? 5,
    brand: options.brand ?? 'default',
    clientAddress: clientAddress ?? connectionAddress,
    visitorsPerAddress: options.visitorsPerAddress ?? 20,
    clock: clock ?? Date.now,
  };
}
