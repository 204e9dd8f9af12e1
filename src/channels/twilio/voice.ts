import { ValidationError } from '../../model/errors.js';
import type { InboundEvent, InboundMessage } from '../../model/inbound.js';
import type { CallPart } from '../../model/parts.js';
import type { Json } from '../../model/records.js';
import { identityOf } from './address.js';
import { firstField, isoTimestamp, numberField } from './fields.js';
import type { ParseContext } from './parse.js';

type Fields = Record<string, string | undefined>;

const what = 'Twilio voice callback';

/** Call statuses after which Twilio sends nothing more about the call; the others are ignored. */
const finalStatuses = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

function required(fields: Fields, name: string): string {
  const value = fields[name];
  if (!value) throw new ValidationError(what, [{ path: [name], message: 'required field is missing' }]);
  return value;
}

/**
 * The customer side of a call: the caller of an inbound call, the callee of a call we placed
 * (`outbound-api`). Undefined for `outbound-dial` legs: those are the second leg of a `<Dial>`
 * (usually to an agent), recorded by the parent call's own callbacks.
 */
function customerParty(fields: Fields): { address: string; outbound: boolean } | undefined {
  const direction = fields.Direction ?? 'inbound';
  if (direction.startsWith('outbound-dial')) return undefined;
  const outbound = direction.startsWith('outbound');
  return { address: required(fields, outbound ? 'To' : 'From'), outbound };
}

function callMessage(
  context: ParseContext,
  fields: Fields,
  externalId: string,
  part: Omit<CallPart, 'type' | 'callDirection'>,
  meta: Record<string, Json>,
): InboundEvent[] {
  const party = customerParty(fields);
  if (!party) return [];
  const message: InboundMessage = {
    channel: context.channel,
    channelKind: context.kind,
    from: identityOf(party.address),
    parts: [{ type: 'call', callDirection: party.outbound ? 'outbound' : 'inbound', ...part }],
    externalId,
    meta: { callSid: required(fields, 'CallSid'), ...meta },
  };
  // A call we placed is not something the customer said: record it as the system's.
  if (party.outbound) message.author = { type: 'system', name: 'Twilio Voice' };
  const createdAt = isoTimestamp(fields.Timestamp);
  if (createdAt) message.createdAt = createdAt;
  return [{ type: 'message', message }];
}

function callStatusEvent(context: ParseContext, fields: Fields): InboundEvent[] {
  const callStatus = required(fields, 'CallStatus');
  if (!finalStatuses.has(callStatus)) return [];
  const callSid = required(fields, 'CallSid');
  const part: Omit<CallPart, 'type' | 'callDirection'> = { callStatus };
  const duration = numberField(what, fields, 'CallDuration', { min: 0, max: 1e7 });
  if (duration !== undefined) part.durationSec = duration;
  const meta: Record<string, Json> = {};
  if (fields.AnsweredBy) meta.answeredBy = fields.AnsweredBy;
  if (fields.ParentCallSid) meta.parentCallSid = fields.ParentCallSid;
  return callMessage(context, fields, callSid, part, meta);
}

function recordingEvent(context: ParseContext, fields: Fields): InboundEvent[] {
  if (fields.RecordingStatus && fields.RecordingStatus !== 'completed') return [];
  const callSid = required(fields, 'CallSid');
  const recordingUrl = required(fields, 'RecordingUrl');
  const recordingSid = firstField(fields, 'RecordingSid');
  const meta: Record<string, Json> = {};
  if (recordingSid) meta.recordingSid = recordingSid;
  const duration = numberField(what, fields, 'RecordingDuration', { min: 0, max: 1e7 });
  if (duration !== undefined) meta.recordingDurationSec = duration;
  return callMessage(context, fields, `${callSid}:${recordingSid ?? 'recording'}`, { recordingUrl }, meta);
}

function transcriptionEvent(context: ParseContext, fields: Fields): InboundEvent[] {
  if (fields.TranscriptionStatus && fields.TranscriptionStatus !== 'completed') return [];
  const callSid = required(fields, 'CallSid');
  const transcriptionSid = firstField(fields, 'TranscriptionSid');
  const part: Omit<CallPart, 'type' | 'callDirection'> = {};
  if (fields.TranscriptionText) part.transcript = fields.TranscriptionText;
  if (fields.RecordingUrl) part.recordingUrl = fields.RecordingUrl;
  const meta: Record<string, Json> = {};
  if (transcriptionSid) meta.transcriptionSid = transcriptionSid;
  if (fields.RecordingSid) meta.recordingSid = fields.RecordingSid;
  return callMessage(context, fields, `${callSid}:${transcriptionSid ?? 'transcript'}`, part, meta);
}

/**
 * Turns a Twilio Voice callback into call-record messages, one per fact, each with its own
 * externalId so a repeated callback is deduplicated by the store:
 * - call status callback, final status (completed, busy, no-answer, failed, canceled):
 *   externalId `CallSid`, a `call` part with direction, status and duration;
 * - recording (`<Record action>` or `recordingStatusCallback`, status completed):
 *   externalId `CallSid:RecordingSid`, a `call` part with `recordingUrl`;
 * - transcription (`transcribeCallback`, status completed):
 *   externalId `CallSid:TranscriptionSid`, a `call` part with `transcript`.
 * Non-final call statuses (queued, ringing, in-progress) yield no event. Parameters missing from
 * the body (a `recordingStatusCallback` has no From/To) are read from the callback URL's query.
 * @throws ValidationError naming the field when a required one is missing or malformed.
 */
export function parseVoiceFields(context: ParseContext, body: Fields, query: Fields): InboundEvent[] {
  const fields: Fields = { ...query, ...body };
  if (body.TranscriptionStatus !== undefined || body.TranscriptionText !== undefined) {
    return transcriptionEvent(context, fields);
  }
  if (body.RecordingUrl !== undefined || body.RecordingSid !== undefined)
    return recordingEvent(context, fields);
  if (body.CallStatus !== undefined) return callStatusEvent(context, fields);
  throw new ValidationError(what, [
    { path: ['CallStatus'], message: 'not a call status, recording or transcription callback' },
  ]);
}
