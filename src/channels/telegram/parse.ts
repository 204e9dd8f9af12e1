import { ValidationError } from '../../model/errors.js';
import type { InboundEvent, InboundMessage } from '../../model/inbound.js';
import type { Json } from '../../model/records.js';
import { contentOf } from './parts.js';
import {
  type TelegramCallbackQuery,
  type TelegramMessage,
  TelegramUpdate,
  type TelegramUser,
} from './schema.js';

/** What parsing needs to know about the adapter. */
export interface ParseContext {
  channel: string;
  acceptGroups: boolean;
}

function displayName(user: TelegramUser): string | undefined {
  const name = [user.first_name, user.last_name].filter(Boolean).join(' ').trim();
  return name || user.username || undefined;
}

function sender(
  channel: string,
  user: TelegramUser,
): Pick<InboundMessage, 'channel' | 'channelKind' | 'from' | 'displayName'> {
  const base = {
    channel,
    channelKind: 'telegram' as const,
    from: { kind: 'telegram' as const, value: String(user.id), verified: true },
  };
  const name = displayName(user);
  return name ? { ...base, displayName: name } : base;
}

function fromMessage(
  context: ParseContext,
  updateId: number,
  message: TelegramMessage,
  edit: boolean,
): InboundEvent[] {
  const { from, chat } = message;
  // Channel posts and anonymous group admins have no sender: nobody to attach a customer to.
  if (!from || from.is_bot) return [];
  if (chat.type !== 'private' && !context.acceptGroups) return [];
  const { parts, identities } = contentOf(message);
  // Service messages (members joined, pinned, ...) and unsupported content (polls, dice) carry no parts.
  if (parts.length === 0) return [];
  const id = `${chat.id}:${message.message_id}`;
  const meta: Record<string, Json> = {
    telegramChatId: chat.id,
    telegramChatType: chat.type,
    telegramUpdateId: updateId,
  };
  if (from.username) meta.telegramUsername = from.username;
  if (chat.title) meta.telegramChatTitle = chat.title;
  if (message.entities) meta.telegramEntities = message.entities;
  if (message.caption_entities) meta.telegramCaptionEntities = message.caption_entities;
  const inbound: InboundMessage = {
    ...sender(context.channel, from),
    parts,
    externalId: id,
    createdAt: (edit && message.edit_date ? message.edit_date : message.date) * 1000,
    meta,
  };
  if (edit) {
    inbound.externalId = `${id}:edit:${message.edit_date ?? message.date}`;
    meta.editOf = id;
  }
  if (identities.length > 0) inbound.identities = identities;
  const reply = message.reply_to_message;
  if (reply) inbound.replyTo = `${reply.chat?.id ?? chat.id}:${reply.message_id}`;
  return [{ type: 'message', message: inbound }];
}

function fromCallback(context: ParseContext, updateId: number, query: TelegramCallbackQuery): InboundEvent[] {
  // A button press without data (a game button) says nothing a support agent can read.
  if (!query.data || query.from.is_bot) return [];
  const chat = query.message?.chat;
  if (chat && chat.type !== 'private' && !context.acceptGroups) return [];
  const inbound: InboundMessage = {
    ...sender(context.channel, query.from),
    text: query.data,
    externalId: `callback:${query.id}`,
    meta: { telegramCallbackQueryId: query.id, telegramUpdateId: updateId },
  };
  if (query.message && chat) {
    inbound.replyTo = `${chat.id}:${query.message.message_id}`;
    (inbound.meta as Record<string, Json>).telegramChatId = chat.id;
  }
  return [{ type: 'message', message: inbound }];
}

/** Parses a raw Update body as JSON, or throws a ValidationError. */
export function readUpdate(body: string): TelegramUpdate {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (cause) {
    throw new ValidationError('telegram update', [{ path: [], message: 'body is not JSON' }], { cause });
  }
  const result = TelegramUpdate.safeParse(json);
  if (!result.success) throw ValidationError.fromZod('telegram update', result.error);
  return result.data;
}

/**
 * Turns one Bot API Update into inbound events: `message` and `edited_message` (an edit becomes
 * a new message whose `meta.editOf` names the original), `callback_query` with data (a text
 * message). Other update kinds (`channel_post`, `inline_query`, `poll`, ...) yield no events.
 */
export function parseUpdate(context: ParseContext, body: string): InboundEvent[] {
  const update = readUpdate(body);
  if (update.message) return fromMessage(context, update.update_id, update.message, false);
  if (update.edited_message) return fromMessage(context, update.update_id, update.edited_message, true);
  if (update.callback_query) return fromCallback(context, update.update_id, update.callback_query);
  return [];
}
