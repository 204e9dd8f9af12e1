import ky, { isHTTPError, type KyInstance } from 'ky';
import type { OutboundDelivery, SendResult } from '../../core/channel.js';
import { DeliveryError } from '../../model/errors.js';
import type { Part } from '../../model/parts.js';
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

function mediaValue(url: string): string {
  return url.startsWith(FILE_SCHEME) ? url.slice(FILE_SCHEME.length) : url;
}

function callFor(chatId: string, part: Part): BotApiCall | undefined {
  if (part.type === 'text') return { method: 'sendMessage', body: { chat_id: chatId, text: part.text } };
  if (part.type === 'location') {
    return {
      method: 'sendLocation',
      body: { chat_id: chatId, latitude: part.latitude, longitude: part.longitude },
    };
  }
  if (part.type !== 'media') return undefined;
  const isImage = part.mimeType
    ? /^image\/(jpeg|png|webp)$/i.test(part.mimeType)
    : imageExtension.test(part.url);
  const [method, field] = isImage ? ['sendPhoto', 'photo'] : ['sendDocument', 'document'];
  const body: Record<string, unknown> = { chat_id: chatId, [field]: mediaValue(part.url) };
  if (part.caption) body.caption = part.caption;
  return { method, body };
}

/**
 * The Bot API calls for one outbound message, one per part (Telegram carries one kind of content
 * per message). Sends to `meta.telegramChatId` when the reply sets it (a group), else to the
 * customer's private chat, whose id equals their user id. Throws a final DeliveryError for parts
 * Telegram cannot carry, before anything is sent.
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
  return delivery.message.parts.map((part) => {
    const call = callFor(chatId, part);
    if (!call)
      throw new DeliveryError(`${channel}: Telegram cannot send ${part.type} parts`, { retryable: false });
    return call;
  });
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
 * Results of the parts already sent of messages whose send failed halfway, by idempotency key, so
 * that the outbox's retry resumes after them instead of sending them again. Kept in memory: a
 * retry in another process starts from the first part.
 */
export type SentParts = Map<string, SendResult[]>;

function remember(sentParts: SentParts, key: string, sent: SendResult[]): void {
  sentParts.delete(key);
  sentParts.set(key, sent);
  if (sentParts.size > MAX_PENDING) sentParts.delete(sentParts.keys().next().value!);
}

/**
 * Sends an outbound message through the Bot API, part by part, and returns the first sent
 * message's id (`${chat.id}:${message_id}`). Telegram has no idempotency key: see the guide. When a
 * part fails after others went through, a retryable failure keeps their results in `sentParts`
 * and the next attempt starts at the failed part.
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
