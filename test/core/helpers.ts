import type { DeskOptions } from '../../src/core/types.js';
import { createDesk } from '../../src/index.js';
import type { DeskEvent } from '../../src/model/events.js';
import type { InboundMessage } from '../../src/model/inbound.js';

export const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** A desk on a fresh memory store with a settable clock and a record of every event. */
export function testDesk(options: DeskOptions = {}) {
  let now = T0;
  const events: DeskEvent[] = [];
  const desk = createDesk({ clock: () => now, logger: { warn() {}, error() {} }, ...options });
  desk.onAny((event) => events.push(event));
  return {
    desk,
    events,
    types: () => events.map((event) => event.type),
    advance(ms: number) {
      now += ms;
    },
    now: () => now,
  };
}

let seq = 0;
export const sms = (value: string, text = 'hello', extra: Partial<InboundMessage> = {}): InboundMessage => ({
  channel: 'sms',
  from: { kind: 'phone', value, verified: true },
  text,
  externalId: `SM${++seq}`,
  ...extra,
});
export const whatsapp = (
  value: string,
  text = 'hello',
  extra: Partial<InboundMessage> = {},
): InboundMessage => ({
  channel: 'whatsapp',
  from: { kind: 'whatsapp', value, verified: true },
  text,
  externalId: `wamid.${++seq}`,
  ...extra,
});
export const email = (
  value: string,
  text = 'hello',
  extra: Partial<InboundMessage> = {},
): InboundMessage => ({
  channel: 'email',
  from: { kind: 'email', value, verified: true },
  text,
  externalId: `<m${++seq}@mail.example>`,
  ...extra,
});
export const webchat = (
  visitor: string,
  text = 'hello',
  extra: Partial<InboundMessage> = {},
): InboundMessage => ({
  channel: 'webchat',
  from: { kind: 'webchat', value: visitor },
  text,
  externalId: `wc${++seq}`,
  ...extra,
});

/**
 * Everything the given customers own, by id, as a comparable value: a merge then its unmerge must
 * leave it equal.
 */
export async function holdings(desk: ReturnType<typeof testDesk>['desk'], ids: string[]) {
  const out: Record<string, unknown> = {};
  for (const id of ids) {
    const customer = await desk.store.getCustomer(id);
    const conversations = await desk.store.listConversations({ customerId: id, limit: 100 });
    const messages = await desk.store.listMessages({ customerId: id }, { limit: 1000 });
    out[id] = {
      identities: customer?.identities,
      traits: customer?.traits,
      displayName: customer?.displayName,
      mergedInto: customer?.mergedInto,
      conversations: conversations.map((c) => [c.id, c.customerId]),
      messages: messages.map((m) => [m.id, m.customerId, m.conversationId]),
    };
  }
  return out;
}
