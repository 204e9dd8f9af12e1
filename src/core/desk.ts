import { isSupportedCountry } from 'libphonenumber-js';
import * as z from 'zod';
import { NotFoundError, ValidationError } from '../model/errors.js';
import type { InboundEvent, ParsedStatusUpdate, SkippedItem } from '../model/inbound.js';
import type { Json } from '../model/records.js';
import type { ChannelAdapter } from './channel.js';
import { buildContext } from './context.js';
import { listConversations, updateConversation } from './conversations.js';
import { updateCustomer } from './customers.js';
import { DeskEmitter } from './emitter.js';
import { identify } from './identity.js';
import { createIdGenerator } from './ids.js';
import { mergeByApi, unmergeCustomers } from './merge.js';
import { Outbox, type OutboxSettings } from './outbox.js';
import { applyReceive, type PreparedReceive, prepareReceive, receive } from './receive.js';
import { reply } from './reply.js';
import { parseInput, type Runtime, resolveCustomer } from './runtime.js';
import { applyStatus, EarlyStatuses, matchEcho, parseStatusUpdate, updateStatus } from './status.js';
import type { Store } from './store.js';
import { conversationMessages, customerTimeline } from './timeline.js';
import type { Desk, DeskOptions, IngestResult } from './types.js';
import { handleWebhook } from './webhook.js';

const DAY = 86_400_000;

function channelMap(adapters: ChannelAdapter[]): Map<string, ChannelAdapter> {
  const map = new Map<string, ChannelAdapter>();
  adapters.forEach((adapter, i) => {
    if (!adapter || typeof adapter.id !== 'string' || typeof adapter.send !== 'function') {
      throw new ValidationError('desk options', [
        { path: ['channels', i], message: 'not a channel adapter' },
      ]);
    }
    if (map.has(adapter.id)) {
      throw new ValidationError('desk options', [
        { path: ['channels', i, 'id'], message: `duplicate channel id "${adapter.id}"` },
      ]);
    }
    map.set(adapter.id, adapter);
  });
  return map;
}

function runtimeOf(options: DeskOptions, store: Store): Runtime {
  // Whole milliseconds: a message's time is its paging cursor's, which keeps no fraction.
  const custom = options.clock;
  const clock = custom ? () => Math.floor(custom()) : Date.now;
  const logger = options.logger ?? console;
  const reopenWithinMs = options.continuity?.reopenWithinMs ?? 7 * DAY;
  if (!(reopenWithinMs >= 0))
    throw new ValidationError('desk options', [
      { path: ['continuity', 'reopenWithinMs'], message: 'must be >= 0' },
    ]);
  const defaultCountry = options.identity?.defaultCountry;
  // An unknown country would not fail here but fail every national number later, each as bad input.
  if (defaultCountry !== undefined && !isSupportedCountry(defaultCountry))
    throw new ValidationError('desk options', [
      {
        path: ['identity', 'defaultCountry'],
        message: `not a supported ISO 3166 country code: "${defaultCountry}"`,
      },
    ]);
  return {
    store,
    channels: channelMap(options.channels ?? []),
    settings: {
      brand: options.brand ?? 'default',
      mode: options.continuity?.mode ?? 'omnichannel',
      reopenWithinMs,
      autoMerge: options.identity?.autoMerge ?? 'verified',
      defaultCountry,
      fallback: options.fallback ?? {},
    },
    clock,
    newId: options.idGenerator ?? createIdGenerator(clock),
    logger,
    emitter: new DeskEmitter(logger),
  };
}

type PreparedEvent =
  | { type: 'message'; prepared: PreparedReceive }
  | { type: 'status'; update: ParsedStatusUpdate }
  | { type: 'echo'; channel: string; externalId: string; idempotencyKey?: string }
  | SkippedItem;

const EVENT_TYPES: ReadonlySet<unknown> = new Set(['message', 'status', 'echo', 'skipped']);

/** Refuses what is not a list of events of a known type, naming the index: nothing is written. */
function checkEvents(events: unknown): asserts events is InboundEvent[] {
  if (!Array.isArray(events))
    throw new ValidationError('webhook events', [{ path: [], message: 'not an array of events' }]);
  events.forEach((event: unknown, i) => {
    const type = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
    if (!EVENT_TYPES.has(type))
      throw new ValidationError('webhook events', [
        { path: [i, 'type'], message: 'not an event: type must be message, status, echo or skipped' },
      ]);
  });
}

/** Validates one event of a webhook for the channel `channelId`, writing nothing. */
function prepareEvent(rt: Runtime, channelId: string, event: InboundEvent): PreparedEvent {
  if (event.type === 'message') {
    // `?.`: a caller's event may hold no message at all; the schema then names what is missing.
    const message = event.message?.channel ? event.message : { ...event.message, channel: channelId };
    return { type: 'message', prepared: prepareReceive(rt, message) };
  }
  if (event.type === 'status') {
    const status = event.status?.channel ? event.status : { ...event.status, channel: channelId };
    return { type: 'status', update: parseStatusUpdate(status) };
  }
  if (event.type === 'skipped') return event;
  return parseInput(Echo, { ...event, channel: event.channel ?? channelId }, 'echo');
}

const Echo = z.object({
  type: z.literal('echo'),
  channel: z.string().min(1),
  externalId: z.string().min(1),
  idempotencyKey: z.string().min(1).optional(),
});

/** Logs an item the adapter skipped and reports it; nothing is stored for it. */
function skip(rt: Runtime, channelId: string, item: SkippedItem): IngestResult {
  const at = item.field === undefined ? '' : ` at ${item.field}`;
  rt.logger.warn(`threadline: skipped an item of a "${channelId}" webhook${at}: ${item.reason}`);
  return item.field === undefined
    ? { type: 'skipped', reason: item.reason }
    : { type: 'skipped', reason: item.reason, field: item.field };
}

/**
 * Validates every event first, so a malformed one stores nothing, then applies them in order. An
 * item the adapter skipped is logged, not an error: the rest of its delivery is stored.
 */
async function ingest(
  rt: Runtime,
  early: EarlyStatuses,
  channelId: string,
  events: InboundEvent[],
): Promise<IngestResult[]> {
  checkEvents(events);
  const prepared = events.map((event) => prepareEvent(rt, channelId, event));
  const results: IngestResult[] = [];
  for (const event of prepared) {
    if (event.type === 'message') {
      results.push({ type: 'message', result: await applyReceive(rt, event.prepared) });
    } else if (event.type === 'status') {
      results.push({ type: 'status', message: await applyStatus(rt, event.update, early) });
    } else if (event.type === 'skipped') {
      results.push(skip(rt, channelId, event));
    } else {
      results.push({
        type: 'echo',
        message: await matchEcho(rt, event.channel, event.externalId, event.idempotencyKey, early),
      });
    }
  }
  return results;
}

/** A setting that must be a positive whole number (`integer`) or a positive finite number of ms. */
function positive(value: number | undefined, fallback: number, path: string[], integer = false): number {
  if (value === undefined) return fallback;
  const valid = integer ? Number.isSafeInteger(value) : Number.isFinite(value);
  if (typeof value === 'number' && valid && value > 0) return value;
  throw new ValidationError('desk options', [
    { path, message: integer ? 'must be a whole number >= 1' : 'must be a finite number of ms > 0' },
  ]);
}

/** The outbox settings, defaults applied. @throws ValidationError naming the option (`outbox.leaseMs`). */
function outboxSettings(options: DeskOptions['outbox'] = {}): OutboxSettings {
  return {
    leaseMs: positive(options.leaseMs, 60_000, ['outbox', 'leaseMs']),
    maxAttempts: positive(options.maxAttempts, 5, ['outbox', 'maxAttempts'], true),
    retryBaseMs: positive(options.retryBaseMs, 1_000, ['outbox', 'retryBaseMs']),
    pollMs: 1_000,
  };
}

/**
 * Assembles a desk on a given store. The public `createDesk` (in the package entry) supplies the
 * default memory store, so the core itself never imports a store driver.
 */
export function assembleDesk(options: DeskOptions, store: Store): Desk {
  const settings = outboxSettings(options.outbox);
  const rt = runtimeOf(options, store);
  const early = new EarlyStatuses(settings.leaseMs);
  const outbox = new Outbox(rt, settings, early);
  const unwatch = rt.store.watch?.((logged) => rt.emitter.emit(logged.map((entry) => entry.event)));
  const desk: Desk = {
    store: rt.store,
    brand: rt.settings.brand,
    logger: rt.logger,
    channels: rt.channels,
    receive: (inbound) => receive(rt, inbound),
    ingest: (channelId, events) => ingest(rt, early, channelId, events),
    updateStatus: (update) => updateStatus(rt, update, early),
    handleWebhook: (channelId, request) => handleWebhook(desk, channelId, request, { logger: rt.logger }),
    reply: async (conversationId, input) => {
      const message = await reply(rt, conversationId, input);
      outbox.kick();
      return message;
    },
    identify: (customerId, identity, opts) => identify(rt, customerId, identity, opts),
    merge: (keepId, mergeId, opts) => mergeByApi(rt, keepId, mergeId, opts),
    unmerge: (mergeId) => unmergeCustomers(rt, mergeId),
    context: (query, opts) => buildContext(rt, query, opts),
    timeline: (customerId, opts) => customerTimeline(rt, customerId, opts),
    customers: {
      get: async (id) => {
        const customer = await rt.store.getCustomer(id);
        if (!customer) throw new NotFoundError(`customer ${id} not found`);
        return customer;
      },
      resolve: (id) => resolveCustomer(rt, id),
      update: (id, patch) =>
        updateCustomer(rt, id, patch as { displayName?: string; traits?: Record<string, Json | undefined> }),
    },
    conversations: {
      get: async (id) => {
        const conversation = await rt.store.getConversation(id);
        if (!conversation) throw new NotFoundError(`conversation ${id} not found`);
        return conversation;
      },
      list: (query) => listConversations(rt, query),
      update: (id, patch, opts) => updateConversation(rt, id, patch, opts),
      messages: (id, opts) => conversationMessages(rt, id, opts),
    },
    outbox: {
      flush: () => outbox.flush(),
      start: () => outbox.start(),
      stop: () => outbox.stop(),
    },
    on: (type, listener) => rt.emitter.on(type, listener),
    once: (type, listener) => rt.emitter.once(type, listener),
    onAny: (listener) => rt.emitter.onAny(listener),
    close: async () => {
      unwatch?.();
      await outbox.stop();
      await rt.store.close();
    },
  };
  if (options.outbox?.autoStart ?? rt.channels.size > 0) outbox.start();
  return desk;
}
