import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { telegram } from '../../../src/channels/telegram/index.js';
import type { RawRequest } from '../../../src/core/channel.js';
import { createDesk } from '../../../src/index.js';
import { SignatureError, ValidationError } from '../../../src/model/errors.js';
import { InboundMessage } from '../../../src/model/inbound.js';

const secretToken = 'tl-secret_0123456789';
const adapter = telegram({ botToken: '6000000001:AAE-test_token', secretToken });
const body =
  '{"update_id":1,"message":{"message_id":1,"from":{"id":5,"first_name":"A"},"chat":{"id":5,"type":"private"},"date":1,"text":"hi"}}';

function request(headers: Record<string, string>, text = body): RawRequest {
  return { method: 'POST', url: 'https://host.example/webhooks/telegram', headers, body: text };
}

describe('telegram verify', () => {
  it('accepts the configured secret token', async () => {
    await expect(
      adapter.verify(request({ 'x-telegram-bot-api-secret-token': secretToken })),
    ).resolves.toBeUndefined();
  });

  it.each([
    ['a wrong token', { 'x-telegram-bot-api-secret-token': 'tl-secret_0123456788' }],
    ['a prefix of the token', { 'x-telegram-bot-api-secret-token': 'tl-secret' }],
    ['an empty header', { 'x-telegram-bot-api-secret-token': '' }],
    ['no header', {}],
  ])('rejects %s with a SignatureError', async (_name, headers) => {
    await expect(adapter.verify(request(headers))).rejects.toBeInstanceOf(SignatureError);
  });

  it('rejects malformed options at construction, naming the field', () => {
    expect(() => telegram({ botToken: '6000000001:AAE', secretToken: 'has space' })).toThrow(/secretToken/);
    expect(() => telegram({ botToken: 'nope', secretToken })).toThrow(ValidationError);
    expect(() => telegram({ botToken: '1:a', secretToken, apiBaseUrl: 'not a url' })).toThrow(/apiBaseUrl/);
  });
});

describe('telegram published samples', () => {
  const samples = path.resolve(import.meta.dirname, '../../../../shared/provider-samples/telegram');
  const present = existsSync(samples);
  if (!present)
    console.warn(`!!! provider samples not found at ${samples}: skipping the published-sample check`);

  it.skipIf(!present)('every published Update verifies and parses to valid messages', async () => {
    const files = readdirSync(samples).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const raw = request(
        { 'x-telegram-bot-api-secret-token': secretToken },
        readFileSync(path.join(samples, file), 'utf8'),
      );
      await adapter.verify(raw);
      const events = await adapter.parse(raw);
      expect(events, file).toHaveLength(1);
      for (const event of events) {
        expect(event.type).toBe('message');
        if (event.type === 'message')
          expect(InboundMessage.safeParse(event.message).success, file).toBe(true);
      }
    }
  });
});

const desk = createDesk({ channels: [adapter] });
let emitted = 0;
desk.onAny(() => {
  emitted++;
});

/** Parses and ingests: a valid update is stored; any other is a ValidationError that stores nothing. */
async function outcome(raw: RawRequest): Promise<'events' | 'validation'> {
  const before = emitted;
  try {
    await desk.ingest(adapter.id, await adapter.parse(raw));
    return 'events';
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    expect(emitted, 'a refused update emits (so stores) nothing').toBe(before);
    return 'validation';
  }
}

const user = fc.record(
  { id: fc.integer(), first_name: fc.string(), is_bot: fc.boolean() },
  { requiredKeys: ['id'] },
);
const message = fc.record(
  {
    message_id: fc.integer(),
    from: user,
    chat: fc.record({ id: fc.integer(), type: fc.constantFrom('private', 'group', 'channel') }),
    date: fc.nat(),
    text: fc.string(),
    caption: fc.string(),
    photo: fc.array(fc.record({ file_id: fc.string(), width: fc.nat(), height: fc.nat() })),
    location: fc.record({ latitude: fc.double(), longitude: fc.double() }),
    contact: fc.record({ phone_number: fc.string(), first_name: fc.string(), user_id: fc.integer() }),
    reply_to_message: fc.record({ message_id: fc.integer() }),
  },
  { requiredKeys: [] },
);

describe('telegram parse properties', () => {
  it('any JSON body yields events or a ValidationError, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        expect(['events', 'validation']).toContain(await outcome(request({}, JSON.stringify(value))));
      }),
      { numRuns: 300 },
    );
  });

  it('any Update-shaped body is stored or refused with a ValidationError', async () => {
    const update = fc.record(
      {
        update_id: fc.integer(),
        message,
        edited_message: message,
        callback_query: fc.record({ id: fc.string(), from: user, data: fc.string() }),
      },
      { requiredKeys: ['update_id'] },
    );
    await fc.assert(
      fc.asyncProperty(update, async (value) => {
        expect(['events', 'validation']).toContain(await outcome(request({}, JSON.stringify(value))));
      }),
      { numRuns: 500 },
    );
  });
});
