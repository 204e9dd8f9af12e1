import type { KyInstance } from 'ky';
import type { OutboundDelivery, SendResult } from '../../core/channel.js';
import { DeliveryError } from '../../model/errors.js';
import { createProviderClient, type DeliveryOptions, deliver } from '../shared/provider-client.js';
import { SlackApiResponse } from './schema.js';

/** Slack `error` codes worth another attempt later; every other code is final. */
const retryableErrors = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/**
 * The Web API client: the shared retrying ky client with the bot token as bearer. HTTP 429 with a
 * Retry-After up to `maxRetryAfterMs` is waited out inside the send; a longer one goes back to the
 * outbox as a retryable DeliveryError carrying `retryAfterMs` (the shared client's rule).
 */
export function createSlackClient(
  channel: string,
  baseUrl: string,
  botToken: string,
  delivery: DeliveryOptions,
): KyInstance {
  const headers = { authorization: `Bearer ${botToken}`, 'content-type': 'application/json; charset=utf-8' };
  return createProviderClient({ ...delivery, baseUrl, channel, headers });
}

function describe(body: unknown): { code?: string; message?: string } {
  const parsed = SlackApiResponse.safeParse(body);
  return parsed.data?.error ? { code: parsed.data.error, message: parsed.data.error } : {};
}

/** Calls one Web API method with a JSON body; Slack's `ok: false` becomes a DeliveryError. */
async function callApi(
  client: KyInstance,
  channel: string,
  method: string,
  json: Record<string, unknown>,
  signal: AbortSignal | undefined,
): Promise<SlackApiResponse> {
  const body = await deliver(
    channel,
    () => client.post(method, { json, ...(signal && { signal }) }).json(),
    describe,
  );
  const parsed = SlackApiResponse.safeParse(body);
  if (!parsed.success)
    throw new DeliveryError(`${channel}: ${method} gave an unexpected answer`, {
      retryable: false,
      status: 200,
    });
  const answer = parsed.data;
  if (!answer.ok) {
    const code = answer.error ?? 'unknown_error';
    throw new DeliveryError(`${channel}: ${method} failed: ${code}`, {
      retryable: retryableErrors.has(code),
      status: 200,
      providerCode: code,
    });
  }
  return answer;
}

/** Slack message text is mrkdwn: `&`, `<` and `>` must be escaped. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A URL inside `<url|label>`: `|` would end the URL and `<`, `>` the link, so they are percent-encoded. */
function linkTarget(url: string): string {
  return url.replace(/[|<>]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Longest `text` of `chat.postMessage`: Slack truncates a message longer than 40,000 characters
 * (chat.postMessage, "Truncating content"). Counted on the text as sent, escapes and links included.
 */
export const SLACK_MAX_TEXT = 40_000;

/**
 * The text of an outbound message: text parts, then media as links (`<url|name>`), which Slack
 * unfurls. Throws a final DeliveryError, before any call, for part types Slack cannot carry and
 * for a text longer than {@link SLACK_MAX_TEXT} once escaped and joined (Slack would cut it).
 */
export function slackText(channel: string, delivery: OutboundDelivery): string {
  const text = delivery.message.parts
    .map((part) => {
      if (part.type === 'text') return escapeMrkdwn(part.text);
      if (part.type === 'media') {
        const label = part.caption ?? part.filename;
        const url = linkTarget(part.url);
        return label ? `<${url}|${escapeMrkdwn(label).replace(/\|/g, '/')}>` : `<${url}>`;
      }
      throw new DeliveryError(`${channel}: Slack cannot send ${part.type} parts`, { retryable: false });
    })
    .join('\n\n');
  if (text.length > SLACK_MAX_TEXT) {
    throw new DeliveryError(
      `${channel}: the message text is ${text.length} characters once escaped; Slack keeps at most ${SLACK_MAX_TEXT}`,
      { retryable: false },
    );
  }
  return text;
}

/** A Slack message id this adapter made (`${channel}:${ts}`, maybe `:edit:...`): its channel. */
const slackMessageId = /^([CDG][A-Z0-9]+):\d+\.\d+(:|$)/;

/**
 * Where to post, in order: `meta.slackChannel` (and `meta.slackThreadTs`) of the outbound message
 * when the reply names them; the channel of the conversation's latest Slack message
 * (`delivery.thread.inReplyTo`, top level: its thread root is unknown there); else a direct
 * message to the customer's Slack user, opened with `conversations.open`.
 */
async function target(
  client: KyInstance,
  channel: string,
  delivery: OutboundDelivery,
): Promise<Record<string, string>> {
  const meta = delivery.message.meta ?? {};
  if (typeof meta.slackChannel === 'string' && meta.slackChannel) {
    const threadTs = meta.slackThreadTs;
    return typeof threadTs === 'string'
      ? { channel: meta.slackChannel, thread_ts: threadTs }
      : { channel: meta.slackChannel };
  }
  const latest = slackMessageId.exec(delivery.thread?.inReplyTo ?? '');
  if (latest) return { channel: latest[1]! };
  if (delivery.to.kind !== 'slack') {
    throw new DeliveryError(`${channel}: cannot send to a ${delivery.to.kind} identity`, {
      retryable: false,
    });
  }
  // Identity values are `${team}:${user}`; user ids are what conversations.open takes.
  const user = delivery.to.value.slice(delivery.to.value.lastIndexOf(':') + 1);
  const opened = await callApi(client, channel, 'conversations.open', { users: user }, delivery.signal);
  const id = typeof opened.channel === 'object' ? opened.channel.id : undefined;
  if (!id)
    throw new DeliveryError(`${channel}: conversations.open returned no channel`, {
      retryable: false,
      status: 200,
    });
  return { channel: id };
}

/** Sends an outbound message with `chat.postMessage`; the result's id is `${channel}:${ts}`. */
export async function sendSlackMessage(
  client: KyInstance,
  channel: string,
  delivery: OutboundDelivery,
): Promise<SendResult> {
  const text = slackText(channel, delivery);
  const where = await target(client, channel, delivery);
  const answer = await callApi(client, channel, 'chat.postMessage', { ...where, text }, delivery.signal);
  const posted = typeof answer.channel === 'string' ? answer.channel : where.channel;
  if (!answer.ts)
    throw new DeliveryError(`${channel}: chat.postMessage returned no ts`, { retryable: false, status: 200 });
  return { externalId: `${posted}:${answer.ts}` };
}
