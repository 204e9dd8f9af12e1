import type { WriteBatch } from '../../core/store.js';
import type { DeskEvent } from '../../model/events.js';

/**
 * The journal's encoding of a batch (a journal record holds a group commit's batches as a JSON
 * array of these): its JSON, except that an event field holding the very record
 * a put of the same batch writes (a `message.received` event carries the message it stores) is
 * written as `{ "$put": "messages.0" }` and restored to that record on replay. This keeps a record
 * (the bulk of a batch) from being serialized twice, and a replayed event shares the stored object
 * just as the live one did.
 */
const REF = '$put';
/** The record lists of a batch written as puts, in the order the journal refers to them. */
export const putKinds = ['customers', 'conversations', 'messages', 'merges'] as const;
type PutKind = (typeof putKinds)[number];

function referencedEvents(batch: WriteBatch): DeskEvent[] | undefined {
  if (!batch.events?.length) return batch.events;
  const refs = new Map<unknown, string>();
  for (const kind of putKinds) {
    for (const [i, put] of (batch[kind] ?? []).entries()) refs.set(put.record, `${kind}.${i}`);
  }
  if (refs.size === 0) return batch.events;
  return batch.events.map((event) => {
    let copy: Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(event)) {
      const ref = typeof value === 'object' && value !== null ? refs.get(value) : undefined;
      if (ref !== undefined) {
        copy ??= { ...event };
        copy[key] = { [REF]: ref };
      }
    }
    return (copy ?? event) as DeskEvent;
  });
}

/** Serializes a batch for the journal. */
export function encodeBatch(batch: WriteBatch): Buffer {
  const events = referencedEvents(batch);
  return Buffer.from(JSON.stringify(events === batch.events ? batch : { ...batch, events }));
}

function resolveRef(batch: WriteBatch, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !(REF in value)) return value;
  const [kind, index] = String((value as Record<string, unknown>)[REF]).split('.') as [PutKind, string];
  const put = putKinds.includes(kind) ? batch[kind]?.[Number(index)] : undefined;
  if (!put) throw new Error(`dangling record reference ${JSON.stringify(value)}`);
  return put.record;
}

/** Restores the records an encoded batch's events refer to. @throws on a dangling reference. */
function resolveRefs(batch: WriteBatch): WriteBatch {
  const events = batch.events as Record<string, unknown>[] | undefined;
  for (const event of events ?? []) {
    for (const key of Object.keys(event)) event[key] = resolveRef(batch, event[key]);
  }
  return batch;
}

/** Parses a journal record (a group commit: a JSON array of batches) into its batches. @throws on malformed input. */
export function decodeGroup(payload: Buffer): WriteBatch[] {
  const batches = JSON.parse(payload.toString('utf8')) as unknown;
  if (!Array.isArray(batches)) throw new Error('a journal record must be an array of batches');
  return batches.map((batch) => resolveRefs(batch as WriteBatch));
}
