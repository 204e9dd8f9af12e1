import { NotFoundError } from '../model/errors.js';
import type { Message } from '../model/records.js';
import { decodeCursor } from './cursor.js';
import type { RangeReader } from './paging.js';
import { type Runtime, resolveCustomer } from './runtime.js';
import type { MessageScope, Position } from './store.js';

/**
 * Reads windows of a conversation's or a customer's messages. A customer id is resolved through
 * merges on first use, so a merged-away id pages the survivor's timeline.
 * @throws NotFoundError (on the first read) for an unknown customer or conversation.
 */
export function messageReader(rt: Runtime, scope: MessageScope): RangeReader<Message> {
  if ('conversationId' in scope) return conversationReader(rt, scope.conversationId);
  let resolved: Promise<MessageScope> | undefined;
  return async (range) => {
    resolved ??= resolveCustomer(rt, scope.customerId).then((customer) => ({ customerId: customer.id }));
    return rt.store.listMessages(await resolved, range);
  };
}

/**
 * Reads windows of one conversation's messages. Only an empty window makes it look the
 * conversation up (an unknown id reads as nothing): a page with messages proves it exists.
 */
function conversationReader(rt: Runtime, conversationId: string): RangeReader<Message> {
  const scope = { conversationId };
  let known = false;
  return async (range) => {
    const rows = await rt.store.listMessages(scope, range);
    if (rows.length === 0 && !known && !(await rt.store.getConversation(conversationId)))
      throw new NotFoundError(`conversation ${conversationId} not found`);
    known = true;
    return rows;
  };
}

/** The position of `around`: a message id, or a cursor. */
export async function locateMessage(rt: Runtime, around: string): Promise<Position> {
  const message = await rt.store.getMessage(around);
  if (message) return { at: message.at, id: message.id };
  if (!around.includes('.')) throw new NotFoundError(`message ${around} not found`);
  return decodeCursor(around, 'around');
}
