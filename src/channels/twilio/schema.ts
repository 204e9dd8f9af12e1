import * as z from 'zod';
import type { RawRequest } from '../../core/channel.js';
import { ValidationError } from '../../model/errors.js';
import type { DeliveryOptions } from '../shared/provider-client.js';

/** Options shared by {@link twilioSms}, {@link twilioWhatsApp} and {@link twilioVoice}. */
export interface TwilioOptions {
  /** Adapter id, unique within a desk; the webhook path is `{basePath}/{id}`. Default per factory. */
  id?: string;
  /** Account SID (`AC` + 32 hex), the username of the REST API's basic auth. */
  accountSid: string;
  /** Auth Token: the REST API password and the key of `X-Twilio-Signature`. */
  authToken: string;
  /**
   * Our sender: an E.164 number (`+14155550100`), a short code or an alphanumeric sender id.
   * WhatsApp takes the number with or without its `whatsapp:` prefix. Required for sending unless
   * `messagingServiceSid` is given.
   */
  from?: string;
  /** Messaging Service SID (`MG` + 32 hex): sent instead of `From` when given. */
  messagingServiceSid?: string;
  /** URL Twilio posts delivery statuses to (`StatusCallback`); normally this adapter's webhook URL. */
  statusCallbackUrl?: string;
  /** REST API base URL. Default `https://api.twilio.com`. Tests and proxies point it elsewhere. */
  apiBaseUrl?: string;
  /** Timeouts and retries of outbound sends (see `DeliveryOptions`). */
  delivery?: DeliveryOptions;
  /**
   * The public URL Twilio signs, when the host sits behind a proxy that changes it. A string is
   * the public origin (`https://support.example.com`): the received path and query are kept. A
   * function returns the full URL Twilio called for a request. Default: the request URL as received.
   */
  publicUrl?: string | ((raw: RawRequest) => string);
  /**
   * Answer an incoming message with empty TwiML (`200`, `text/xml`, `<Response/>`), the form
   * Twilio's Messaging guides show for "no reply", instead of `204 No Content`. Both tell Twilio
   * there is nothing to send back; status callbacks are answered 204 either way. Default false.
   */
  emptyTwiml?: boolean;
}

const sid = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`), `must be "${prefix}" followed by 32 hex digits`);

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });

const fn = z.custom<(...args: never[]) => unknown>(
  (value) => typeof value === 'function',
  'must be a function',
);

const OptionsSchema = z
  .object({
    id: z.string().min(1).max(128).optional(),
    accountSid: sid('AC'),
    authToken: z.string().min(1, 'must not be empty'),
    from: z.string().trim().min(1).max(64).optional(),
    messagingServiceSid: sid('MG').optional(),
    statusCallbackUrl: httpUrl.optional(),
    apiBaseUrl: httpUrl.optional(),
    delivery: z
      .object({
        timeoutMs: z.number().positive().optional(),
        retries: z.number().int().nonnegative().optional(),
        backoffLimitMs: z.number().nonnegative().optional(),
        maxRetryAfterMs: z.number().nonnegative().optional(),
        fetch: fn.optional(),
      })
      .optional(),
    publicUrl: z.union([httpUrl, fn]).optional(),
    emptyTwiml: z.boolean().optional(),
  })
  .strict();

/** Options after validation, with defaults applied. */
export interface ResolvedTwilioOptions extends Omit<TwilioOptions, 'id' | 'apiBaseUrl'> {
  id: string;
  apiBaseUrl: string;
}

/**
 * Validates factory options once, at construction. `needsSender` requires `from` or
 * `messagingServiceSid` (messaging adapters send; voice does not).
 * @throws ValidationError naming the offending option, e.g. `accountSid: must be "AC" followed by 32 hex digits`.
 */
export function resolveOptions(
  factory: string,
  options: TwilioOptions,
  defaults: { id: string; needsSender: boolean },
): ResolvedTwilioOptions {
  const parsed = OptionsSchema.safeParse(options ?? {});
  if (!parsed.success) throw ValidationError.fromZod(`${factory} options`, parsed.error);
  if (defaults.needsSender && !options.from && !options.messagingServiceSid) {
    throw new ValidationError(`${factory} options`, [
      { path: ['from'], message: 'give `from` (our number) or `messagingServiceSid`' },
    ]);
  }
  return {
    ...options,
    id: options.id ?? defaults.id,
    apiBaseUrl: (options.apiBaseUrl ?? 'https://api.twilio.com').replace(/\/+$/, ''),
  };
}

/** Twilio's REST error body (`{ code, message, more_info, status }`). */
export const TwilioErrorBody = z.object({
  code: z.union([z.number(), z.string()]).optional(),
  message: z.string().optional(),
  more_info: z.string().optional(),
  status: z.number().optional(),
});

/** Twilio's answer to `POST .../Messages.json`: the Message resource; we need its `sid`. */
export const TwilioMessageResource = z.object({ sid: z.string().min(1), status: z.string().optional() });
