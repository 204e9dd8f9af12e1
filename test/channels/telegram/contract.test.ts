import { readFileSync } from 'node:fs';
import path from 'node:path';
import { telegram } from '../../../src/channels/telegram/index.js';
import type { RawRequest } from '../../../src/core/channel.js';
import { describeChannelContract } from '../../../src/testing/channel-contract.js';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/telegram');
const secretToken = 'contract_secret-token';

function request(
  file: string,
  headers: Record<string, string> = { 'x-telegram-bot-api-secret-token': secretToken },
): RawRequest {
  const body = readFileSync(path.join(fixtures, file), 'utf8');
  return {
    method: 'POST',
    url: 'https://host.example/webhooks/telegram',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  };
}

const signed = [
  'text_private.json',
  'photo_caption.json',
  'contact_self.json',
  'edited_message.json',
  'callback_query.json',
];

describeChannelContract(
  'telegram',
  () => telegram({ botToken: '6000000001:AAE-contract', secretToken }),
  {
    signed: signed.map((file) => request(file)),
    unsigned: [
      request('text_private.json', {}),
      request('text_private.json', { 'x-telegram-bot-api-secret-token': 'other' }),
    ],
    malformed: [
      { ...request('text_private.json'), body: '{"update_id":"one"}' },
      { ...request('text_private.json'), body: '[' },
    ],
  },
  {
    skip: [
      {
        reason: 'Telegram authenticates with a secret token header; nothing signs the body',
        tests: ['refuses a signed body with one byte changed'],
      },
    ],
  },
);
