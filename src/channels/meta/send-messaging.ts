import type { OutboundDelivery, SendResult } from '../../core/channel.js';
import type { MediaPart, Part, TemplatePart } from '../../model/parts.js';
import { composeParts, createGraphPost, type GraphTarget, requireMessageId, unsendable } from './graph.js';
import type { MessagingKind } from './parse-messaging.js';

type Body = Record<string, unknown>;

/** Longest text Meta accepts: Messenger 2000 characters, Instagram 1000 bytes. */
export const MESSAGING_MAX_TEXT: Record<MessagingKind, number> = { messenger: 2000, instagram: 1000 };

/**
 * Message tags that allow a send outside the 24-hour window. A `template` part names one;
 * `HUMAN_AGENT` (7 days, needs the Human Agent permission) is the one for support replies.
 */
export const MESSAGE_TAGS: Record<MessagingKind, readonly string[]> = {
  messenger: ['HUMAN_AGENT', 'ACCOUNT_UPDATE', 'CONFIRMED_EVENT_UPDATE', 'POST_PURCHASE_UPDATE'],
  instagram: ['HUMAN_AGENT'],
};

function attachmentType(part: MediaPart): string {
  const family = part.mimeType?.toLowerCase().split('/')[0];
  if (family === 'image' || family === 'audio' || family === 'video') return family;
  if (!part.mimeType && /\.(jpe?g|png|gif|webp)(?:[?#].*)?$/i.test(part.url)) return 'image';
  return 'file';
}

/** `messaging_type` and `tag` for a message: a template part names a message tag. */
function tagOf(channel: string, kind: MessagingKind, template: TemplatePart): Body {
  const tag = template.name.toUpperCase();
  if (!MESSAGE_TAGS[kind].includes(tag)) {
    throw unsendable(
      channel,
      `${template.name} is not a ${kind} message tag (use ${MESSAGE_TAGS[kind].join(', ')})`,
    );
  }
  return { messaging_type: 'MESSAGE_TAG', tag };
}

function messageOf(
  channel: string,
  kind: MessagingKind,
  text: string | undefined,
  other: Part | undefined,
): Body {
  if (other?.type === 'media') {
    if (text || other.caption)
      throw unsendable(channel, `${kind} sends text and an attachment as two messages; split it`);
    return { attachment: { type: attachmentType(other), payload: { url: other.url, is_reusable: true } } };
  }
  if (other && other.type !== 'template')
    throw unsendable(channel, `${kind} cannot carry a ${other.type} part`);
  // A tagged message's text is its text parts, else the template part's params.
  const body = text ?? (other?.type === 'template' ? other.params?.join('\n') : undefined);
  if (!body) throw unsendable(channel, 'the message has no text');
  // Instagram counts its limit in UTF-8 bytes, Messenger in characters.
  const length = kind === 'instagram' ? new TextEncoder().encode(body).byteLength : body.length;
  if (length > MESSAGING_MAX_TEXT[kind]) {
    const unit = kind === 'instagram' ? 'bytes' : 'characters';
    throw unsendable(channel, `text is longer than ${MESSAGING_MAX_TEXT[kind]} ${unit}`);
  }
  return { text: body };
}

/** The JSON body of `POST /{version}/me/messages` (or `/{pageId}/messages`) for one delivery. */
export function messagingBody(channel: string, kind: MessagingKind, delivery: OutboundDelivery): Body {
  const { text, other } = composeParts(channel, delivery.message.parts);
  const message = messageOf(channel, kind, text, other);
  // Meta echoes `metadata` back in the message_echoes webhook: the echo is matched by it.
  message.metadata = delivery.idempotencyKey.slice(0, 1000);
  const type = other?.type === 'template' ? tagOf(channel, kind, other) : { messaging_type: 'RESPONSE' };
  return { recipient: { id: delivery.to.value }, ...type, message };
}

/** Makes the `send` of the Messenger or Instagram adapter. */
export function messagingSender(
  target: GraphTarget,
  kind: MessagingKind,
  pageId: string | undefined,
): (delivery: OutboundDelivery) => Promise<SendResult> {
  const post = createGraphPost(target);
  const path = `${pageId ?? 'me'}/messages`;
  return async (delivery) => {
    const body = messagingBody(target.channel, kind, delivery);
    const answer = (await post(path, body, delivery.signal)) as { message_id?: unknown } | null;
    return { externalId: requireMessageId(target.channel, answer?.message_id) };
  };
}
