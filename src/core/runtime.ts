import type * as z from 'zod';
import { NotFoundError, ValidationError } from '../model/errors.js';
import type { DeskEvent, DeskEventPayloads, DeskEventType } from '../model/events.js';
import type { Customer } from '../model/records.js';
import type { ChannelAdapter } from './channel.js';
import type { DeskEmitter } from './emitter.js';
import { backoff, drive, retryable, type Step } from './flow.js';
import type { Store, WriteBatch } from './store.js';
import type { DeskOptions, Logger } from './types.js';

/** Resolved desk settings: every default applied. */
export interface Settings {
  brand: string;
  mode: 'omnichannel' | 'multichannel';
  reopenWithinMs: number;
  autoMerge: 'verified' | 'never' | 'always';
  defaultCountry: NonNullable<DeskOptions['identity']>['defaultCountry'];
  fallback: Record<string, string[]>;
}

/** What the desk's modules share: the store, the clock, ids, settings, adapters and the event bus. */
export interface Runtime {
  store: Store;
  channels: Map<string, ChannelAdapter>;
  settings: Settings;
  clock: () => number;
  newId: () => string;
  logger: Logger;
  emitter: DeskEmitter;
}

/** Builds a domain event with its envelope. */
export function makeEvent<T extends DeskEventType>(
  rt: Runtime,
  type: T,
  brandId: string,
  payload: DeskEventPayloads[T],
  at = rt.clock(),
): DeskEvent {
  return { id: rt.newId(), type, at: iso(at), brandId, ...payload } as DeskEvent;
}

/** Commits a batch and, once it is stored, emits its events locally. */
export async function commitAndEmit(rt: Runtime, batch: WriteBatch): Promise<void> {
  await rt.store.commit(batch);
  if (batch.events?.length) rt.emitter.emit(batch.events);
}

/**
 * Runs a read-decide-commit step, retrying it when a concurrent change wins (ConflictError):
 * each attempt re-reads the records, so the retry decides on fresh state, after a short random
 * {@link backoff} so that two writers do not collide again in step.
 */
export async function withConflictRetry<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!retryable(error, attempt)) throw error;
      await backoff(attempt);
    }
  }
}

/** Parses input with a schema or throws a ValidationError naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw ValidationError.fromZod(what, result.error);
  return result.data;
}

/** Follows `mergedInto` links to the live customer an id stands for (a {@link Step}). */
export function* liveCustomer(rt: Runtime, id: string): Step<Customer> {
  let customer = (yield rt.store.getCustomer(id)) as Customer | undefined;
  for (let hops = 0; customer?.mergedInto !== undefined && hops < 64; hops++) {
    customer = (yield rt.store.getCustomer(customer.mergedInto)) as Customer | undefined;
  }
  if (!customer) throw new NotFoundError(`customer ${id} not found`);
  return customer;
}

/** Follows `mergedInto` links to the live customer an id stands for. */
export async function resolveCustomer(rt: Runtime, id: string): Promise<Customer> {
  return drive(liveCustomer(rt, id));
}

/**
 * A provider time (ISO string or epoch ms) as whole epoch milliseconds, as a Date keeps them (a
 * fraction would not survive a paging cursor), or undefined when it is no time a Date can hold.
 */
export function epochMs(at: string | number): number | undefined {
  const ms = typeof at === 'number' ? Math.floor(at) : Date.parse(at);
  return Number.isFinite(ms) && ms >= 0 && ms <= 8.64e15 ? ms : undefined;
}

let lastMs = Number.NaN;
let lastIso = '';
let otherMs = Number.NaN;
let otherIso = '';
/**
 * ISO string of an epoch-ms time. The last two are cached: a receive formats the same instant
 * several times, and a message with a provider time (an email's Date, a WhatsApp timestamp)
 * alternates between that time and now.
 */
export function iso(ms: number): string {
  if (ms === lastMs) return lastIso;
  if (ms === otherMs) return otherIso;
  otherMs = lastMs;
  otherIso = lastIso;
  lastIso = new Date(ms).toISOString();
  lastMs = ms;
  return lastIso;
}
