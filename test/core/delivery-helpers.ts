import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeliveryOptions } from '../../src/channels/shared/provider-client.js';
import { twilioSms } from '../../src/channels/twilio/index.js';
import type {
  ChannelAdapter,
  ChannelCapabilities,
  OutboundDelivery,
  SendResult,
} from '../../src/core/channel.js';
import type { DeskEvent } from '../../src/model/events.js';
import {
  type ScriptedApiServer,
  type ScriptedResponse,
  startScriptedApi,
} from '../channels/scripted-api-server.js';
import { sms, testDesk } from './helpers.js';

/** Servers on 127.0.0.1 that the delivery tests start, closed by {@link closeServers}. */
const open: (() => Promise<void>)[] = [];
let latest: ScriptedApiServer | undefined;

/** The scripted API the last {@link twilioAgainst} started: the requests it saw. */
export function lastApi(): ScriptedApiServer {
  if (!latest) throw new Error('no scripted API was started');
  return latest;
}

/** Closes every server a test started (call it in `afterEach`). */
export async function closeServers(): Promise<void> {
  latest = undefined;
  for (const close of open.splice(0)) await close();
}

/** A Twilio message sid. */
export const sid = (n: number) => `SM${String(n).padStart(32, '0')}`;

/** Twilio's answer to a created message. */
export const created = (n: number): ScriptedResponse => ({
  status: 201,
  json: { sid: sid(n), status: 'queued' },
});

/** A Twilio SMS adapter sending to `url`: fast retries, 1 s max in-send Retry-After unless overridden. */
export function twilioAt(url: string, delivery: DeliveryOptions = {}): ChannelAdapter {
  return twilioSms({
    id: 'sms',
    accountSid: `AC${'0f'.repeat(16)}`,
    authToken: 'token',
    from: '+14155550100',
    apiBaseUrl: url,
    delivery: { retries: 2, backoffLimitMs: 20, timeoutMs: 2000, maxRetryAfterMs: 1000, ...delivery },
  });
}

/** A Twilio SMS adapter against a scripted 127.0.0.1 API. */
export async function twilioAgainst(
  respond: Parameters<typeof startScriptedApi>[0],
  delivery: DeliveryOptions = {},
): Promise<ChannelAdapter> {
  const api = await startScriptedApi(respond);
  latest = api;
  open.push(() => api.close());
  return twilioAt(api.url, delivery);
}

/** A bare node:http server on 127.0.0.1, for answers a script cannot give: silence, resets, endless bodies. */
export async function rawServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  const server: Server = createServer(handler);
  open.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Sends one SMS through a desk's outbox, as a host would: receive, reply, flush. */
export async function sendOne(adapter: ChannelAdapter) {
  const t = testDesk({ channels: [adapter], outbox: { autoStart: false, retryBaseMs: 1 } });
  const { conversation } = await t.desk.receive(sms('+14155550123'));
  const message = await t.desk.reply(conversation.id, { text: 'hi' });
  return { ...t, message };
}

/** An in-process adapter whose sends the test controls one by one. */
export function manualAdapter(id: string, kind: ChannelAdapter['kind']) {
  const calls: {
    delivery: OutboundDelivery;
    resolve: (r: SendResult) => void;
    reject: (e: unknown) => void;
  }[] = [];
  let arrived: (() => void) | undefined;
  const adapter: ChannelAdapter = {
    id,
    kind,
    capabilities: {
      parts: ['text'],
      recipientKinds: kind === 'email' ? ['email'] : kind === 'whatsapp' ? ['whatsapp', 'phone'] : ['phone'],
    },
    verify: async () => {},
    parse: () => [],
    send: (delivery) =>
      new Promise<SendResult>((resolve, reject) => {
        calls.push({ delivery, resolve, reject });
        arrived?.();
      }),
  };
  const nextCall = async () => {
    const seen = calls.length;
    while (calls.length <= seen) await new Promise<void>((resolve) => (arrived = resolve));
    return calls[seen]!;
  };
  return { adapter, calls, nextCall };
}

/**
 * An in-process adapter answering each send from a script (default: success), its capabilities
 * those of {@link manualAdapter} with `capabilities` over them.
 */
export function scriptedAdapter(
  id: string,
  kind: ChannelAdapter['kind'],
  outcomes: (Error | 'ok')[] = [],
  capabilities: Partial<ChannelCapabilities> = {},
) {
  const sent: OutboundDelivery[] = [];
  const base = manualAdapter(id, kind).adapter;
  const adapter: ChannelAdapter = {
    ...base,
    capabilities: { ...base.capabilities, ...capabilities },
    send: async (delivery) => {
      sent.push(delivery);
      const outcome = outcomes.shift() ?? 'ok';
      if (outcome !== 'ok') throw outcome;
      return { externalId: `${id}-${sent.length}` };
    },
  };
  return { adapter, sent };
}

/** The status moves in `events`: [channel, from, to]. */
export const statusMoves = (events: DeskEvent[]) =>
  events.flatMap((e) =>
    e.type === 'message.status' ? [[e.message.channel, e.previous, e.message.status]] : [],
  );
