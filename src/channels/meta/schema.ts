import * as z from 'zod';
import { ValidationError } from '../../model/errors.js';
import { MAX_TEXT_LENGTH } from '../../model/parts.js';

// Webhook shapes of the Graph API (WhatsApp Cloud "messages" field; Messenger Platform and
// Instagram Messaging "messaging" events). Only fields Threadline reads are declared; unknown
// fields are ignored so that Meta adding fields never breaks parsing.

const id = z.string().min(1).max(1024);
/** Message ids; capped below the model's 1024 so derived ids (`<mid>#unsent`, `reaction:<mid>:<psid>:<ms>`) still fit. */
const mid = z.string().min(1).max(800);
/** PSIDs, IGSIDs, page ids: identity values (the model caps them at 320 characters). */
const scopedId = z.string().regex(/^\S{1,128}$/, 'expected a page-scoped id');
const text = z.string().max(MAX_TEXT_LENGTH);
/** The latest time the model accepts (the ECMAScript `Date` range): a later one would fail `desk.ingest`. */
const MAX_EPOCH_MS = 8.64e15;
/** Unix seconds as WhatsApp sends them: a digit string (numbers are accepted too). */
const unixSeconds = z.union([
  z.string().regex(/^\d{1,12}$/, 'expected unix seconds'),
  z
    .number()
    .int()
    .min(0)
    .max(MAX_EPOCH_MS / 1000),
]);
/** Epoch milliseconds as the Messenger Platform sends them. */
const epochMs = z.number().int().min(0).max(MAX_EPOCH_MS);
/** At most 1000 items of a batch, each read on its own (see `BatchReader`). */
const items = z.array(z.unknown()).max(1000);

/** Parses `value` with `schema`, or throws a ValidationError whose paths start at `prefix`. */
export function parseAt<T extends z.ZodType>(
  what: string,
  schema: T,
  value: unknown,
  prefix: PropertyKey[],
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    what,
    result.error.issues.map((issue) => ({ path: [...prefix, ...issue.path], message: issue.message })),
    { cause: result.error },
  );
}

/** Parses a raw webhook body as JSON, or throws a ValidationError. */
export function parseJsonBody(what: string, body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (cause) {
    throw new ValidationError(what, [{ path: [], message: 'body is not valid JSON' }], { cause });
  }
}

// --- WhatsApp Cloud -------------------------------------------------------------------------

/**
 * The outer envelope. Entries, changes and their items are read one by one (see `BatchReader`),
 * so one malformed item does not refuse the delivery.
 */
export const WaEnvelope = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(z.unknown()),
});

/** One `entry[]`; its changes are read one by one. */
export const WaEntry = z.object({ changes: items.default([]) });

/** One `changes[]`: `value` is read only for the `messages` field. */
export const WaChange = z.object({ field: z.string(), value: z.unknown() });

const WaMedia = z.object({
  id: id.optional(),
  url: z.string().min(1).max(4096).optional(),
  link: z.string().min(1).max(4096).optional(),
  mime_type: z.string().max(255).optional(),
  caption: text.optional(),
  filename: z.string().max(1024).optional(),
  voice: z.boolean().optional(),
  animated: z.boolean().optional(),
});
export type WaMedia = z.infer<typeof WaMedia>;

const WaContactCard = z.object({
  name: z
    .object({ formatted_name: z.string().max(1024).optional(), first_name: z.string().max(1024).optional() })
    .optional(),
  phones: z
    .array(z.object({ phone: z.string().max(64).optional(), wa_id: z.string().max(32).optional() }))
    .max(20)
    .optional(),
  emails: z
    .array(z.object({ email: z.string().max(320).optional() }))
    .max(20)
    .optional(),
});
export type WaContactCard = z.infer<typeof WaContactCard>;

const WaReply = z.object({ id: z.string().max(1024), title: text, description: text.optional() });

const WaError = z.object({
  code: z.union([z.number(), z.string()]).optional(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.object({ details: z.string().optional() }).optional(),
});

/** One inbound WhatsApp message (`value.messages[]`). */
export const WaMessage = z.object({
  from: z.string().regex(/^\+?\d{1,20}$/, 'expected the sender wa_id (digits)'),
  id,
  timestamp: unixSeconds,
  type: z.string().min(1).max(64),
  text: z.object({ body: text }).optional(),
  image: WaMedia.optional(),
  audio: WaMedia.optional(),
  video: WaMedia.optional(),
  document: WaMedia.optional(),
  sticker: WaMedia.optional(),
  location: z
    .object({
      latitude: z.number().min(-90).max(90),
      longitude: z.number().min(-180).max(180),
      name: z.string().max(1024).optional(),
      address: z.string().max(2048).optional(),
    })
    .optional(),
  contacts: z.array(WaContactCard).max(20).optional(),
  interactive: z
    .object({
      type: z.string().max(64),
      button_reply: WaReply.optional(),
      list_reply: WaReply.optional(),
      nfm_reply: z
        .object({ name: z.string().optional(), body: text.optional(), response_json: text.optional() })
        .optional(),
    })
    .optional(),
  button: z.object({ text, payload: text.optional() }).optional(),
  reaction: z.object({ message_id: id, emoji: z.string().max(64).optional() }).optional(),
  context: z
    .object({
      id: id.optional(),
      from: z.string().max(64).optional(),
      forwarded: z.boolean().optional(),
      frequently_forwarded: z.boolean().optional(),
    })
    .optional(),
  unsupported: z.object({ type: z.string().max(64).optional() }).optional(),
  errors: z.array(WaError).max(20).optional(),
});
export type WaMessage = z.infer<typeof WaMessage>;

/** One delivery status of an outbound WhatsApp message (`value.statuses[]`). */
export const WaStatus = z.object({
  id,
  status: z.string().max(64),
  timestamp: unixSeconds.optional(),
  recipient_id: z.string().max(64).optional(),
  errors: z.array(WaError).max(20).optional(),
});
export type WaStatus = z.infer<typeof WaStatus>;

/**
 * `changes[].value` of the `messages` field: `metadata`, `contacts`, `messages` and `statuses`
 * are each read on their own, so a malformed `statuses` does not cost the `messages`.
 */
export const WaValue = z.object({
  metadata: z.unknown().optional(),
  contacts: z.unknown().optional(),
  messages: z.unknown().optional(),
  statuses: z.unknown().optional(),
});
export type WaValue = z.infer<typeof WaValue>;

/** `value.metadata`: the business phone number the messages were sent to. */
export const WaMetadata = z.object({ phone_number_id: z.string().optional() }).optional();

/** `value.contacts`: the senders' profiles, read one by one. */
export const WaContacts = z.array(z.unknown()).max(1000).optional();

/** One `value.contacts[]`: a sender's WhatsApp id and profile name. */
export const WaContact = z.object({
  wa_id: z.string().max(64).optional(),
  profile: z.object({ name: z.string().max(256).optional() }).optional(),
});
export type WaContact = z.infer<typeof WaContact>;

/** `value.messages` or `value.statuses`. */
export const WaItems = items.optional();

// --- Messenger / Instagram ------------------------------------------------------------------

/**
 * The outer envelope of Messenger (`page`) and Instagram (`instagram`) webhooks. Entries and
 * their `messaging[]` events are read one by one (see `BatchReader`).
 */
export const MessagingEnvelope = z.object({
  object: z.enum(['page', 'instagram']),
  entry: z.array(z.unknown()),
});

/** One `entry[]`: its `messaging[]` events (other arrays, such as `standby`, are not read). */
export const MessagingEntry = z.object({ messaging: items.default([]) });

const Attachment = z.object({
  type: z.string().min(1).max(64),
  title: z.string().max(1024).optional(),
  url: z.string().max(4096).optional(),
  payload: z
    .object({
      url: z.string().min(1).max(4096).optional(),
      title: z.string().max(1024).optional(),
      sticker_id: z.union([z.number(), z.string()]).optional(),
      coordinates: z
        .object({ lat: z.number().min(-90).max(90), long: z.number().min(-180).max(180) })
        .optional(),
    })
    .nullish(),
});
export type MessagingAttachment = z.infer<typeof Attachment>;

/** One `messaging[]` event. */
export const MessagingEvent = z.object({
  sender: z.object({ id: scopedId }),
  recipient: z.object({ id: scopedId }).optional(),
  timestamp: epochMs,
  message: z
    .object({
      mid,
      text: text.optional(),
      is_echo: z.boolean().optional(),
      is_deleted: z.boolean().optional(),
      metadata: z.string().max(1024).optional(),
      quick_reply: z.object({ payload: text }).optional(),
      reply_to: z
        .object({
          mid: mid.optional(),
          story: z.object({ id: id.optional(), url: z.string().max(4096).optional() }).optional(),
        })
        .optional(),
      attachments: z.array(Attachment).max(100).optional(),
    })
    .optional(),
  postback: z
    .object({
      mid: mid.optional(),
      title: text.optional(),
      payload: text.optional(),
      referral: z
        .object({
          ref: z.string().max(1024).optional(),
          source: z.string().max(256).optional(),
          type: z.string().max(256).optional(),
        })
        .optional(),
    })
    .optional(),
  delivery: z
    .object({
      mids: z.array(mid).max(1000).optional(),
      watermark: z.number().min(0).max(MAX_EPOCH_MS).optional(),
    })
    .optional(),
  read: z.object({ mid: mid.optional(), watermark: z.number().optional() }).optional(),
  reaction: z
    .object({
      mid,
      action: z.string().max(32).optional(),
      emoji: z.string().max(64).optional(),
      reaction: z.string().max(64).optional(),
    })
    .optional(),
});
export type MessagingEvent = z.infer<typeof MessagingEvent>;
