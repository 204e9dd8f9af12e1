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
