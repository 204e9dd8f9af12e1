import * as z from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../model/errors.js';
import type { Changes } from '../model/events.js';
import { type Conversation, ConversationStatus, Priority } from '../model/records.js';
import { type CursorScope, cursorError, decodeCursor, encodeCursor } from './cursor.js';
import { emptyPage } from './paging.js';
import {
  commitAndEmit,
  iso,
  makeEvent,
  parseInput,
  type Runtime,
  resolveCustomer,
  withConflictRetry,
} from './runtime.js';
import type { ConversationPatch, Page } from './types.js';

const Patch = z.strictObject({
  status: ConversationStatus.optional(),
  assigneeId: z.string().min(1).max(256).nullable().optional(),
  teamId: z.string().min(1).max(256).nullable().optional(),
  /** Trimmed: ` vip ` and `vip` are one tag, and a blank one is refused. */
  tags: z.array(z.string().trim().min(1).max(128)).max(100).optional(),
  priority: Priority.optional(),
  subject: z.string().max(1024).nullable().optional(),
  /** Any ISO time with a zone (`Z` or an offset), stored as UTC like every other time. */
  snoozedUntil: z.iso
    .datetime({ offset: true })
    .transform((value) => new Date(value).toISOString())
    .nullable()
    .optional(),
});

const UpdateOptions = z.strictObject({
  /**
   * Versions are whole numbers (a record starts at 1): anything else could never match. Strict: a
   * misspelt key (`version`) would otherwise drop the check silently.
   */
  expectedVersion: z.number().int().min(0).optional(),
});

const nullable = ['assigneeId', 'teamId', 'subject', 'snoozedUntil'] as const;
/** Statuses that end a conversation: `resolvedAt` says since when. */
const ENDED: ReadonlySet<ConversationStatus> = new Set(['resolved', 'closed']);

/** Applies a validated patch; returns the new record and what changed. */
function applyPatch(conversation: Conversation, patch: z.output<typeof Patch>, now: number) {
  const next: Conversation = { ...conversation };
  for (const key of nullable) {
    const value = patch[key];
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  if (patch.tags) next.tags = [...new Set(patch.tags)];
  if (patch.priority) next.priority = patch.priority;
  if (patch.status && patch.status !== conversation.status) {
    next.status = patch.status;
    if (!ENDED.has(patch.status)) {
      delete next.resolvedAt;
      delete next.resolvedAtMs;
    } else if (!ENDED.has(conversation.status) || conversation.resolvedAtMs === undefined) {
      // Ending an active conversation stamps when; closing a resolved one (or the reverse) keeps it.
      next.resolvedAt = iso(now);
      next.resolvedAtMs = now;
    }
    if (patch.status !== 'snoozed') delete next.snoozedUntil;
  }
  const changes: Changes<Conversation> = {};
  // Keys of both records: a field the patch removed (resolvedAt on reopening) changed too.
  const keys = new Set([...Object.keys(conversation), ...Object.keys(next)]) as Set<keyof Conversation>;
  for (const key of keys) {
    if (JSON.stringify(next[key]) !== JSON.stringify(conversation[key]))
      (changes as Record<string, unknown>)[key] = { from: conversation[key], to: next[key] };
  }
  return { next, changes };
}

/**
 * Refuses a snooze time the patch gives for a conversation it leaves not snoozed, or a new snooze
 * time not after now. The snooze time already stored, given again, is no change.
 */
function checkSnooze(
  given: string | null | undefined,
  before: Conversation,
  after: Conversation,
  now: number,
) {
  if (typeof given !== 'string') return;
  const problem =
    after.status !== 'snoozed'
      ? `is only kept on a snoozed conversation; this one would be ${after.status}`
      : given !== before.snoozedUntil && Date.parse(given) <= now
        ? `must be later than now (${iso(now)})`
        : undefined;
  if (problem)
    throw new ValidationError('conversation patch', [{ path: ['snoozedUntil'], message: problem }]);
}

/** `desk.conversations.update`: patches status, assignee, tags, priority or subject with an optimistic version. */
export async function updateConversation(
  rt: Runtime,
  id: string,
  raw: ConversationPatch,
  rawOptions: { expectedVersion?: number } = {},
): Promise<Conversation> {
  const patch = parseInput(Patch, raw, 'conversation patch');
  const options = parseInput(UpdateOptions, rawOptions, 'conversation update options');
  const step = async () => {
    const conversation = await rt.store.getConversation(id);
    if (!conversation) throw new NotFoundError(`conversation ${id} not found`);
    if (options.expectedVersion !== undefined && conversation.version !== options.expectedVersion) {
      throw new ConflictError(
        `conversation ${id} is at version ${conversation.version}, not ${options.expectedVersion}`,
        { retryable: false },
      );
    }
    const now = rt.clock();
    const { next, changes } = applyPatch(conversation, patch, now);
    checkSnooze(patch.snoozedUntil, conversation, next, now);
    if (Object.keys(changes).length === 0) return conversation;
    const updated = { ...next, updatedAt: iso(now), version: conversation.version + 1 };
    const event = makeEvent(
      rt,
      'conversation.updated',
      conversation.brandId,
      { conversation: updated, changes },
      now,
    );
    await commitAndEmit(rt, {
      conversations: [{ record: updated, expectedVersion: conversation.version }],
      events: [event],
    });
    return updated;
  };
  // With an explicit expectedVersion the caller decides what to do on conflict; without, re-read and retry.
  return options.expectedVersion === undefined ? withConflictRetry(step) : step();
}

const ListQuery = z.object({
  customerId: z.string().optional(),
  status: z.array(ConversationStatus).optional(),
  limit: z.number().int().min(1).max(500).optional(),
  before: z.string().optional(),
});
type ListQuery = z.output<typeof ListQuery>;

/** The id whose conversations a customer id lists: a merged-away customer's are the survivor's. */
async function survivorId(rt: Runtime, id: string): Promise<string> {
  const customer = await rt.store.getCustomer(id);
  return customer?.mergedInto === undefined ? id : (await resolveCustomer(rt, id)).id;
}

/** What the cursors of a conversation listing are issued for. */
function scopeOf(query: ListQuery): CursorScope {
  return query.customerId === undefined
    ? { kind: 'conversations', id: '' }
    : { kind: 'customer-conversations', id: query.customerId };
}

/**
 * The conversation id a `before` cursor stands at, when it was issued for this listing: the same
 * customer id, or one that stands for the same customer now (a merge since).
 * @throws ValidationError naming `before` for anything else.
 */
async function beforeIdOf(rt: Runtime, query: ListQuery, customerId: string | undefined): Promise<string> {
  const { scope, position } = decodeCursor(query.before, 'before', 'conversation query');
  const wanted = scopeOf(query);
  const same =
    scope.kind === wanted.kind &&
    (scope.id === wanted.id || (customerId !== undefined && (await survivorId(rt, scope.id)) === customerId));
  if (!same) throw cursorError('before', 'a cursor of another listing', 'conversation query');
  return position.id;
}

/**
 * `desk.conversations.list`: newest first, paged by an opaque cursor; a merged-away customer id
 * lists the survivor's (see `Desk.conversations.list`).
 */
export async function listConversations(
  rt: Runtime,
  raw: z.input<typeof ListQuery> = {},
): Promise<Page<Conversation>> {
  const query = parseInput(ListQuery, raw, 'conversation query');
  const limit = query.limit ?? 50;
  const customerId = query.customerId === undefined ? undefined : await survivorId(rt, query.customerId);
  const beforeId = query.before === undefined ? undefined : await beforeIdOf(rt, query, customerId);
  const rows = await rt.store.listConversations({
    customerId,
    status: query.status,
    limit: limit + 1,
    beforeId,
  });
  const hasNext = rows.length > limit;
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  // After the last item, or where an empty page was read from: `next()` also finds what arrived since.
  const nextCursor = last ? encodeCursor(scopeOf(query), { at: 0, id: last.id }) : query.before;
  return {
    items,
    hasNext,
    nextCursor,
    next: () =>
      nextCursor === undefined
        ? Promise.resolve(emptyPage<Conversation>())
        : listConversations(rt, { ...query, before: nextCursor }),
  };
}
