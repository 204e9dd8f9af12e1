import { slack } from '../../../src/channels/slack/index.js';
import type { RawRequest } from '../../../src/core/channel.js';
import { describeChannelContract } from '../../../src/testing/channel-contract.js';
import { signedHeaders, slackFixture } from './signed-request.js';

const signingSecret = 'contract-signing-secret';
const now = 1767225600;

function request(body: string, secret = signingSecret, timestamp = String(now)): RawRequest {
  return {
    method: 'POST',
    url: 'https://host.example/webhooks/slack',
    headers: signedHeaders(secret, timestamp, body),
    body,
  };
}

const file = slackFixture;
const signed = [
  'message_channel.json',
  'message_file_share.json',
  'message_changed.json',
  'message_own_bot.json',
  'message_im.json',
];

describeChannelContract(
  'slack',
  () => slack({ signingSecret, botToken: 'xoxb-contract', botUserId: 'U0BOT', clock: () => now * 1000 }),
  {
    signed: signed.map((name) => request(file(name))),
    unsigned: [
      request(file('message_channel.json'), 'wrong-secret'),
      request(file('message_channel.json'), signingSecret, String(now - 3600)),
      { ...request(file('message_channel.json')), headers: { 'content-type': 'application/json' } },
    ],
    malformed: [
      request('{"type":"event_callback","event":{"type":"message","channel":"C1","ts":"soon"}}'),
      request('{"type":'),
    ],
  },
);
