import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { slack } from '../../../src/channels/slack/index.js';
import type { RawRequest } from '../../../src/core/channel.js';
import { ValidationError } from '../../../src/model/errors.js';
import { InboundMessage } from '../../../src/model/inbound.js';
import { onlyMessage } from '../adapter-kit.js';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/slack');
const adapter = slack({ signingSecret: 'secret', botToken: 'xoxb-test', botUserId: 'U0BOT' });

function raw(file: string): RawRequest {
  const body = readFileSync(path.join(fixtures, file), 'utf8');
  return {
    method: 'POST',
    url: 'https://host.example/webhooks/slack',
    headers: { 'content-type': 'application/json' },
    body,
  };
}

const only = async (file: string) => onlyMessage(await adapter.parse(raw(file)));

const shared = {
  slackChannel: 'C0SHARED',
  slackTeam: 'T0CUST',
  slackChannelType: 'channel',
  slackExtShared: true,
};

describe('slack parse', () => {
  it("a customer's message in a shared channel: team-qualified verified identity, unescaped text", async () => {
    expect(await only('message_channel.json')).toEqual({
      channel: 'slack',
      channelKind: 'slack',
      from: { kind: 'slack', value: 'T0CUST:U0CUSTANN', verified: true },
      parts: [{ type: 'text', text: 'Our SSO login fails since this morning & the error says <403>' }],
      externalId: 'C0SHARED:1767225600.000100',
      createdAt: 1767225600000,
      meta: { ...shared, slackTs: '1767225600.000100', slackEventId: 'Ev0SHARED01' },
    });
  });

  it('a thread reply points at the thread root and keeps thread_ts in meta', async () => {
    const message = await only('message_thread_reply.json');
    expect(message.replyTo).toBe('C0SHARED:1767225600.000100');
    expect(message.meta).toMatchObject({ slackThreadTs: '1767225600.000100', slackTs: '1767225700.000200' });
    expect(message.parts).toEqual([{ type: 'text', text: 'Still failing for <@U0AGENT>' }]);
  });

  it('file_share gives a text part and media parts for files that have a URL', async () => {
    const message = await only('message_file_share.json');
    expect(message.parts).toEqual([
      { type: 'text', text: 'Screenshot attached' },
      {
        type: 'media',
        url: 'https://files.slack.com/files-pri/T0ACME-F0SCREEN/error.png',
        mimeType: 'image/png',
        filename: 'error.png',
        size: 48213,
      },
    ]);
    expect(message.meta?.slackSubtype).toBe('file_share');
  });

  it('an edit is a new message pointing at the original through meta.editOf', async () => {
    const message = await only('message_changed.json');
    expect(message).toMatchObject({
      from: { kind: 'slack', value: 'T0CUST:U0CUSTANN', verified: true },
      parts: [{ type: 'text', text: 'Our SAML login fails since this morning' }],
      externalId: 'C0SHARED:1767225600.000100:edit:1767225900.000000',
      createdAt: 1767225900000,
      meta: { editOf: 'C0SHARED:1767225600.000100', slackTs: '1767225600.000100' },
    });
  });

  it('a thread_broadcast is a message in its thread', async () => {
    const message = await only('message_thread_broadcast.json');
    expect(message.externalId).toBe('C0SHARED:1767226000.000600');
    expect(message.replyTo).toBe('C0SHARED:1767225600.000100');
    expect(message.meta?.slackSubtype).toBe('thread_broadcast');
  });

  it('a direct message carries its im channel', async () => {
    expect((await only('message_im.json')).meta).toMatchObject({
      slackChannel: 'D0ANNDM',
      slackChannelType: 'im',
      slackExtShared: false,
    });
  });

  it.each([
    ['message_own_bot.json', 'C0SHARED:1767226200.000800'],
    ['message_bot.json', 'C0SHARED:1767226100.000700'],
  ])('%s is an echo, never a customer message', async (file, externalId) => {
    expect(await adapter.parse(raw(file))).toEqual([{ type: 'echo', channel: 'slack', externalId }]);
  });

  it('a message from botUserId without bot_id is an echo too', async () => {
    const body = raw('message_channel.json').body.replaceAll('U0CUSTANN', 'U0BOT');
    expect(await adapter.parse({ ...raw('message_channel.json'), body })).toEqual([
      { type: 'echo', channel: 'slack', externalId: 'C0SHARED:1767225600.000100' },
    ]);
  });

  it.each([
    'url_verification.json',
    'message_changed_unfurl.json',
    'message_channel_join.json',
    'reaction_added.json',
  ])('%s yields no events', async (file) => {
    expect(await adapter.parse(raw(file))).toEqual([]);
  });

  it('answers the url_verification handshake with its challenge as JSON', () => {
    expect(adapter.acknowledge?.(raw('url_verification.json'), [])).toEqual({
      status: 200,
      contentType: 'application/json',
      body: '{"challenge":"p4Qx7eVzN1a9-challenge-from-slack"}',
    });
    expect(adapter.acknowledge?.(raw('message_channel.json'), [])).toEqual({ status: 200 });
  });

  it('a malformed message event is a ValidationError naming the field', async () => {
    const envelope = JSON.parse(raw('message_channel.json').body) as { event: { ts: string } };
    envelope.event.ts = 'yesterday';
    const body = JSON.stringify(envelope);
    await expect(async () => adapter.parse({ ...raw('message_channel.json'), body })).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'event.ts',
    });
    await expect(async () =>
      adapter.parse({ ...raw('message_channel.json'), body: '{' }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

async function outcome(body: string): Promise<'events' | 'validation'> {
  try {
    const events = await adapter.parse({ method: 'POST', url: 'https://h/', headers: {}, body });
    for (const event of events) if (event.type === 'message') InboundMessage.parse(event.message);
    return 'events';
  } catch (error) {
    if (error instanceof ValidationError) return 'validation';
    throw error;
  }
}

describe('slack parse properties', () => {
  it('any JSON body yields events or a ValidationError, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        expect(['events', 'validation']).toContain(await outcome(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('any message-event-shaped body yields valid messages or a ValidationError', async () => {
    const fields = {
      user: fc.constantFrom('U1', 'U0BOT', ''),
      bot_id: fc.constantFrom('B1', ''),
      text: fc.string(),
      ts: fc.constantFrom('1767225600.000100', '1', 'x'),
      thread_ts: fc.constantFrom('1767225600.000100', '1767225601.5'),
      subtype: fc.constantFrom(
        'file_share',
        'message_changed',
        'thread_broadcast',
        'bot_message',
        'channel_join',
      ),
      files: fc.array(
        fc.record({ url_private: fc.string(), size: fc.integer(), name: fc.string() }, { requiredKeys: [] }),
      ),
      edited: fc.record({ ts: fc.constantFrom('1767225700.000000', 'bad') }),
    };
    const inner = fc.record(fields, { requiredKeys: [] });
    const event = fc.record(
      {
        ...fields,
        type: fc.constant('message'),
        channel: fc.constantFrom('C1', ''),
        message: inner,
        previous_message: inner,
      },
      {
        requiredKeys: ['type'],
      },
    );
    const envelope = fc.record(
      { type: fc.constant('event_callback'), team_id: fc.constantFrom('T1', ''), event },
      { requiredKeys: ['type', 'event'] },
    );
    await fc.assert(
      fc.asyncProperty(envelope, async (value) => {
        expect(['events', 'validation']).toContain(await outcome(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });
});
