import { describe, expect, it } from 'vitest';
import { instagram, messenger } from '../../../src/channels/meta/index.js';
import { ValidationError } from '../../../src/model/errors.js';
import { InboundMessage } from '../../../src/model/inbound.js';
import { APP_SECRET, fixture, post, VERIFY_TOKEN } from './helpers.js';

const options = { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN, pageAccessToken: 'EAAP-test' };
const fb = messenger(options);
const ig = instagram(options);
const PSID = '6823451098734521';
const IGSID = '17841400000000001';

async function parse(adapter: typeof fb, name: string) {
  const raw = post(fixture(`${adapter.kind}/${name}.json`), APP_SECRET);
  await adapter.verify(raw);
  return adapter.parse(raw);
}

/** The message event every fixture of `kind` shares, with what differs per fixture. */
function expected(
  kind: 'messenger' | 'instagram',
  externalId: string,
  parts: unknown[],
  meta: Record<string, unknown>,
) {
  const [sender, recipientId] =
    kind === 'messenger' ? [PSID, '109876543210987'] : [IGSID, '17841412345678901'];
  return {
    type: 'message',
    message: {
      channel: kind,
      channelKind: kind,
      from: { kind, value: sender, verified: true },
      parts,
      externalId,
      createdAt: 1_764_057_600_123,
      meta: { [kind]: { recipientId, ...meta } },
    },
  };
}
const fbMessage = (externalId: string, parts: unknown[], meta: Record<string, unknown> = {}) =>
  expected('messenger', externalId, parts, meta);
const igMessage = (externalId: string, parts: unknown[], meta: Record<string, unknown> = {}) =>
  expected('instagram', externalId, parts, meta);

describe('messenger: parse', () => {
  it('a text message, from the PSID', async () => {
    expect(await parse(fb, 'text')).toEqual([
      fbMessage('m_TL-msg-0001', [{ type: 'text', text: 'Do you ship to Canada?' }]),
    ]);
  });

  it('an image attachment becomes a media part', async () => {
    expect(await parse(fb, 'image')).toEqual([
      fbMessage(
        'm_TL-msg-0002',
        [{ type: 'media', url: 'https://scontent.example.net/v/t1.15752-9/receipt.jpg' }],
        {
          attachmentTypes: ['image'],
        },
      ),
    ]);
  });

  it('a postback becomes a text part with its payload in meta', async () => {
    expect(await parse(fb, 'postback')).toEqual([
      fbMessage('m_TL-pb-0001', [{ type: 'text', text: 'Talk to a person' }], {
        postback: true,
        postbackPayload: 'HANDOFF',
      }),
    ]);
  });

  it('a delivery marks every listed mid delivered', async () => {
    const status = (externalId: string) => ({
      type: 'status',
      status: { channel: 'messenger', externalId, status: 'delivered', at: 1_764_057_600_999 },
    });
    expect(await parse(fb, 'delivery')).toEqual([status('m_TL-out-0001'), status('m_TL-out-0002')]);
  });

  it('a read watermark names no message, so it yields nothing', async () => {
    expect(await parse(fb, 'read')).toEqual([]);
  });

  it('an echo of our own send is an echo event carrying the metadata as idempotency key', async () => {
    expect(await parse(fb, 'echo')).toEqual([
      {
        type: 'echo',
        channel: 'messenger',
        externalId: 'm_TL-out-0003',
        idempotencyKey: 'msg_01JDB5Z7K3S9V4Q2W8E6R1T0YA',
      },
    ]);
  });

  it('reactions, quick replies and quoted replies', () => {
    const body = {
      object: 'page',
      entry: [
        {
          id: '1',
          time: 1,
          messaging: [
            {
              sender: { id: PSID },
              timestamp: 5,
              reaction: { mid: 'm_out', action: 'react', reaction: 'love', emoji: '❤️' },
            },
            { sender: { id: PSID }, timestamp: 6, reaction: { mid: 'm_out', action: 'unreact' } },
            {
              sender: { id: PSID },
              timestamp: 7,
              message: {
                mid: 'm_in',
                text: 'Yes',
                quick_reply: { payload: 'YES' },
                reply_to: { mid: 'm_out' },
              },
            },
          ],
        },
      ],
    };
    const events = fb.parse(post(JSON.stringify(body), undefined)) as {
      type: string;
      message: InboundMessage;
    }[];
    expect(
      events.map((e) => [e.message.externalId, e.message.parts, e.message.replyTo, e.message.meta]),
    ).toEqual([
      [
        `reaction:m_out:${PSID}:5`,
        [{ type: 'reaction', emoji: '❤️', targetExternalId: 'm_out' }],
        undefined,
        { messenger: { reaction: 'love' } },
      ],
      [
        `reaction:m_out:${PSID}:6`,
        [{ type: 'reaction', emoji: '', targetExternalId: 'm_out' }],
        undefined,
        { messenger: { reactionRemoved: true } },
      ],
      ['m_in', [{ type: 'text', text: 'Yes' }], 'm_out', { messenger: { quickReplyPayload: 'YES' } }],
    ]);
  });

  it('an instagram body on a messenger channel is a ValidationError on `object`', () => {
    expect(() => fb.parse(post(fixture('instagram/text.json'), undefined))).toThrow(
      /object: expected "page"/,
    );
  });

  it('a message without a sender is a ValidationError naming the path', () => {
    const body = JSON.parse(fixture('messenger/text.json'));
    delete body.entry[0].messaging[0].sender;
    expect(() => fb.parse(post(JSON.stringify(body), undefined))).toThrow(ValidationError);
    expect(() => fb.parse(post(JSON.stringify(body), undefined))).toThrow(
      /entry\[0\]\.messaging\[0\]\.sender/,
    );
  });
});

describe('instagram: parse', () => {
  it('a text message, from the IGSID', async () => {
    expect(await parse(ig, 'text')).toEqual([
      igMessage('aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx', [
        { type: 'text', text: 'Is the blue one back in stock?' },
      ]),
    ]);
  });

  it('an image attachment', async () => {
    expect(await parse(ig, 'image')).toEqual([
      igMessage(
        'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQy',
        [{ type: 'media', url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1800000000000001' }],
        { attachmentTypes: ['image'] },
      ),
    ]);
  });

  it('a story mention says so and links the story', async () => {
    expect(await parse(ig, 'story-mention')).toEqual([
      igMessage(
        'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQz',
        [
          { type: 'text', text: '(mentioned you in their story)' },
          { type: 'media', url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1800000000000002' },
        ],
        { attachmentTypes: ['story_mention'] },
      ),
    ]);
  });

  it('an unsent message becomes a notice with its own id, pointing at the original', async () => {
    const original = 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx';
    const expected = igMessage(
      `${original}#unsent`,
      [{ type: 'text', text: '(the customer unsent a message)' }],
      {
        unsent: true,
      },
    );
    expect(await parse(ig, 'unsent')).toEqual([
      { ...expected, message: { ...expected.message, replyTo: original } },
    ]);
  });

  it('a like_heart and an Instagram read receipt', () => {
    const body = {
      object: 'instagram',
      entry: [
        {
          id: '1',
          messaging: [
            {
              sender: { id: IGSID },
              timestamp: 9,
              message: { mid: 'ig_1', attachments: [{ type: 'like_heart' }] },
            },
            { sender: { id: IGSID }, timestamp: 10, read: { mid: 'ig_out_1' } },
          ],
        },
      ],
    };
    expect(ig.parse(post(JSON.stringify(body), undefined))).toEqual([
      {
        type: 'message',
        message: {
          channel: 'instagram',
          channelKind: 'instagram',
          from: { kind: 'instagram', value: IGSID, verified: true },
          parts: [{ type: 'text', text: '❤️' }],
          externalId: 'ig_1',
          createdAt: 9,
          meta: { instagram: { attachmentTypes: ['like_heart'] } },
        },
      },
      { type: 'status', status: { channel: 'instagram', externalId: 'ig_out_1', status: 'read', at: 10 } },
    ]);
  });

  it('every parsed fixture message satisfies the InboundMessage schema', async () => {
    for (const [adapter, names] of [
      [fb, ['text', 'image', 'postback']],
      [ig, ['text', 'image', 'story-mention', 'unsent']],
    ] as const) {
      for (const name of names) {
        for (const event of await parse(adapter, name)) {
          if (event.type === 'message') expect(InboundMessage.safeParse(event.message).success).toBe(true);
        }
      }
    }
  });
});
