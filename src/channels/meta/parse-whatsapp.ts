import { ValidationError } from '../../model/errors.js';
import { normalizePhone } from '../../model/identity.js';
import type { InboundEvent, InboundMessage, StatusUpdate } from '../../model/inbound.js';
import type { ContactPart, Part } from '../../model/parts.js';
import type { Json } from '../../model/records.js';
import { BatchReader } from './batch.js';
import {
  parseAt,
  parseJsonBody,
  WaChange,
  WaContact,
  type WaContactCard,
  WaContacts,
  WaEntry,
  WaEnvelope,
  WaItems,
  type WaMedia,
  WaMessage,
  WaMetadata,
  WaStatus,
  WaValue,
} from './schema.js';

type Path = PropertyKey[];
type Meta = Record<string, Json>;

/** What the messages of one change share: the business number and the senders' profiles. */
interface ChangeContext {
  phoneNumberId: string | undefined;
  /** `value.contacts[]` in order; undefined where a contact could not be read. */
  contacts: (WaContact | undefined)[];
}

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
 * A message, status, change or entry that cannot be read yields a `skipped` event naming the
 * field, and its valid siblings are still read (see `BatchReader`).
 * @throws ValidationError naming the field path when the body is not a WhatsApp webhook, or when
 *   not one of its items could be read.
 */
export function parseWhatsAppWebhook(channel: string, body: string): InboundEvent[] {
  const what = `${channel} webhook`;
  const envelope = parseAt(what, WaEnvelope, parseJsonBody(what, body), []);
  const batch = new BatchReader(what);
  envelope.entry.forEach((raw, i) => {
    const entry = batch.container('webhook entry', ['entry', i], WaEntry, raw);
    entry?.changes.forEach((change, j) => {
      readChange(batch, channel, change, ['entry', i, 'changes', j]);
    });
  });
  return batch.finish();
}

function readChange(batch: BatchReader, channel: string, raw: unknown, path: Path): void {
  const change = batch.container('webhook change', path, WaChange, raw);
  if (!change) return;
  // Another field (account_update, templates, ...) is read and acknowledged, not stored.
  if (change.field !== 'messages') {
    batch.item('webhook change', path, () => []);
    return;
  }
  const at: Path = [...path, 'value'];
  const value = batch.container('WhatsApp change value', at, WaValue, change.value);
  if (!value) return;
  const context = contextOf(batch, value, at);
  const messages = batch.container('WhatsApp messages', [...at, 'messages'], WaItems, value.messages);
  messages?.forEach((message, k) => {
    batch.item('WhatsApp message', [...at, 'messages', k], () => [
      { type: 'message', message: toInbound(channel, parseAt('message', WaMessage, message, []), context) },
    ]);
  });
  const statuses = batch.container('WhatsApp statuses', [...at, 'statuses'], WaItems, value.statuses);
  statuses?.forEach((status, k) => {
    batch.item('WhatsApp status', [...at, 'statuses', k], () => {
      const update = toStatus(channel, parseAt('status', WaStatus, status, []));
      return update ? [{ type: 'status', status: update }] : [];
    });
  });
}

/**
 * The metadata and contacts of a change. Neither is an item: when one cannot be read the messages
 * are still stored, without the phone number id or that sender's profile name, and it is reported.
 */
function contextOf(batch: BatchReader, value: WaValue, path: Path): ChangeContext {
  const metadata = batch.piece(
    'WhatsApp metadata',
    [...path, 'metadata'],
    WaMetadata,
    value.metadata,
    'the phone number id is not recorded',
  );
  const contacts = batch.piece(
    'WhatsApp contacts',
    [...path, 'contacts'],
    WaContacts,
    value.contacts,
    'no profile name is read from them',
  );
  return {
    phoneNumberId: metadata?.phone_number_id,
    contacts: (contacts ?? []).map((contact, i) =>
      batch.piece(
        'WhatsApp contact',
        [...path, 'contacts', i],
        WaContact,
        contact,
        'its profile name is not used',
      ),
    ),
  };
}

function toInbound(channel: string, message: WaMessage, context: ChangeContext): InboundMessage {
  const waId = message.from.replace(/^\+/, '');
  assertPhone(waId);
  const { parts, meta } = partsOf(channel, message);
  if (context.phoneNumberId) meta.phoneNumberId = context.phoneNumberId;
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
  const displayName = profileName(context.contacts, waId);
  if (displayName) inbound.displayName = displayName;
  if (message.context?.id) inbound.replyTo = message.context.id;
  return inbound;
}

/**
 * The desk refuses a sender that is not a possible phone number, and a refused event refuses its
 * whole delivery: checked here, such a message is skipped alone.
 */
function assertPhone(waId: string): void {
  try {
    normalizePhone(`+${waId}`, {}, 'whatsapp');
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const issues = error.issues.map((issue) => ({ path: ['from'], message: issue.message }));
    throw new ValidationError('message', issues, { cause: error });
  }
}

/**
 * The sender's profile name: the contact with the sender's wa_id, else the only contact of the
 * change (when there is exactly one and it could be read).
 */
function profileName(contacts: (WaContact | undefined)[], waId: string): string | undefined {
  const contact =
    contacts.find((c) => c?.wa_id === waId) ?? (contacts.length === 1 ? contacts[0] : undefined);
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

/** The parts of a message; a missing field its type needs is a ValidationError naming it (paths from the message). */
function partsOf(channel: string, message: WaMessage): { parts: Part[]; meta: Meta } {
  const { type } = message;
  const meta: Meta = { type };
  const need = <K extends keyof WaMessage>(key: K) =>
    required(channel, message[key], [key], type) as NonNullable<WaMessage[K]>;
  if (mediaTypes.has(type)) {
    const key = type as 'image' | 'audio' | 'video' | 'document' | 'sticker';
    return { parts: [mediaPart(channel, need(key), [key], type)], meta };
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
