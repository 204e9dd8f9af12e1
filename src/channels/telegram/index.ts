import * as z from 'zod';
import type { ChannelAdapter, ChannelCapabilities, RawRequest, WebhookReply } from '../../core/channel.js';
import { ValidationError } from '../../model/errors.js';
import type { InboundEvent } from '../../model/inbound.js';
import type { DeliveryOptions } from '../shared/provider-client.js';
import { assertSignature } from '../shared/signature.js';
import { parseUpdate } from './parse.js';
import { createBotClient, type SentParts, sendMessage, TELEGRAM_MAX_TEXT } from './send.js';

export { FILE_SCHEME } from './parts.js';

/** Options of {@link telegram}. */
export interface TelegramOptions {
  /** Adapter id, the last segment of the webhook URL. Default `telegram`. */
  id?: string;
  /** The bot token from \@BotFather (`123456:ABC-...`). */
  botToken: string;
  /**
   * The `secret_token` given to `setWebhook`: 1-256 characters of `A-Z a-z 0-9 _ -`. Telegram
   * sends it in `X-Telegram-Bot-Api-Secret-Token` with every update.
   */
  secretToken: string;
  /** Bot API base URL. Default `https://api.telegram.org` (point it at a local Bot API server or a test). */
  apiBaseUrl?: string;
  /**
   * Accept messages from group and supergroup chats (the sender still becomes the customer,
   * `meta.telegramChatId` names the group). Default false: only private chats with the bot.
   */
  acceptGroups?: boolean;
  /** Timeouts and retries of outbound calls. */
  delivery?: DeliveryOptions;
}

const Options = z.object({
  id: z.string().min(1).max(128).optional(),
  botToken: z.string().regex(/^\d+:[\w-]+$/, 'expected a bot token like 123456:ABC-DEF'),
  secretToken: z.string().regex(/^[\w-]{1,256}$/, 'expected 1-256 characters of A-Z, a-z, 0-9, _ and -'),
  apiBaseUrl: z.url().optional(),
  acceptGroups: z.boolean().optional(),
  delivery: z.looseObject({}).optional(),
});

const capabilities: ChannelCapabilities = {
  parts: ['text', 'media', 'location'],
  maxTextLength: TELEGRAM_MAX_TEXT,
  recipientKinds: ['telegram'],
};

const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

function callbackAnswer(events: InboundEvent[]): WebhookReply {
  const first = events[0];
  const queryId = first?.type === 'message' ? first.message.meta?.telegramCallbackQueryId : undefined;
  if (typeof queryId !== 'string') return { status: 200 };
  // The Bot API accepts one method call as the webhook's answer: this stops the button's spinner.
  const body = JSON.stringify({ method: 'answerCallbackQuery', callback_query_id: queryId });
  return { status: 200, body, contentType: 'application/json' };
}

/**
 * A Telegram bot channel (kind `telegram`): receives Bot API webhook updates and sends through
 * `sendMessage`, `sendPhoto`, `sendDocument` and `sendLocation`. A caption longer than the 1024
 * characters Telegram allows on a file goes out as its own message right after the file.
 *
 * Customers are identified by their Telegram user id (`{ kind: 'telegram', value: '12345' }`,
 * verified); a contact card the user shares of themselves adds a verified phone identity.
 *
 * @throws ValidationError when an option is missing or malformed.
 * @example
 * ```ts
 * const channel = telegram({ botToken: process.env.TG_TOKEN!, secretToken: process.env.TG_SECRET! });
 * ```
 */
export function telegram(options: TelegramOptions): ChannelAdapter {
  const checked = Options.safeParse(options);
  if (!checked.success) throw ValidationError.fromZod('telegram options', checked.error);
  const id = options.id ?? 'telegram';
  const baseUrl = options.apiBaseUrl ?? 'https://api.telegram.org';
  const client = createBotClient(id, baseUrl, options.delivery ?? {});
  const context = { channel: id, acceptGroups: options.acceptGroups ?? false };
  const sentParts: SentParts = new Map();
  return {
    id,
    kind: 'telegram',
    capabilities,
    contentTypes: ['application/json'],
    async verify(raw: RawRequest): Promise<void> {
      assertSignature(id, raw.headers[SECRET_HEADER], [options.secretToken]);
    },
    parse: (raw: RawRequest) => parseUpdate(context, raw.body),
    acknowledge: (_raw: RawRequest, events: InboundEvent[]) => callbackAnswer(events),
    send: (delivery) => sendMessage(client, id, options.botToken, delivery, sentParts),
  };
}

export type { DeliveryOptions } from '../shared/provider-client.js';
