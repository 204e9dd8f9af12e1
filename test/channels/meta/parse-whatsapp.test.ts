import { describe, expect, it } from 'vitest';
import { whatsappCloud } from '../../../src/channels/meta/index.js';
import { ValidationError } from '../../../src/model/errors.js';
import { InboundMessage } from '../../../src/model/inbound.js';
import { APP_SECRET, fixture, post, VERIFY_TOKEN } from './helpers.js';

const adapter = whatsappCloud({
  id: 'wa-support',
  appSecret: APP_SECRET,
  verifyToken: VERIFY_TOKEN,
  accessToken: 'EAAG-test',
  phoneNumberId: '106540352242922',
});

async function parse(name: string) {
  const raw = post(fixture(`whatsapp/${name}.json`), APP_SECRET);
  await adapter.verify(raw);
  return adapter.parse(raw);
}

/** The message every WhatsApp fixture shares, with what differs per fixture. */
function message(externalId: string, rest: Record<string, unknown>) {
  const { meta, ...fields } = rest;
  return {
    type: 'message',
    message: {
      channel: 'wa-support',
      channelKind: 'whatsapp',
      from: { kind: 'whatsapp', value: '+447700900123', verified: true },
      displayName: 'Maya Okafor',
      externalId,
      createdAt: 1_764_057_600_000,
      ...fields,
      meta: { whatsapp: { phoneNumberId: '106540352242922', ...(meta as object) } },
    },
  };
}

describe('whatsappCloud: parse', () => {
  it('a text message becomes one message with the profile name and the +wa_id identity', async () => {
    expect(await parse('text')).toEqual([
      message('wamid.TL0001', {
        parts: [{ type: 'text', text: 'Hi, my order #4411 has not arrived' }],
        meta: { type: 'text' },
      }),
    ]);
  });

  it('an image keeps its caption and names the media by id', async () => {
    expect(await parse('image-caption')).toEqual([
      message('wamid.TL0002', {
        parts: [
          {
            type: 'media',
            url: 'whatsapp-media:1198736452201934',
            mimeType: 'image/jpeg',
            caption: 'The box arrived crushed',
          },
        ],
        meta: { type: 'image' },
      }),
    ]);
  });

  it('a location, a contact card, a button reply', async () => {
    const [location] = await parse('location');
    expect(location).toEqual(
      message('wamid.TL0003', {
        parts: [
          {
            type: 'location',
            latitude: 51.5033,
            longitude: -0.1196,
            name: 'London Eye',
            address: 'Riverside Building, London SE1 7PB',
          },
        ],
        meta: { type: 'location' },
      }),
    );
    const [contact] = await parse('contacts');
    expect(contact).toEqual(
      message('wamid.TL0004', {
        parts: [
          { type: 'contact', name: 'Sam Lee', phones: ['+1 415 555 0100'], emails: ['sam@example.com'] },
        ],
        meta: { type: 'contacts' },
      }),
    );
    const [button] = await parse('interactive-button-reply');
    expect(button).toEqual(
      message('wamid.TL0005', {
        parts: [{ type: 'text', text: 'Yes, refund me' }],
        replyTo: 'wamid.OUT0001',
        meta: { type: 'interactive', interactiveType: 'button_reply', replyId: 'refund-yes' },
      }),
    );
  });

  it('a reaction targets the reacted message; an empty emoji means it was removed', async () => {
    expect(await parse('reaction')).toEqual([
      message('wamid.TL0006', {
        parts: [{ type: 'reaction', emoji: '👍', targetExternalId: 'wamid.OUT0002' }],
        meta: { type: 'reaction' },
      }),
    ]);
    expect(await parse('reaction-removed')).toEqual([
      message('wamid.TL0007', {
        parts: [{ type: 'reaction', emoji: '', targetExternalId: 'wamid.OUT0002' }],
        meta: { type: 'reaction', reactionRemoved: true },
      }),
    ]);
  });

  it('a quoted reply sets replyTo to context.id', async () => {
    const [event] = await parse('reply-context');
    expect(event).toEqual(
      message('wamid.TL0008', {
        parts: [{ type: 'text', text: 'Tuesday works for me' }],
        replyTo: 'wamid.OUT0003',
        meta: { type: 'text' },
      }),
    );
  });

  it('an unsupported type becomes a text part describing it', async () => {
    expect(await parse('unsupported')).toEqual([
      message('wamid.TL0009', {
        parts: [
          { type: 'text', text: '(unsupported WhatsApp message: poll_creation - Message type unknown)' },
        ],
        meta: { type: 'unsupported', errorCode: '131051', unsupported: 'poll_creation' },
      }),
    ]);
  });

  it('statuses become status events; a failure carries its code and details', async () => {
    const at = 1_764_057_660_000;
    const base = { channel: 'wa-support', externalId: 'wamid.OUT0001', at };
    expect(await parse('status-sent')).toEqual([{ type: 'status', status: { ...base, status: 'sent' } }]);
    expect(await parse('status-delivered')).toEqual([
      { type: 'status', status: { ...base, status: 'delivered' } },
    ]);
    expect(await parse('status-read')).toEqual([{ type: 'status', status: { ...base, status: 'read' } }]);
    expect(await parse('status-failed')).toEqual([
      {
        type: 'status',
        status: {
          ...base,
          status: 'failed',
          error: {
            code: '131047',
            message:
              'Re-engagement message: Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
          },
        },
      },
    ]);
  });

  it('every parsed fixture message satisfies the InboundMessage schema', async () => {
    for (const name of [
      'text',
      'image-caption',
      'location',
      'contacts',
      'interactive-button-reply',
      'reaction',
      'unsupported',
    ]) {
      for (const event of await parse(name)) {
        if (event.type === 'message') expect(InboundMessage.safeParse(event.message).success).toBe(true);
      }
    }
  });

  it('malformed bodies are ValidationErrors naming the field', () => {
    const body = JSON.parse(fixture('whatsapp/text.json'));
    body.entry[0].changes[0].value.messages[0].from = 'not-a-number';
    const error = (() => {
      try {
        adapter.parse(post(JSON.stringify(body), undefined));
      } catch (e) {
        return e;
      }
    })() as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.field).toBe('entry[0].changes[0].value.messages[0].from');
    expect(() => adapter.parse(post('{"object":"page","entry":[]}', undefined))).toThrow(/object/);
    expect(() => adapter.parse(post('not json', undefined))).toThrow(ValidationError);
    const missing = JSON.parse(fixture('whatsapp/image-caption.json'));
    delete missing.entry[0].changes[0].value.messages[0].image;
    expect(() => adapter.parse(post(JSON.stringify(missing), undefined))).toThrow(
      /messages\[0\]\.image: required/,
    );
  });

  it('changes of other fields yield no events', () => {
    const body = {
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'account_update', value: { x: 1 } }] }],
    };
    expect(adapter.parse(post(JSON.stringify(body), undefined))).toEqual([]);
  });
});
