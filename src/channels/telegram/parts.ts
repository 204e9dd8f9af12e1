import { ValidationError } from '../../model/errors.js';
import { type IdentityInput, normalizePhone } from '../../model/identity.js';
import type { MediaPart, Part } from '../../model/parts.js';
import type { TelegramMessage } from './schema.js';

/** The URL scheme of a Telegram file: `telegram-file:<file_id>`, sendable back as is. */
export const FILE_SCHEME = 'telegram-file:';

type TelegramFile = {
  file_id: string;
  file_size?: number | undefined;
  file_name?: string | undefined;
  mime_type?: string | undefined;
};

function media(file: TelegramFile, fallbackMime: string | undefined, caption: string | undefined): MediaPart {
  const part: MediaPart = { type: 'media', url: `${FILE_SCHEME}${file.file_id}` };
  const mimeType = file.mime_type ?? fallbackMime;
  if (mimeType) part.mimeType = mimeType;
  if (file.file_name) part.filename = file.file_name;
  if (file.file_size !== undefined) part.size = file.file_size;
  if (caption) part.caption = caption;
  return part;
}

function stickerMime(sticker: NonNullable<TelegramMessage['sticker']>): string {
  if (sticker.is_animated) return 'application/x-tgsticker';
  return sticker.is_video ? 'video/webm' : 'image/webp';
}

/** The media part of a message's file content (photo, document, audio, ...), if any. */
function mediaPart(message: TelegramMessage): MediaPart | undefined {
  const caption = message.caption;
  if (message.photo && message.photo.length > 0) {
    // Telegram sends every size it made; the largest is the original.
    const largest = message.photo.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
    return media(largest, 'image/jpeg', caption);
  }
  if (message.animation) return media(message.animation, undefined, caption);
  if (message.document) return media(message.document, undefined, caption);
  if (message.audio) return media(message.audio, undefined, caption);
  if (message.voice) return media(message.voice, 'audio/ogg', caption);
  if (message.video) return media(message.video, undefined, caption);
  if (message.video_note) return media(message.video_note, 'video/mp4', caption);
  if (message.sticker) return media(message.sticker, stickerMime(message.sticker), caption);
  return undefined;
}

/** Telegram reports phone numbers without the `+` of E.164 ("79991234567"). */
function e164(phone: string): string {
  const trimmed = phone.trim();
  return /^\d/.test(trimmed) ? `+${trimmed}` : trimmed;
}

/**
 * The shared number as a phone identity value, or undefined when it is no phone number the desk
 * accepts (Telegram's anonymous +888 numbers): the contact part still carries it.
 */
function phoneIdentity(phone: string): string | undefined {
  try {
    return normalizePhone(e164(phone));
  } catch (error) {
    if (error instanceof ValidationError) return undefined;
    throw error;
  }
}

/**
 * Maps a message's content to parts and, when a user shares their own contact card, the
 * verified phone identity it proves (Telegram checks `contact.user_id` is that account's).
 */
export function contentOf(message: TelegramMessage): { parts: Part[]; identities: IdentityInput[] } {
  const parts: Part[] = [];
  const identities: IdentityInput[] = [];
  if (message.text) parts.push({ type: 'text', text: message.text });
  const file = mediaPart(message);
  if (file) parts.push(file);
  if (message.venue) {
    const { location, title, address } = message.venue;
    parts.push({ type: 'location', ...location, name: title, address });
  } else if (message.location) {
    parts.push({
      type: 'location',
      latitude: message.location.latitude,
      longitude: message.location.longitude,
    });
  }
  if (message.contact) {
    const { contact } = message;
    const name = [contact.first_name, contact.last_name].filter(Boolean).join(' ') || contact.phone_number;
    parts.push({ type: 'contact', name, phones: [e164(contact.phone_number)] });
    if (contact.user_id !== undefined && contact.user_id === message.from?.id) {
      const phone = phoneIdentity(contact.phone_number);
      if (phone) identities.push({ kind: 'phone', value: phone, verified: true });
    }
  }
  return { parts, identities };
}
