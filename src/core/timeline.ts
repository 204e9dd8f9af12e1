import { NotFoundError } from '../model/errors.js';
import type { Message } from '../model/records.js';
import { decodeCursor } from './cursor.js';
import type { RangeReader } from './paging.js';
import { type Runtime, resolveCustomer } from './runtime.js';
import type { MessageScope, Position } from './store.js';

/**
 * Reads windows of a conversation's or a customer's messages. A customer id is resolved through
 * merges on first use, so a merged-away id pages the survivor's timeline.
 */
export function messageReader(rt: Runtime, scope: MessageScope): RangeReader<Message> {
  let resolved: Promise<MessageScope> | undefined;
  const scopeOf = () => {
    if ('conversationId' in scope) return Promise.resolve(scope);
    resolved ??= resolveCustomer(rt, scope.customerId).then((customer) => ({ customerId: customer.id }));
    return resolved;
  };
  return async (range) => rt.store.listMessages(await scopeOf(), range);
}

/** The position of `around`: a message id, or a cursor. */
export async function locateMessage(rt: Runtime, around: string): Promise<Position> {
  const message = await rt.store.getMessage(around);
  if (message) return { at: message.at, id: message.id };
  if (!around.includes('.')) throw new NotFoundError(`message ${around} not found`);
  return decodeCursor(around, 'around');
}
