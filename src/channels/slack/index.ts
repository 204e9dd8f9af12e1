import * as z from 'zod';
import type { ChannelAdapter, ChannelCapabilities, RawRequest, WebhookReply } from '../../core/channel.js';
import { ValidationError } from '../../model/errors.js';
import type { DeliveryOptions } from '../shared/provider-client.js';
import { challengeOf, parseSlackEvent } from './parse.js';
import { createSlackClient, SLACK_MAX_TEXT, sendSlackMessage } from './send.js';
import { verifySlackRequest } from './verify.js';

export { slackSignature } from './verify.js';

/** Options of {@link slack}. */
export interface SlackOptions {
  /** Adapter id, the last segment of the webhook URL. Default `slack`. */
  id?: string;
  /** The app's Signing Secret (Basic Information > App Credentials). */
  signingSecret: string;
  /** The bot token (`xoxb-...`) used for `chat.postMessage` and `conversations.open`. */
  botToken: string;
  /**
   * The bot's own user id (`auth.test` answers it). Messages from it are reported as echoes of
   * our own posts, never as customer messages. Messages carrying a `bot_id` always are.
   */
  botUserId?: string;
  /** Web API base URL. Default `https://slack.com/api`. */
  apiBaseUrl?: string;
  /** Oldest accepted `X-Slack-Request-Timestamp`, in seconds from now. Default 300. */
  replayWindowSec?: number;
  /** Epoch-ms clock for the replay window. Default `Date.now`. */
  clock?: () => number;
  /** Timeouts and retries of outbound calls. */
  delivery?: DeliveryOptions;
}

const Options = z.object({
  id: z.string().min(1).max(128).optional(),
  signingSecret: z.string().min(1),
  botToken: z.string().min(1),
  botUserId: z.string().min(1).optional(),
  apiBaseUrl: z.url().optional(),
  replayWindowSec: z.number().positive().optional(),
  clock: z.function().optional(),
  delivery: z.looseObject({}).optional(),
});

const capabilities: ChannelCapabilities = {
  parts: ['text', 'media'],
  maxTextLength: SLACK_MAX_TEXT,
  recipientKinds: ['slack'],
};

function acknowledge(raw: RawRequest): WebhookReply {
  const challenge = challengeOf(raw.body);
  if (challenge === undefined) return { status: 200 };
  return { status: 200, body: JSON.stringify({ challenge }), contentType: 'application/json' };
}

/**
 * A Slack channel (kind `slack`) for Slack Connect and shared channels where customers write:
 * receives Events API `message` events, answers the `url_verification` handshake, and posts
 * with `chat.postMessage`.
 *
 * Customers are identified by `{ kind: 'slack', value: '${team}:${user}' }` (verified). Replies
 * go to `meta.slackChannel` / `meta.slackThreadTs` of the reply when set, else to a direct
 * message with the user.
 *
 * @throws ValidationError when an option is missing or malformed.
 * @example
 * ```ts
 * const channel = slack({ signingSecret: env.SLACK_SIGNING_SECRET, botToken: env.SLACK_BOT_TOKEN, botUserId: 'U0BOT' });
 * ```
 */
export function slack(options: SlackOptions): ChannelAdapter {
  const checked = Options.safeParse(options);
  if (!checked.success) throw ValidationError.fromZod('slack options', checked.error);
  const id = options.id ?? 'slack';
  const baseUrl = options.apiBaseUrl ?? 'https://slack.com/api';
  const client = createSlackClient(id, baseUrl, options.botToken, options.delivery ?? {});
  const verifyContext = {
    channel: id,
    signingSecret: options.signingSecret,
    replayWindowSec: options.replayWindowSec ?? 300,
    clock: options.clock ?? Date.now,
  };
  const parseContext = { channel: id, botUserId: options.botUserId };
  return {
    id,
    kind: 'slack',
    capabilities,
    contentTypes: ['application/json'],
    verify: (raw) => verifySlackRequest(verifyContext, raw),
    parse: (raw) => parseSlackEvent(parseContext, raw.body),
    acknowledge,
    send: (delivery) => sendSlackMessage(client, id, delivery),
  };
}

export type { DeliveryOptions } from '../shared/provider-client.js';
