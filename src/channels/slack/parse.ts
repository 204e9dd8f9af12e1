import { ValidationError } from '../../model/errors.js';
import type { InboundEvent, InboundMessage } from '../../model/inbound.js';
import type { Part } from '../../model/parts.js';
import type { Json } from '../../model/records.js';
import { SlackEnvelope, SlackMessageEvent, type SlackMessageFields } from './schema.js';

/** What parsing needs to know about the adapter. */
export interface SlackParseContext {
  channel: string;
  botUserId: string | undefined;
}

/** Subtypes that are a person writing; every other subtype (joins, topic changes, deletions) is ignored. */
const personSubtypes = new Set([undefined, 'file_share', 'thread_broadcast', 'me_message']);

/** Slack escapes exactly these three characters in message text. */
function unescapeMrkdwn(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function partsOf(fields: SlackMessageFields): Part[] {
  const parts: Part[] = [];
  const text = fields.text ? unescapeMrkdwn(fields.text) : '';
  if (text.trim()) parts.push({ type: 'text', text });
  for (const file of fields.files ?? []) {
    // Files hidden by the workspace's plan limits (`mode: hidden_by_limit`) or deleted carry no URL.
    if (!file.url_private) continue;
    const part: Part = { type: 'media', url: file.url_private };
    if (file.mimetype) part.mimeType = file.mimetype;
    if (file.name) part.filename = file.name;
    if (file.size !== undefined) part.size = file.size;
    parts.push(part);
  }
  return parts;
}

function isBot(context: SlackParseContext, fields: SlackMessageFields): boolean {
  if (fields.bot_id || fields.subtype === 'bot_message') return true;
  return context.botUserId !== undefined && fields.user === context.botUserId;
}

interface Source {
  envelope: SlackEnvelope;
  event: SlackMessageEvent;
  fields: SlackMessageFields;
  ts: string;
}

function toMessage(context: SlackParseContext, source: Source, at: string): InboundMessage | undefined {
  const { envelope, event, fields, ts } = source;
  const parts = partsOf(fields);
  if (!fields.user || parts.length === 0) return undefined;
  const team = fields.user_team ?? fields.team ?? envelope.team_id;
  const meta: Record<string, Json> = { slackChannel: event.channel, slackTs: ts };
  if (fields.thread_ts) meta.slackThreadTs = fields.thread_ts;
  if (team) meta.slackTeam = team;
  if (envelope.event_id) meta.slackEventId = envelope.event_id;
  if (event.channel_type) meta.slackChannelType = event.channel_type;
  if (fields.subtype) meta.slackSubtype = fields.subtype;
  if (envelope.is_ext_shared_channel !== undefined) meta.slackExtShared = envelope.is_ext_shared_channel;
  const message: InboundMessage = {
    channel: context.channel,
    channelKind: 'slack',
    from: { kind: 'slack', value: team ? `${team}:${fields.user}` : fields.user, verified: true },
    parts,
    externalId: `${event.channel}:${ts}`,
    createdAt: Math.round(Number(at) * 1000),
    meta,
  };
  if (fields.thread_ts && fields.thread_ts !== ts) message.replyTo = `${event.channel}:${fields.thread_ts}`;
  return message;
}

/**
 * An edit (`message_changed`) becomes a new message `${channel}:${ts}:edit:${edited.ts}` whose
 * `meta.editOf` names the original. Changes without `edited` (link unfurls) or with the same text
 * and files, and edits of bot messages, yield nothing.
 */
function fromEdit(
  context: SlackParseContext,
  envelope: SlackEnvelope,
  event: SlackMessageEvent,
): InboundEvent[] {
  const current = event.message;
  const previous = event.previous_message;
  const ts = current?.ts ?? previous?.ts;
  if (!current?.edited || !ts || isBot(context, current)) return [];
  if (
    previous &&
    previous.text === current.text &&
    (previous.files?.length ?? 0) === (current.files?.length ?? 0)
  ) {
    return [];
  }
  const message = toMessage(context, { envelope, event, fields: current, ts }, current.edited.ts);
  if (!message) return [];
  message.externalId = `${event.channel}:${ts}:edit:${current.edited.ts}`;
  (message.meta as Record<string, Json>).editOf = `${event.channel}:${ts}`;
  return [{ type: 'message', message }];
}

function readEnvelope(body: string): SlackEnvelope {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (cause) {
    throw new ValidationError('slack event', [{ path: [], message: 'body is not JSON' }], { cause });
  }
  const result = SlackEnvelope.safeParse(json);
  if (!result.success) throw ValidationError.fromZod('slack event', result.error);
  return result.data;
}

/** The `challenge` of a `url_verification` handshake body, or undefined for any other body. */
export function challengeOf(body: string): string | undefined {
  try {
    const envelope = SlackEnvelope.safeParse(JSON.parse(body));
    return envelope.data?.type === 'url_verification' ? envelope.data.challenge : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Turns an Events API body into inbound events. `message` events from people become messages
 * (plain, `file_share`, `thread_broadcast`, `me_message`; edits as described at `fromEdit`);
 * messages from bots or from `botUserId` become `echo` events; everything else (the
 * `url_verification` handshake, other event types and subtypes) yields none.
 */
export function parseSlackEvent(context: SlackParseContext, body: string): InboundEvent[] {
  const envelope = readEnvelope(body);
  if (envelope.type !== 'event_callback' || envelope.event?.type !== 'message') return [];
  const parsed = SlackMessageEvent.safeParse(envelope.event);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: ['event', ...issue.path],
      message: issue.message,
    }));
    throw new ValidationError('slack event', issues, { cause: parsed.error });
  }
  const event = parsed.data;
  if (event.subtype === 'message_changed') return fromEdit(context, envelope, event);
  if (isBot(context, event))
    return [{ type: 'echo', channel: context.channel, externalId: `${event.channel}:${event.ts}` }];
  if (!personSubtypes.has(event.subtype)) return [];
  const message = toMessage(context, { envelope, event, fields: event, ts: event.ts }, event.ts);
  return message ? [{ type: 'message', message }] : [];
}
