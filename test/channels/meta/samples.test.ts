import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { instagram, messenger, whatsappCloud } from '../../../src/channels/meta/index.js';
import type { ChannelAdapter } from '../../../src/core/channel.js';
import { InboundMessage, StatusUpdate } from '../../../src/model/inbound.js';
import { post, sharedSamples } from './helpers.js';

// Runs every real-format sample in ../shared/provider-samples (when present) through
// verify + parse, signed with the vectors published or derived beside them.

interface Vectors {
  published: {
    name: string;
    inputs: { appSecret?: string; secret?: string; body?: string; bodyFile?: string };
    expected: string;
  }[];
  derived_not_published: { vectors: { file: string; appSecret: string; expectedSignature: string }[] };
}

/**
 * courier's WhatsApp samples come from the synthetic sender `5678`, which is no possible phone
 * number: the adapter skips such a message (the desk would refuse it), so the checks of what a
 * sample parses into read it from a real number of courier's country (+250, Rwanda).
 */
const realSender = (body: string) => body.replaceAll('"from": "5678"', '"from": "250788123200"');

const factories: Record<string, (appSecret: string) => ChannelAdapter> = {
  'whatsapp-cloud': (appSecret) =>
    whatsappCloud({ appSecret, verifyToken: 'v', accessToken: 't', phoneNumberId: '1' }),
  messenger: (appSecret) => messenger({ appSecret, verifyToken: 'v', pageAccessToken: 't' }),
  instagram: (appSecret) => instagram({ appSecret, verifyToken: 'v', pageAccessToken: 't' }),
};

for (const [folder, make] of Object.entries(factories)) {
  const dir = sharedSamples(folder);
  describe.skipIf(!dir)(`meta: shared ${folder} samples`, () => {
    const root = path.dirname(dir ?? '.');
    const vectors = dir
      ? (JSON.parse(readFileSync(path.join(dir, 'vectors.json'), 'utf8')) as Vectors)
      : undefined;

    it('every published SHA-256 vector verifies; SHA-1 ones are not accepted', async () => {
      for (const vector of vectors?.published ?? []) {
        const secret = vector.inputs.appSecret ?? vector.inputs.secret ?? '';
        const body = vector.inputs.bodyFile
          ? readFileSync(path.join(root, vector.inputs.bodyFile), 'utf8')
          : (vector.inputs.body ?? '');
        const adapter = make(secret);
        if (vector.expected.startsWith('sha1=')) {
          await expect(adapter.verify(post(body, undefined, vector.expected))).rejects.toThrow(/signature/);
          continue;
        }
        const header = vector.expected.startsWith('sha256=') ? vector.expected : `sha256=${vector.expected}`;
        await expect(adapter.verify(post(body, undefined, header)), vector.name).resolves.toBeUndefined();
      }
    });

    it('every sample verifies with its derived signature and parses into valid events', async () => {
      const files = vectors?.derived_not_published.vectors ?? [];
      expect(files.length).toBeGreaterThan(3);
      for (const { file, appSecret, expectedSignature } of files) {
        const raw = post(readFileSync(path.join(root, file), 'utf8'), undefined, expectedSignature);
        const adapter = make(appSecret);
        await adapter.verify(raw);
        const events = await adapter.parse({ ...raw, body: realSender(raw.body) });
        expect(events.length, file).toBeGreaterThan(0);
        for (const event of events) {
          if (event.type === 'message')
            expect(InboundMessage.safeParse(event.message).success, file).toBe(true);
          if (event.type === 'status') expect(StatusUpdate.safeParse(event.status).success, file).toBe(true);
        }
      }
    });
  });
}

const whatsappDir = sharedSamples('whatsapp-cloud');
const messengerDir = sharedSamples('messenger');
const instagramDir = sharedSamples('instagram');

async function parseSample(adapter: ChannelAdapter, dir: string, file: string) {
  return adapter.parse(post(realSender(readFileSync(path.join(dir, file), 'utf8')), undefined));
}

describe.skipIf(!whatsappDir || !messengerDir || !instagramDir)('meta: shared samples, odd cases', () => {
  it('WhatsApp: 4-byte emoji reaction, zero latitude, failed status with its code', async () => {
    const wa = factories['whatsapp-cloud']!('x');
    const [reaction] = await parseSample(wa, whatsappDir!, 'reaction_emoji.json');
    expect(reaction?.type === 'message' && reaction.message.parts).toEqual([
      { type: 'reaction', emoji: '😮', targetExternalId: 'wamid.yzxyzx=' },
    ]);
    const [location] = await parseSample(wa, whatsappDir!, 'location.json');
    expect(location?.type === 'message' && location.message.parts?.[0]).toMatchObject({
      latitude: 0,
      longitude: 1,
    });
    const [failed] = await parseSample(wa, whatsappDir!, 'status_failed.json');
    expect(failed?.type === 'status' && failed.status.error?.code).toBe('130472');
  });

  it('WhatsApp: a message from a sender that is no possible phone number is refused naming `from`', async () => {
    const wa = factories['whatsapp-cloud']!('x');
    const body = readFileSync(path.join(whatsappDir!, 'location.json'), 'utf8');
    await expect(async () => wa.parse(post(body, undefined))).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'entry[0].changes[0].value.messages[0].from',
    });
  });

  it('Messenger: the thumbs-up sticker is marked as a like; a location uses `long`', async () => {
    const fb = factories.messenger!('x');
    const [like] = await parseSample(fb, messengerDir!, 'sticker_like.json');
    expect(like?.type === 'message' && like.message.meta).toEqual({
      messenger: {
        recipientId: '1234567890',
        stickerId: '369239263222822',
        like: true,
        attachmentTypes: ['image'],
      },
    });
    const [location] = await parseSample(fb, messengerDir!, 'location_attachment.json');
    expect(location?.type === 'message' && location.message.parts).toEqual([
      { type: 'location', latitude: 1.2, longitude: -1.3 },
    ]);
  });

  it('Instagram: like_heart without payload, unsent message', async () => {
    const ig = factories.instagram!('x');
    const [heart] = await parseSample(ig, instagramDir!, 'like_heart.json');
    expect(heart?.type === 'message' && heart.message.parts).toEqual([{ type: 'text', text: '❤️' }]);
    const [unsent] = await parseSample(ig, instagramDir!, 'unsent_message.json');
    expect(unsent?.type === 'message' && [unsent.message.externalId, unsent.message.replyTo]).toEqual([
      'external_id#unsent',
      'external_id',
    ]);
  });
});
