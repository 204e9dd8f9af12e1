import type { DeliveryOptions } from '../../src/channels/shared/provider-client.js';
import type { OutboundDelivery } from '../../src/core/channel.js';
import type { Identity } from '../../src/model/identity.js';
import type { InboundEvent, InboundMessage } from '../../src/model/inbound.js';
import type { Part } from '../../src/model/parts.js';
import type { ChannelKind, Json } from '../../src/model/records.js';

const at = '2026-01-01T00:00:00.000Z';

/** A complete OutboundDelivery for one queued message, as the desk's outbox hands it to `send`. */
export function outboundDelivery(options: {
  channel: string;
  channelKind: ChannelKind;
  to: Pick<Identity, 'kind' | 'value'>;
  parts: Part[];
  meta?: Record<string, Json>;
  attempt?: number;
  thread?: OutboundDelivery['thread'];
}): OutboundDelivery {
  const to: Identity = {
    ...options.to,
    verified: true,
    source: options.channel,
    linkedAt: at,
    lastSeenAt: at,
  };
  return {
    message: {
      id: 'msg_01',
      conversationId: 'conv_01',
      customerId: 'cus_01',
      brandId: 'default',
      channel: options.channel,
      channelKind: options.channelKind,
      direction: 'outbound',
      author: { type: 'agent', id: 'agent_1' },
      parts: options.parts,
      status: 'queued',
      to: `${to.kind}:${to.value}`,
      createdAt: at,
      at: Date.parse(at),
      version: 1,
      ...(options.meta && { meta: options.meta }),
    },
    conversation: {
      id: 'conv_01',
      brandId: 'default',
      customerId: 'cus_01',
      status: 'open',
      priority: 'normal',
      tags: [],
      channels: [options.channel],
      lastInboundChannel: options.channel,
      lastInboundAtMs: { [options.channel]: Date.parse(at) },
      messageCount: 2,
      createdAt: at,
      updatedAt: at,
      version: 1,
    },
    customer: {
      id: 'cus_01',
      brandId: 'default',
      traits: {},
      identities: [to],
      createdAt: at,
      updatedAt: at,
      version: 1,
    },
    to,
    idempotencyKey: 'msg_01',
    attempt: options.attempt ?? 1,
    ...(options.thread && { thread: options.thread }),
  };
}

/** The one message event a webhook must yield; throws (failing the test) on anything else. */
export function onlyMessage(events: InboundEvent[]): InboundMessage {
  const [event, ...rest] = events;
  if (event?.type !== 'message' || rest.length > 0) {
    throw new Error(`expected exactly one message event, got ${JSON.stringify(events)}`);
  }
  return event.message;
}

/** Delivery options that keep retry tests fast: two retries, 20 ms backoff, 2 s timeout. */
export function fastDelivery(maxRetryAfterMs?: number): DeliveryOptions {
  return {
    retries: 2,
    backoffLimitMs: 20,
    timeoutMs: 2000,
    ...(maxRetryAfterMs !== undefined && { maxRetryAfterMs }),
  };
}
