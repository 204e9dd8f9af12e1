import * as z from 'zod';

// Bot API types, reduced to the fields Threadline reads (https://core.telegram.org/bots/api#available-types).
// zod strips every other field, so new Bot API fields never break parsing.

const fileId = z.string().min(1).max(1024);
const optionalText = z.string().max(65_536).optional();

/** A Telegram user or bot (`User`). */
export const TelegramUser = z.object({
  id: z.number().int(),
  is_bot: z.boolean().optional(),
  first_name: z.string().max(1024).optional(),
  last_name: z.string().max(1024).optional(),
  username: z.string().max(256).optional(),
});
export type TelegramUser = z.infer<typeof TelegramUser>;

/** A chat (`Chat`): `private`, `group`, `supergroup` or `channel`. */
export const TelegramChat = z.object({
  id: z.number().int(),
  type: z.string().max(64),
  title: z.string().max(1024).optional(),
});

const File = z.object({
  file_id: fileId,
  file_size: z.number().int().nonnegative().optional(),
  file_name: z.string().max(1024).optional(),
  mime_type: z.string().max(255).optional(),
});

const PhotoSize = File.extend({
  width: z.number().int().nonnegative(),
  height: z.number().int().nonnegative(),
});

const Location = z.object({ latitude: z.number(), longitude: z.number() });

const MessageEntity = z.object({
  type: z.string().max(64),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
  url: z.string().max(4096).optional(),
});

/** A message (`Message`), with the content fields Threadline maps to parts. */
export const TelegramMessage = z.object({
  message_id: z.number().int(),
  from: TelegramUser.optional(),
  chat: TelegramChat,
  date: z.number().int().nonnegative(),
  edit_date: z.number().int().nonnegative().optional(),
  reply_to_message: z.object({ message_id: z.number().int(), chat: TelegramChat.optional() }).optional(),
  text: optionalText,
  entities: z.array(MessageEntity).max(1000).optional(),
  caption: optionalText,
  caption_entities: z.array(MessageEntity).max(1000).optional(),
  photo: z.array(PhotoSize).max(100).optional(),
  document: File.optional(),
  audio: File.optional(),
  voice: File.optional(),
  video: File.optional(),
  video_note: File.optional(),
  animation: File.optional(),
  sticker: File.extend({
    emoji: z.string().max(64).optional(),
    is_animated: z.boolean().optional(),
    is_video: z.boolean().optional(),
  }).optional(),
  location: Location.optional(),
  venue: z
    .object({ location: Location, title: z.string().max(1024), address: z.string().max(2048) })
    .optional(),
  contact: z
    .object({
      phone_number: z.string().max(64),
      first_name: z.string().max(1024),
      last_name: z.string().max(1024).optional(),
      user_id: z.number().int().optional(),
    })
    .optional(),
});
export type TelegramMessage = z.infer<typeof TelegramMessage>;

/** An inline keyboard button press (`CallbackQuery`). */
export const TelegramCallbackQuery = z.object({
  id: z.string().min(1).max(256),
  from: TelegramUser,
  message: z.object({ message_id: z.number().int(), chat: TelegramChat }).optional(),
  data: z.string().max(256).optional(),
});
export type TelegramCallbackQuery = z.infer<typeof TelegramCallbackQuery>;

/** One webhook delivery (`Update`): `update_id` plus at most one of the optional fields. */
export const TelegramUpdate = z.object({
  update_id: z.number().int(),
  message: TelegramMessage.optional(),
  edited_message: TelegramMessage.optional(),
  callback_query: TelegramCallbackQuery.optional(),
});
export type TelegramUpdate = z.infer<typeof TelegramUpdate>;

/** The Bot API's answer to every method call. */
export const TelegramResponse = z.object({
  ok: z.boolean(),
  result: z.object({ message_id: z.number().int(), chat: z.object({ id: z.number().int() }) }).optional(),
  error_code: z.number().int().optional(),
  description: z.string().optional(),
  parameters: z.object({ retry_after: z.number().nonnegative().optional() }).optional(),
});
export type TelegramResponse = z.infer<typeof TelegramResponse>;
