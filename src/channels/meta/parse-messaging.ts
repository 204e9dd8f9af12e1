import { ValidationError } from '../../model/errors.js';
import type { InboundEvent, InboundMessage } from '../../model/inbound.js';
import type { Part } from '../../model/parts.js';
import type { Json } from '../../model/records.js';
import { BatchReader } from './batch.js';
import {
  type MessagingAttachment,
  MessagingEntry,
  MessagingEnvelope,
  MessagingEvent,
  parseAt,
  parseJsonBody,
} from './schema.js';

/** The two channel kinds that share the Messenger Platform webhook format. */
export type MessagingKind = 'messenger' | 'instagram';
type Meta = Record<string, Json>;

const objectOf: Record<MessagingKind, string> = { messenger: 'page', instagram: 'instagram' };
/** Sticker ids of Messenger's thumbs-up "like" button (small, medium, large). */
const likeStickers = new Set(['369239263222822', '369239343222814', '369239383222810']);
const mediaAttachments = new Set(['image', 'video', 'audio', 'file']);
const eventNoun: Record<MessagingKind, string> = {
  messenger: 'Messenger event',
  instagram: 'Instagram event',
};

/**
 * Turns a Messenger (`object: page`) or Instagram (`object: instagram`) webhook body into
 * events. Messages, postbacks and reactions become `message` events; `delivery.mids[]` become
 * `delivered` statuses; Instagram `read.mid` becomes a `read` status; `is_echo` messages become
 * `echo` events (never new messages). Messenger read receipts carry only a watermark (a time,
 * no message id), so they are ignored. Other events (optins, referrals, handovers) yield nothing.
 * A `messaging[]` event or an entry that cannot be read yields a `skipped` event naming the
 * field, and its valid siblings are still read (see `BatchReader`).
 * @throws ValidationError naming the field path when the body is malformed as a whole, or when
 *   not one of its events could be read.
 */
export function parseMessagingWebhook(channel: string, kind: MessagingKind, body: string): InboundEvent[] {
  const what = `${channel} webhook`;
  const envelope = parseAt(what, MessagingEnvelope, parseJsonBody(what, body), []);
  if (envelope.object !== objectOf[kind]) {
    throw new ValidationError(what, [
      { path: ['object'], message: `expected "${objectOf[kind]}" for a ${kind} channel` },
    ]);
  }
  const batch = new BatchReader(what);
  envelope.entry.forEach((raw, i) => {
    const entry = batch.container('webhook entry', ['entry', i], MessagingEntry, raw);
    entry?.messaging.forEach((event, k) => {
      batch.item(eventNoun[kind], ['entry', i, 'messaging', k], () =>
        eventsOf(channel, kind, parseAt('event', MessagingEvent, event, [])),
      );
    });
  });
  return batch.finish();
}

function eventsOf(channel: string, kind: MessagingKind, event: MessagingEvent): InboundEvent[] {
  const { message, postback, reaction, delivery, read } = event;
  if (message?.is_echo) {
    const echo: InboundEvent = { type: 'echo', channel, externalId: message.mid };
    if (message.metadata) echo.idempotencyKey = message.metadata;
    return [echo];
  }
  if (message) return [{ type: 'message', message: messageOf(channel, kind, event, message) }];
  if (postback) return [{ type: 'message', message: postbackOf(channel, kind, event, postback) }];
  if (reaction) return [{ type: 'message', message: reactionOf(channel, kind, event, reaction) }];
  if (delivery) {
    const at = delivery.watermark ?? event.timestamp;
    return (delivery.mids ?? []).map((externalId) => ({
      type: 'status',
      status: { channel, externalId, status: 'delivered', at },
    }));
  }
  if (read?.mid)
    return [
      { type: 'status', status: { channel, externalId: read.mid, status: 'read', at: event.timestamp } },
    ];
  return [];
}

function inbound(
  channel: string,
  kind: MessagingKind,
  event: MessagingEvent,
  externalId: string,
  parts: Part[],
  meta: Meta,
): InboundMessage {
  if (event.recipient) meta.recipientId = event.recipient.id;
  return {
    channel,
    channelKind: kind,
    from: { kind, value: event.sender.id, verified: true },
    parts,
    externalId,
    createdAt: event.timestamp,
    meta: { [kind]: meta },
  };
}

type MessageBody = NonNullable<MessagingEvent['message']>;

function messageOf(
  channel: string,
  kind: MessagingKind,
  event: MessagingEvent,
  message: MessageBody,
): InboundMessage {
  const meta: Meta = {};
  if (message.is_deleted) {
    // Instagram "unsent": the original keeps its id, so the notice gets its own dedupe key.
    meta.unsent = true;
    const notice = inbound(
      channel,
      kind,
      event,
      `${message.mid}#unsent`,
      [text('(the customer unsent a message)')],
      meta,
    );
    notice.replyTo = message.mid;
    return notice;
  }
  const parts: Part[] = message.text ? [text(message.text)] : [];
  for (const attachment of message.attachments ?? []) parts.push(...attachmentParts(attachment, meta));
  if (message.attachments?.length) meta.attachmentTypes = message.attachments.map((a) => a.type);
  if (message.quick_reply) meta.quickReplyPayload = message.quick_reply.payload;
  if (message.reply_to?.story)
    meta.storyReply = { id: message.reply_to.story.id ?? null, url: message.reply_to.story.url ?? null };
  if (parts.length === 0) parts.push(text(`(unsupported ${kind} message)`));
  const result = inbound(channel, kind, event, message.mid, parts.slice(0, 100), meta);
  if (message.reply_to?.mid) result.replyTo = message.reply_to.mid;
  return result;
}

function text(value: string): Part {
  return { type: 'text', text: value };
}

function attachmentParts(attachment: MessagingAttachment, meta: Meta): Part[] {
  const { type, payload } = attachment;
  const url = payload?.url ?? attachment.url;
  if (payload?.sticker_id !== undefined) {
    meta.stickerId = String(payload.sticker_id);
    if (likeStickers.has(meta.stickerId)) meta.like = true;
  }
  if (type === 'location' && payload?.coordinates) {
    const { lat, long } = payload.coordinates;
    const part: Part = { type: 'location', latitude: lat, longitude: long };
    if (attachment.title) part.name = attachment.title;
    return [part];
  }
  if (type === 'like_heart') return [text('❤️')];
  if (type === 'fallback')
    return [text([attachment.title ?? payload?.title, url].filter(Boolean).join(' ') || '(shared link)')];
  const parts: Part[] = [];
  if (type === 'story_mention') parts.push(text('(mentioned you in their story)'));
  else if (!mediaAttachments.has(type)) parts.push(text(`(${type} attachment)`));
  if (url) parts.push({ type: 'media', url });
  else if (parts.length === 0) parts.push(text(`(${type} attachment without a URL)`));
  return parts;
}

type Postback = NonNullable<MessagingEvent['postback']>;

function postbackOf(
  channel: string,
  kind: MessagingKind,
  event: MessagingEvent,
  postback: Postback,
): InboundMessage {
  const meta: Meta = { postback: true };
  if (postback.payload) meta.postbackPayload = postback.payload;
  if (postback.referral) {
    const referral: Meta = {};
    for (const [key, value] of Object.entries(postback.referral))
      if (value !== undefined) referral[key] = value;
    meta.referral = referral;
  }
  // Postbacks may carry no mid: sender + timestamp is stable across Meta's redeliveries.
  const externalId = postback.mid ?? `postback:${event.sender.id}:${event.timestamp}`;
  const label = postback.title || postback.payload || '(button)';
  return inbound(channel, kind, event, externalId, [text(label)], meta);
}

type Reaction = NonNullable<MessagingEvent['reaction']>;

function reactionOf(
  channel: string,
  kind: MessagingKind,
  event: MessagingEvent,
  reaction: Reaction,
): InboundMessage {
  const removed = reaction.action === 'unreact';
  const meta: Meta = {};
  if (reaction.reaction) meta.reaction = reaction.reaction;
  if (removed) meta.reactionRemoved = true;
  const emoji = removed ? '' : (reaction.emoji ?? '');
  const externalId = `reaction:${reaction.mid}:${event.sender.id}:${event.timestamp}`;
  const part: Part = { type: 'reaction', emoji, targetExternalId: reaction.mid };
  return inbound(channel, kind, event, externalId, [part], meta);
}
