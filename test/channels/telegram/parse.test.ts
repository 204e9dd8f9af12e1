import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { telegram } from '../../../src/channels/telegram/index.js';
import type { RawRequest } from '../../../src/core/channel.js';
import { ValidationError } from '../../../src/model/errors.js';
import { onlyMessage } from '../adapter-kit.js';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/telegram');
const secretToken = 'tl-secret_0123456789';
const adapter = telegram({ botToken: '6000000001:AAE-test_token', secretToken });

function raw(file: string, headers: Record<string, string> = {}): RawRequest {
  return {
    method: 'POST',
    url: 'https://host.example/webhooks/telegram',
    headers: {
      'content-type': 'application/json',
      'x-telegram-bot-api-secret-token': secretToken,
      ...headers,
    },
    body: readFileSync(path.join(fixtures, file), 'utf8'),
  };
}

const ann = {
  channel: 'telegram',
  channelKind: 'telegram',
  from: { kind: 'telegram', value: '424242001', verified: true },
  displayName: 'Ann Lee',
};
const privateMeta = { telegramChatId: 424242001, telegramChatType: 'private', telegramUsername: 'annlee' };
const sent = 1767225600 * 1000;

const only = async (file: string) => onlyMessage(await adapter.parse(raw(file)));

describe('telegram parse', () => {
  it('a private text message becomes one verified-sender message keyed by chat and message id', async () => {
    expect(await only('text_private.json')).toEqual({
      ...ann,
      parts: [{ type: 'text', text: 'Hi, my order #5521 never arrived' }],
      externalId: '424242001:11',
      createdAt: sent,
      meta: { ...privateMeta, telegramUpdateId: 731000001 },
    });
  });

  it('keeps text entities in meta', async () => {
    const message = await only('entities.json');
    expect(message.meta?.telegramEntities).toEqual([{ offset: 0, length: 6, type: 'bot_command' }]);
  });

  it('an edit is a new message pointing at the original through meta.editOf', async () => {
    const message = await only('edited_message.json');
    expect(message.externalId).toBe('424242001:11:edit:1767225660');
    expect(message.meta?.editOf).toBe('424242001:11');
    expect(message.createdAt).toBe(1767225660 * 1000);
    expect(message.parts).toEqual([{ type: 'text', text: 'Hi, my order #5522 never arrived' }]);
  });

  it('a photo becomes its largest size as a telegram-file media part with the caption', async () => {
    expect((await only('photo_caption.json')).parts).toEqual([
      {
        type: 'media',
        url: 'telegram-file:AgACAgQAAxkBAAM-large',
        mimeType: 'image/jpeg',
        size: 61234,
        caption: 'The box was crushed',
      },
    ]);
  });

  it.each([
    [
      'document.json',
      {
        url: 'telegram-file:BQACAgQAAxkBAAM-doc',
        mimeType: 'application/pdf',
        filename: 'invoice-5521.pdf',
        size: 48213,
      },
    ],
    ['voice.json', { url: 'telegram-file:AwACAgQAAxkBAAM-voice', mimeType: 'audio/ogg', size: 9012 }],
    [
      'audio.json',
      {
        url: 'telegram-file:CQACAgQAAxkBAAM-audio',
        mimeType: 'audio/mpeg',
        filename: 'call.mp3',
        size: 2930011,
      },
    ],
    [
      'video.json',
      {
        url: 'telegram-file:BAACAgQAAxkBAAM-video',
        mimeType: 'video/mp4',
        size: 811234,
        caption: 'unboxing',
      },
    ],
    ['sticker.json', { url: 'telegram-file:CAACAgIAAxkBAAM-sticker', mimeType: 'image/webp', size: 27000 }],
  ])('%s becomes one media part', async (file, part) => {
    expect((await only(file)).parts).toEqual([{ type: 'media', ...part }]);
  });

  it('a location and a venue become location parts', async () => {
    expect((await only('location.json')).parts).toEqual([
      { type: 'location', latitude: 52.520008, longitude: 13.404954 },
    ]);
    expect((await only('venue.json')).parts).toEqual([
      {
        type: 'location',
        latitude: 48.858844,
        longitude: 2.294351,
        name: 'Eiffel Tower',
        address: 'Champ de Mars, 5 Av. Anatole France, Paris',
      },
    ]);
  });

  it("the sender's own contact adds a verified phone identity in E.164", async () => {
    const message = await only('contact_self.json');
    expect(message.parts).toEqual([{ type: 'contact', name: 'Ann Lee', phones: ['+4915112345678'] }]);
    expect(message.identities).toEqual([{ kind: 'phone', value: '+4915112345678', verified: true }]);
  });

  it("someone else's contact card adds no identity", async () => {
    const message = await only('contact_other.json');
    expect(message.parts).toEqual([{ type: 'contact', name: 'Bob', phones: ['+14155550123'] }]);
    expect(message.identities).toBeUndefined();
  });

  it('a reply points at the quoted message', async () => {
    expect((await only('reply.json')).replyTo).toBe('424242001:9');
  });

  it('a callback query with data becomes a text message, answered with answerCallbackQuery', async () => {
    const request = raw('callback_query.json');
    const events = await adapter.parse(request);
    expect(events).toEqual([
      {
        type: 'message',
        message: {
          ...ann,
          text: 'helpful:yes',
          externalId: 'callback:4382bfdwdsb323b2d9',
          replyTo: '424242001:9',
          meta: {
            telegramCallbackQueryId: '4382bfdwdsb323b2d9',
            telegramUpdateId: 731000017,
            telegramChatId: 424242001,
          },
        },
      },
    ]);
    expect(adapter.acknowledge?.(request, events)).toEqual({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ method: 'answerCallbackQuery', callback_query_id: '4382bfdwdsb323b2d9' }),
    });
    expect(adapter.acknowledge?.(raw('text_private.json'), [])).toEqual({ status: 200 });
  });

  it.each(['group_message.json', 'channel_post.json', 'poll.json', 'my_chat_member.json'])(
    '%s yields no events by default',
    async (file) => {
      expect(await adapter.parse(raw(file))).toEqual([]);
    },
  );

  it('group messages are accepted with acceptGroups, naming the group in meta', async () => {
    const groups = telegram({ botToken: '6000000001:AAE-test_token', secretToken, acceptGroups: true });
    const [event] = await groups.parse(raw('group_message.json'));
    expect(event?.type === 'message' && event.message).toMatchObject({
      from: { kind: 'telegram', value: '424242001', verified: true },
      externalId: '-1001234567890:301',
      meta: {
        telegramChatId: -1001234567890,
        telegramChatType: 'supergroup',
        telegramChatTitle: 'Acme customers',
      },
    });
  });

  it('a malformed update is a ValidationError naming the field', async () => {
    const bad = {
      ...raw('text_private.json'),
      body: '{"update_id":1,"message":{"message_id":"x","chat":{"id":1,"type":"private"},"date":1}}',
    };
    await expect(async () => adapter.parse(bad)).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'message.message_id',
    });
    await expect(async () => adapter.parse({ ...bad, body: 'not json' })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});
