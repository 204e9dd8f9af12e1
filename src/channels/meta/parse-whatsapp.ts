import { ValidationError } from '../../model/errors.js';
import type { InboundEvent, InboundMessage, StatusUpdate } from '../../model/inbound.js';
import type { ContactPart, Part } from '../../model/parts.js';
import type { Json } from '../../model/records.js';
import {
  parseAt,
  parseJsonBody,
  type WaContactCard,
  WaEnvelope,
  type WaMedia,
  WaMessage,
  WaStatus,
  WaValue,
} from './schema.js';

type Path = PropertyKey[];
type Meta = Record<string, Json>;

const mediaTypes = new Set(['image', 'audio', 'video', 'document', 'sticker']);
/** WhatsApp statuses reported; a Map, so a status named `constructor` finds nothing on Object.prototype. */
const statusMap = new Map<string, StatusUpdate['status']>([
  ['sent', 'sent'],
  ['delivered', 'delivered'],
  ['read', 'read'],
  ['failed', 'failed'],
]);

/**
 * Turns a WhatsApp Cloud API webhook body into events: one `message` event per
 * `value.messages[]` and one `status` event per `value.statuses[]` with a known status
 * (sent, delivered, read, failed). Changes of fields other than `messages` yield nothing.
 * @throws ValidationError naming the field path when the body is not a WhatsApp webhook.
 */
export function parseWhatsAppWebhook(channel: string, body: string): InboundEvent[] {
  const what = `${channel} webhook`;
  const envelope = parseAt(what, WaEnvelope, parseJsonBody(what, body), []);
  const events: InboundEvent[] = [];
  envelope.entry.forEach((entry, i) => {
    entry.changes.forEach((change, j) => {
      if (change.field !== 'messages') return;
      const path: Path = ['entry', i, 'changes', j, 'value'];
      const value = parseAt(what, WaValue, change.value, path);
      (value.messages ?? []).forEach((raw, k) => {
        const message = parseAt(what, WaMessage, raw, [...path, 'messages', k]);
        events.push({
          type: 'message',
          message: toInbound(channel, message, value, [...path, 'messages', k]),
        });
      });
      (value.statuses ?? []).forEach((raw, k) => {
        const status = toStatus(channel, parseAt(what, WaStatus, raw, [...path, 'statuses', k]));
        if (status) events.push({ type: 'status', status });
      });
    });
  });
  return events;
}

function toInbound(channel: string, message: WaMessage, value: WaValue, path: Path): InboundMessage {
  const waId = message.from.replace(/^\+/, '');
  const { parts, meta } = partsOf(channel, message, path);
  const phoneNumberId = value.metadata?.phone_number_id;
  if (phoneNumberId) meta.phoneNumberId = phoneNumberId;
  if (message.context?.forwarded) meta.forwarded = true;
  if (message.context?.frequently_forwarded) meta.frequentlyForwarded = true;
  const inbound: InboundMessage = {
    channel,
    channelKind: 'whatsapp',
    from: { kind: 'whatsapp', value: `+${waId}`, verified: true },
    parts,
    externalId: message.id,
    createdAt: Number(message.timestamp) * 1000,
    meta: { whatsapp: meta },
  };
  const displayName = profileName(value, waId);
  if (displayName) inbound.displayName = displayName;
  if (message.context?.id) inbound.replyTo = message.context.id;
  return inbound;
}

function profileName(value: WaValue, waId: string): string | undefined {
  const contacts = value.contacts ?? [];
  const contact = contacts.find((c) => c.wa_id === waId) ?? (contacts.length === 1 ? contacts[0] : undefined);
  const name = contact?.profile?.name?.trim();
  return name ? name : undefined;
}

function required<T>(channel: string, value: T | undefined, path: Path, type: string): T {
  if (value === undefined) {
    throw new ValidationError(`${channel} webhook`, [
      { path, message: `required for a message of type ${type}` },
    ]);
  }
  return value;
}

/** A non-empty text part: the model forbids empty text, so an empty string becomes `fallback`. */
function textPart(text: string | undefined, fallback: string): Part {
  return { type: 'text', text: text ? text : fallback };
}

function partsOf(channel: string, message: WaMessage, path: Path): { parts: Part[]; meta: Meta } {
  const { type } = message;
  const meta: Meta = { type };
  const need = <K extends keyof WaMessage>(key: K) =>
    required(channel, message[key], [...path, key], type) as NonNullable<WaMessage[K]>;
  if (mediaTypes.has(type)) {
    const key = type as 'image' | 'audio' | 'video' | 'document' | 'sticker';
    return { parts: [mediaPart(channel, need(key), [...path, key], type)], meta };
  }
  switch (type) {
    case 'text':
      return { parts: [textPart(need('text').body, '(empty message)')], meta };
    case 'location': {
      const { latitude, longitude, name, address } = need('location');
      const part: Part = { type: 'location', latitude, longitude };
      if (name) part.name = name;
      if (address) part.address = address;
      return { parts: [part], meta };
    }
    case 'contacts': {
      const parts = need('contacts').map(contactPart);
      return { parts: parts.length ? parts : [textPart(undefined, '(empty contact card)')], meta };
    }
    case 'interactive':
      return interactiveParts(need('interactive'), meta);
    case 'button': {
      const button = need('button');
      if (button.payload) meta.buttonPayload = button.payload;
      return { parts: [textPart(button.text, button.payload || '(button)')], meta };
    }
    case 'reaction': {
      const { message_id, emoji = '' } = need('reaction');
      // An empty emoji is WhatsApp's way of saying the customer removed their reaction.
      if (emoji === '') meta.reactionRemoved = true;
      return { parts: [{ type: 'reaction', emoji, targetExternalId: message_id }], meta };
    }
    default:
      return unsupportedParts(message, meta);
  }
}

function mediaPart(channel: string, media: WaMedia, path: Path, type: string): Part {
  const url = media.url ?? media.link ?? (media.id ? `whatsapp-media:${media.id}` : undefined);
  const part: Part = { type: 'media', url: required(channel, url, [...path, 'id'], type) };
  const mimeType = media.mime_type ?? (type === 'sticker' ? 'image/webp' : undefined);
  if (mimeType) part.mimeType = mimeType;
  if (media.caption) part.caption = media.caption;
  if (media.filename) part.filename = media.filename;
  return part;
}

function contactPart(card: WaContactCard): ContactPart {
  const phones = (card.phones ?? [])
    .map((p) => p.phone ?? (p.wa_id ? `+${p.wa_id}` : undefined))
    .filter((p): p is string => Boolean(p));
  const emails = (card.emails ?? []).map((e) => e.email).filter((e): e is string => Boolean(e));
  const name =
    card.name?.formatted_name?.trim() || card.name?.first_name?.trim() || phones[0] || emails[0] || 'Contact';
  const part: ContactPart = { type: 'contact', name };
  if (phones.length) part.phones = phones;
  if (emails.length) part.emails = emails;
  return part;
}

function interactiveParts(
  interactive: NonNullable<WaMessage['interactive']>,
  meta: Meta,
): { parts: Part[]; meta: Meta } {
  meta.interactiveType = interactive.type;
  const reply = interactive.button_reply ?? interactive.list_reply;
  if (reply) {
    meta.replyId = reply.id;
    if (reply.description) meta.replyDescription = reply.description;
    return { parts: [textPart(reply.title, reply.id || '(reply)')], meta };
  }
  const flow = interactive.nfm_reply;
  if (flow) {
    if (flow.name) meta.flowName = flow.name;
    if (flow.response_json) meta.flowResponse = flow.response_json;
    return { parts: [textPart(flow.body, '(flow response)')], meta };
  }
  return { parts: [textPart(undefined, `(unsupported interactive reply: ${interactive.type})`)], meta };
}

/** Types Threadline does not model (unsupported, order, system, ...) become a describing text part. */
function unsupportedParts(message: WaMessage, meta: Meta): { parts: Part[]; meta: Meta } {
  const kind = message.unsupported?.type ?? message.type;
  const error = message.errors?.[0];
  if (error?.code !== undefined) meta.errorCode = String(error.code);
  const reason = error?.title ?? error?.message;
  meta.unsupported = kind;
  const text = `(unsupported WhatsApp message: ${kind}${reason ? ` - ${reason}` : ''})`;
  return { parts: [textPart(undefined, text)], meta };
}

function toStatus(channel: string, status: WaStatus): StatusUpdate | undefined {
  const mapped = statusMap.get(status.status);
  if (!mapped) return undefined;
  const update: StatusUpdate = { channel, externalId: status.id, status: mapped };
  if (status.timestamp !== undefined) update.at = Number(status.timestamp) * 1000;
  const error = status.errors?.[0];
  if (mapped === 'failed' || error) {
    const title = error?.title ?? error?.message ?? 'delivery failed';
    const details = error?.error_data?.details;
    update.error = { message: details && details !== title ? `${title}: ${details}` : title };
    if (error?.code !== undefined) update.error.code = String(error.code);
  }
  return update;
}
