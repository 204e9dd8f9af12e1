import * as z from 'zod';

// Events API shapes, reduced to the fields Threadline reads
// (https://docs.slack.dev/apis/events-api/, https://docs.slack.dev/reference/events/message/).

const id = z.string().min(1).max(256);
const ts = z.string().regex(/^\d{1,12}(\.\d{1,9})?$/, 'expected a Slack timestamp like 1596183880.004200');

/** A file shared in a message (`file_share` subtype). Files hidden by plan limits have no URL. */
export const SlackFile = z.object({
  id: id.optional(),
  name: z.string().max(1024).optional(),
  mimetype: z.string().max(255).optional(),
  size: z.number().int().nonnegative().optional(),
  url_private: z.string().max(4096).optional(),
  mode: z.string().max(64).optional(),
});

/** The message fields shared by an event and the `message` inside `message_changed`. */
const MessageFields = z.object({
  type: z.string().max(64).optional(),
  subtype: z.string().max(64).optional(),
  user: id.optional(),
  bot_id: id.optional(),
  team: id.optional(),
  user_team: id.optional(),
  text: z.string().max(65_536).optional(),
  ts: ts.optional(),
  thread_ts: ts.optional(),
  files: z.array(SlackFile).max(100).optional(),
  edited: z.object({ user: id.optional(), ts }).optional(),
});
export type SlackMessageFields = z.infer<typeof MessageFields>;

/** The inner `event` of an `event_callback` whose type is `message`. */
export const SlackMessageEvent = MessageFields.extend({
  type: z.literal('message'),
  channel: id,
  channel_type: z.string().max(64).optional(),
  ts,
  message: MessageFields.optional(),
  previous_message: MessageFields.optional(),
});
export type SlackMessageEvent = z.infer<typeof SlackMessageEvent>;

/** An Events API request body: `url_verification`, `event_callback` or another envelope type. */
export const SlackEnvelope = z.object({
  type: z.string().max(64),
  challenge: z.string().max(1024).optional(),
  team_id: id.optional(),
  event_id: id.optional(),
  event_time: z.number().optional(),
  is_ext_shared_channel: z.boolean().optional(),
  event: z.looseObject({ type: z.string().max(128) }).optional(),
});
export type SlackEnvelope = z.infer<typeof SlackEnvelope>;

/** A Web API answer: `ok`, and `error` when not ok. */
export const SlackApiResponse = z.object({
  ok: z.boolean(),
  error: z.string().optional(),
  channel: z.union([z.string(), z.object({ id: z.string() })]).optional(),
  ts: z.string().optional(),
});
export type SlackApiResponse = z.infer<typeof SlackApiResponse>;
