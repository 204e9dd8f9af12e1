import type { OutboundDelivery, SendResult } from '../../core/channel.js';
import type { MediaPart, Part } from '../../model/parts.js';
import { composeParts, createGraphPost, type GraphTarget, requireMessageId, unsendable } from './graph.js';

type Body = Record<string, unknown>;

/** WhatsApp's longest text message body. */
export const WHATSAPP_MAX_TEXT = 4096;

const extensionTypes: Record<string, string> = {
  jpg: 'image',
  jpeg: 'image',
  png: 'image',
  webp: 'sticker',
  mp4: 'video',
  '3gp': 'video',
  mp3: 'audio',
  ogg: 'audio',
  opus: 'audio',
  aac: 'audio',
  amr: 'audio',
  m4a: 'audio',
};

/** The WhatsApp message type for a media part: by MIME type, else by the URL's extension. */
function mediaType(part: MediaPart): string {
  const mime = part.mimeType?.toLowerCase();
  if (mime === 'image/webp') return 'sticker';
  const family = mime?.split('/')[0];
  if (family === 'image' || family === 'audio' || family === 'video') return family;
  if (mime) return 'document';
  const extension = /\.([a-z0-9]{2,4})(?:[?#].*)?$/i.exec(part.url)?.[1]?.toLowerCase();
  return (extension && extensionTypes[extension]) || 'document';
}

function mediaObject(part: MediaPart, type: string, caption: string | undefined): Body {
  // `whatsapp-media:<id>` is how parse names a media id received from WhatsApp: resend by id.
  const object: Body = part.url.startsWith('whatsapp-media:')
    ? { id: part.url.slice('whatsapp-media:'.length) }
    : { link: part.url };
  const text = part.caption ?? caption;
  if (text && (type === 'image' || type === 'video' || type === 'document')) object.caption = text;
  if (part.filename && type === 'document') object.filename = part.filename;
  return object;
}

/**
 * A template body parameter as Graph accepts it: it refuses one with a newline, a tab or more
 * than four consecutive spaces (error 132018), so each such run becomes one space.
 */
function templateParam(value: string): string {
  return value.replace(/\s*[\n\r\t\v\f]\s*| {5,}/g, ' ');
}

/** The type-specific fields for one non-text part; `text` becomes a caption where one fits. */
function partFields(channel: string, part: Part, text: string | undefined): Body {
  switch (part.type) {
    case 'media': {
      const type = mediaType(part);
      const object = mediaObject(part, type, text);
      if ((text && object.caption !== text) || (part.caption && !object.caption))
        throw unsendable(channel, `a ${type} cannot carry the text as a caption`);
      return { type, [type]: object };
    }
    case 'location': {
      const { latitude, longitude, name, address } = part;
      return { type: 'location', location: { latitude, longitude, name, address } };
    }
    case 'contact': {
      const phones = (part.phones ?? []).map((phone) => ({ phone }));
      const emails = (part.emails ?? []).map((email) => ({ email }));
      const contact = { name: { formatted_name: part.name, first_name: part.name }, phones, emails };
      return { type: 'contacts', contacts: [contact] };
    }
    case 'template': {
      const template: Body = { name: part.name, language: { code: part.language } };
      if (part.params?.length) {
        const parameters = part.params.map((value) => ({ type: 'text', text: templateParam(value) }));
        template.components = [{ type: 'body', parameters }];
      }
      return { type: 'template', template };
    }
    case 'reaction':
      if (!part.targetExternalId) throw unsendable(channel, 'a reaction needs targetExternalId');
      return { type: 'reaction', reaction: { message_id: part.targetExternalId, emoji: part.emoji } };
    default:
      throw unsendable(channel, `WhatsApp cannot carry a ${part.type} part`);
  }
}

/** The JSON body of `POST /{version}/{phoneNumberId}/messages` for one delivery. */
export function whatsappBody(channel: string, delivery: OutboundDelivery): Body {
  const { text, other } = composeParts(channel, delivery.message.parts);
  let fields: Body;
  if (other) {
    if (text && other.type !== 'media') throw unsendable(channel, `text cannot go with a ${other.type} part`);
    fields = partFields(channel, other, text);
  } else {
    if (!text) throw unsendable(channel, 'the message has no parts');
    if (text.length > WHATSAPP_MAX_TEXT)
      throw unsendable(channel, `text is longer than ${WHATSAPP_MAX_TEXT} characters`);
    fields = { type: 'text', text: { body: text, preview_url: false } };
  }
  const body: Body = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: delivery.to.value.replace(/^\+/, ''),
    ...fields,
  };
  if (delivery.message.replyTo) body.context = { message_id: delivery.message.replyTo };
  // Echoed back in status webhooks; lets a host trace a wamid to the outbox entry.
  body.biz_opaque_callback_data = delivery.idempotencyKey.slice(0, 512);
  return body;
}

/** Makes the `send` of the WhatsApp Cloud adapter. */
export function whatsappSender(
  target: GraphTarget,
  phoneNumberId: string,
): (delivery: OutboundDelivery) => Promise<SendResult> {
  const post = createGraphPost(target);
  return async (delivery) => {
    const body = whatsappBody(target.channel, delivery);
    const answer = (await post(`${phoneNumberId}/messages`, body, delivery.signal)) as {
      messages?: { id?: unknown }[];
    } | null;
    return { externalId: requireMessageId(target.channel, answer?.messages?.[0]?.id) };
  };
}
