import ky, { isHTTPError, type KyInstance } from 'ky';
import type { OutboundDelivery, SendResult } from '../../core/channel.js';
import { DeliveryError } from '../../model/errors.js';
import type { MediaPart, Part } from '../../model/parts.js';
import {
  createProviderClient,
  type DeliveryOptions,
  deliver,
  retryAfterVerdict,
} from '../shared/provider-client.js';
import { FILE_SCHEME } from './parts.js';
import { TelegramResponse } from './schema.js';

/** One Bot API call: its method name and JSON body. */
export interface BotApiCall {
  method: string;
  body: Record<string, unknown>;
}

const imageExtension = /\.(jpe?g|png|webp)(\?|#|$)/i;

/** Longest `text` of `sendMessage`: 1-4096 characters after entities parsing (Bot API, "sendMessage"). */
export const TELEGRAM_MAX_TEXT = 4096;

/**
 * Longest `caption` of `sendPhoto` and `sendDocument`: 0-1024 characters after entities parsing
 * (Bot API, "sendPhoto" / "sendDocument"). No `parse_mode` is sent, so the text is counted as is;
 * JavaScript counts UTF-16 units, never fewer than Telegram's characters.
 */
export const TELEGRAM_MAX_CAPTION = 1024;

function mediaValue(url: string): string {
  return url.startsWith(FILE_SCHEME) ? url.slice(FILE_SCHEME.length) : url;
}

function tooLong(channel: string, what: string, length: number): DeliveryError {
  return new DeliveryError(
    `${channel}: ${what} is ${length} characters; Telegram accepts at most ${TELEGRAM_MAX_TEXT} in a message`,
    { retryable: false },
  );
}

function textCall(channel: string, chatId: string, text: string, what: string): BotApiCall {
  if (text.length > TELEGRAM_MAX_TEXT) throw tooLong(channel, what, text.length);
  return { method: 'sendMessage', body: { chat_id: chatId, text } };
}

/**
 * The calls of a media part: `sendPhoto` or `sendDocument` with its caption, or, when the caption
 * is longer than a caption may be, the file without it and then the caption as a `sendMessage`.
 */
function mediaCalls(channel: string, chatId: string, part: MediaPart): BotApiCall[] {
  const isImage = part.mimeType
    ? /^image\/(jpeg|png|webp)$/i.test(part.mimeType)
    : imageExtension.test(part.url);
  const [method, field] = isImage ? ['sendPhoto', 'photo'] : ['sendDocument', 'document'];
  const file: BotApiCall = { method, body: { chat_id: chatId, [field]: mediaValue(part.url) } };
  const { caption } = part;
  if (!caption) return [file];
  if (caption.length <= TELEGRAM_MAX_CAPTION) return [{ method, body: { ...file.body, caption } }];
  return [file, textCall(channel, chatId, caption, 'the caption')];
}

function partCalls(channel: string, chatId: string, part: Part): BotApiCall[] {
  if (part.type === 'text') return [textCall(channel, chatId, part.text, 'the text')];
  if (part.type === 'media') return mediaCalls(channel, chatId, part);
  if (part.type === 'location') {
    const body = { chat_id: chatId, latitude: part.latitude, longitude: part.longitude };
    return [{ method: 'sendLocation', body }];
  }
  throw new DeliveryError(`${channel}: Telegram cannot send ${part.type} parts`, { retryable: false });
}

/**
 * The Bot API calls for one outbound message, in order: one per part (Telegram carries one kind of
 * content per message), two for a media part whose caption is longer than Telegram's 1024
 * characters (the file, then the caption as its own message). Sends to `meta.telegramChatId` when
 * the reply sets it (a group), else to the customer's private chat, whose id equals their user id.
 * Throws a final DeliveryError, before anything is sent, for parts Telegram cannot carry and for a
 * text or caption longer than the 4096 characters of a message.
 */
export function callsFor(channel: string, delivery: OutboundDelivery): BotApiCall[] {
  const override = delivery.message.meta?.telegramChatId;
  const chatId =
    typeof override === 'string' || typeof override === 'number' ? String(override) : delivery.to.value;
  if (override === undefined && delivery.to.kind !== 'telegram') {
    throw new DeliveryError(`${channel}: cannot send to a ${delivery.to.kind} identity`, {
      retryable: false,
    });
  }
  return delivery.message.parts.flatMap((part) => partCalls(channel, chatId, part));
}

/** The Bot API client: the shared retrying ky client plus Telegram's retry hint in the error body. */
export function createBotClient(channel: string, baseUrl: string, delivery: DeliveryOptions): KyInstance {
  const maxWait = delivery.maxRetryAfterMs ?? 30_000;
  const limit = delivery.retries ?? 3;
  return createProviderClient({ ...delivery, baseUrl, channel }).extend({
    hooks: {
      afterResponse: [
        // Telegram puts the flood-control wait in the body (`parameters.retry_after`), never in a
        // Retry-After header, so ky's own Retry-After handling cannot see it.
        async (_request, _options, response, state) => {
          if (response.status !== 429 || state.retryCount >= limit) return response;
          const parsed = TelegramResponse.safeParse(
            await response
              .clone()
              .json()
              .catch(() => undefined),
          );
          const waitMs = (parsed.data?.parameters?.retry_after ?? 0) * 1000;
          return waitMs > 0 && waitMs <= maxWait
            ? ky.retry({ delay: waitMs, code: 'TELEGRAM_RETRY_AFTER' })
            : response;
        },
      ],
    },
    retry: {
      // Waits longer than maxRetryAfterMs go back to the outbox with retryAfterMs instead.
      // Other statuses keep the shared rule (a Retry-After too long or unreadable).
      shouldRetry: ({ error }) =>
        isHTTPError(error) && error.response.status === 429 ? false : retryAfterVerdict(error, maxWait),
    },
  });
}

async function call(
  client: KyInstance,
  channel: string,
  token: string,
  api: BotApiCall,
  signal: AbortSignal | undefined,
): Promise<SendResult> {
  let retryAfterSec: number | undefined;
  try {
    const answer = await deliver(
      channel,
      () => client.post(`bot${token}/${api.method}`, { json: api.body, ...(signal && { signal }) }).json(),
      (body) => {
        const parsed = TelegramResponse.safeParse(body);
        retryAfterSec = parsed.data?.parameters?.retry_after;
        return { code: parsed.data?.error_code?.toString(), message: parsed.data?.description };
      },
    );
    const parsed = TelegramResponse.safeParse(answer);
    const result = parsed.data?.result;
    if (!parsed.data?.ok || !result) {
      const detail = parsed.data?.description ?? 'unexpected answer';
      throw new DeliveryError(`${channel}: ${api.method} failed: ${detail}`, {
        retryable: false,
        status: 200,
      });
    }
    return { externalId: `${result.chat.id}:${result.message_id}` };
  } catch (error) {
    if (!(error instanceof DeliveryError) || retryAfterSec === undefined) throw error;
    const { retryable, status, providerCode, cause } = error;
    throw new DeliveryError(error.message, {
      retryable,
      status,
      providerCode,
      cause,
      retryAfterMs: retryAfterSec * 1000,
    });
  }
}

/** Most messages whose sent parts {@link SentParts} remembers; the oldest is forgotten first. */
const MAX_PENDING = 1000;

/**
 * Results of the Bot API calls already made for messages whose send failed halfway, by idempotency
 * key, so that the outbox's retry resumes after them instead of sending them again. Entry `i` is
 * the result of call `i` of {@link callsFor}, which lists the same calls on every attempt of one
 * message (its parts never change): a media part sent as two calls (file, then its long caption)
 * resumes between them. Kept in memory: a retry in another process starts from the first call.
 */
export type SentParts = Map<string, SendResult[]>;

function remember(sentParts: SentParts, key: string, sent: SendResult[]): void {
  sentParts.delete(key);
  sentParts.set(key, sent);
  if (sentParts.size > MAX_PENDING) sentParts.delete(sentParts.keys().next().value!);
}

/**
 * Sends an outbound message through the Bot API, call by call (see {@link callsFor}), and returns
 * the first sent message's id (`${chat.id}:${message_id}`). Telegram has no idempotency key: see
 * the guide. When a call fails after others went through, a retryable failure keeps their results
 * in `sentParts` and the next attempt starts at the failed call.
 */
export async function sendMessage(
  client: KyInstance,
  channel: string,
  token: string,
  delivery: OutboundDelivery,
  sentParts: SentParts = new Map(),
): Promise<SendResult> {
  const calls = callsFor(channel, delivery);
  const key = delivery.idempotencyKey;
  const sent = sentParts.get(key)?.slice(0, calls.length) ?? [];
  try {
    for (const api of calls.slice(sent.length)) {
      sent.push(await call(client, channel, token, api, delivery.signal));
    }
  } catch (error) {
    if (sent.length > 0 && error instanceof DeliveryError && error.retryable) remember(sentParts, key, sent);
    else sentParts.delete(key);
    throw error;
  }
  sentParts.delete(key);
  return sent[0]!;
}
