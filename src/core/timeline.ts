import { NotFoundError } from '../model/errors.js';
import type { Message } from '../model/records.js';
import type { CursorScope } from './cursor.js';
import { type Listing, paginate } from './paging.js';
import { type Runtime, resolveCustomer } from './runtime.js';
import type { Position } from './store.js';
import type { PageOptions, Paginator } from './types.js';

const positionOf = (message: Message): Position => ({ at: message.at, id: message.id });

/**
 * True when two customer ids stand for the same live customer now (through merges). An unknown
 * `issued` id is false; an unknown `asked` id is a NotFoundError.
 */
async function sameCustomer(rt: Runtime, issued: string, asked: string): Promise<boolean> {
  const live = await resolveCustomer(rt, asked);
  try {
    return (await resolveCustomer(rt, issued)).id === live.id;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

/**
 * A customer's messages across conversations. The id is resolved through merges on every read, so
 * a merged-away id pages the survivor's timeline, and a timeline paged across a merge or an unmerge
 * continues with the customer's messages as they are then.
 * @throws NotFoundError (on the first read) for an unknown customer.
 */
function customerListing(rt: Runtime, customerId: string): Listing<Message> {
  const live = async () => (await resolveCustomer(rt, customerId)).id;
  return {
    scope: { kind: 'timeline', id: customerId },
    read: async (range) => rt.store.listMessages({ customerId: await live() }, range),
    // A cursor issued for an id that stands for the same customer now (a merge since) still pages it.
    accepts: async (scope: CursorScope) => sameCustomer(rt, scope.id, customerId),
    locate: async (id) => {
      const owner = await live();
      const message = await rt.store.getMessage(id);
      return message?.customerId === owner ? positionOf(message) : undefined;
    },
  };
}

/**
 * One conversation's messages. Only an empty window makes it look the conversation up (an unknown id
 * reads as nothing): a page with messages proves it exists.
 * @throws NotFoundError (on the first read) for an unknown conversation.
 */
function conversationListing(rt: Runtime, conversationId: string): Listing<Message> {
  const scope = { conversationId };
  let known = false;
  return {
    scope: { kind: 'messages', id: conversationId },
    read: async (range) => {
      const rows = await rt.store.listMessages(scope, range);
      if (rows.length === 0 && !known && !(await rt.store.getConversation(conversationId)))
        throw new NotFoundError(`conversation ${conversationId} not found`);
      known = true;
      return rows;
    },
    accepts: async (issued: CursorScope) => issued.id === conversationId,
    locate: async (id) => {
      const message = await rt.store.getMessage(id);
      return message?.conversationId === conversationId ? positionOf(message) : undefined;
    },
  };
}

/** `desk.timeline`: a customer's whole history across channels, paged (see `PageOptions`). */
export function customerTimeline(rt: Runtime, customerId: string, options?: PageOptions): Paginator<Message> {
  return paginate(customerListing(rt, customerId), options);
}

/** `desk.conversations.messages`: one conversation's messages, paged (see `PageOptions`). */
export function conversationMessages(
  rt: Runtime,
  conversationId: string,
  options?: PageOptions,
): Paginator<Message> {
  return paginate(conversationListing(rt, conversationId), options);
}
