import type { Desk } from '../../../src/core/types.js';

/**
 * A small history touching every record type: two customers on two channels, a queued reply
 * (outbox), a merge, and the events of it all. Shared by the Node tests and the Chromium page.
 */
export async function buildHistory(
  desk: Desk,
): Promise<{ keptId: string; mergeId: string; conversationId: string }> {
  const sms = await desk.receive({
    channel: 'sms',
    from: { kind: 'phone', value: '+14155550100', verified: true },
    text: 'My order is late',
    externalId: 'SM-1',
  });
  await desk.receive({
    channel: 'sms',
    from: { kind: 'phone', value: '+14155550100', verified: true },
    text: 'Order 42',
    externalId: 'SM-2',
  });
  const mail = await desk.receive({
    channel: 'email',
    from: { kind: 'email', value: 'ann@example.com', verified: true },
    text: 'Also by mail',
    externalId: '<m1@mail.example>',
  });
  await desk.reply(sms.conversation.id, { text: 'Looking into it', channel: 'sms' });
  const merge = await desk.merge(sms.customer.id, mail.customer.id);
  return { keptId: sms.customer.id, mergeId: merge.id, conversationId: sms.conversation.id };
}
