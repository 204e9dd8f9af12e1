import { describe, expect, it } from 'vitest';
import { signBody, webchat } from '../../../src/channels/webchat/index.js';
import type { OutboundDelivery, RawRequest } from '../../../src/core/channel.js';
import { describeChannelContract } from '../../../src/testing/channel-contract.js';

const secret = 'chat-secret-0123456789';

function raw(body: string, headers: Record<string, string> = {}): RawRequest {
  return {
    method: 'POST',
    url: 'https://app.example.com/webhooks/webchat',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  };
}

async function signed(body: string): Promise<RawRequest> {
  return raw(body, { 'x-threadline-signature': await signBody(secret, body) });
}

describe('webchat', () => {
  it('parses a visitor message with text and a message id', async () => {
    const events = await webchat({ id: 'site-chat', secret }).parse(
      raw('{"visitorId":"v-42","text":"Hello","messageId":"m-1"}'),
    );
    expect(events).toEqual([
      {
        type: 'message',
        message: {
          channel: 'site-chat',
          channelKind: 'webchat',
          from: { kind: 'webchat', value: 'v-42', verified: false },
          text: 'Hello',
          externalId: 'm-1',
        },
      },
    ]);
  });

  it('parses parts instead of text', async () => {
    const body = JSON.stringify({
      visitorId: 'v-1',
      parts: [{ type: 'location', latitude: 1, longitude: 2 }],
    });
    const [event] = await webchat({ secret }).parse(raw(body));
    expect(event?.type === 'message' && event.message.parts).toEqual([
      { type: 'location', latitude: 1, longitude: 2 },
    ]);
  });

  it('names the missing field of a malformed message', async () => {
    const adapter = webchat({ secret });
    expect(() => adapter.parse(raw('{"visitorId":"v-1"}'))).toThrow(
      'Invalid webchat message: text: either text or parts is required',
    );
    expect(() => adapter.parse(raw('{"text":"hi"}'))).toThrow(/visitorId/);
    expect(() => adapter.parse(raw('nope'))).toThrow(
      'Invalid webchat message: (root): the body is not valid JSON',
    );
  });

  it('accepts only requests the host signed, and none without a secret', async () => {
    const body = '{"visitorId":"v-1","text":"hi"}';
    await expect(webchat({ secret }).verify(await signed(body))).resolves.toBeUndefined();
    await expect(webchat({ secret }).verify(raw(body))).rejects.toThrow(
      'webchat: the request carries no signature',
    );
    await expect(webchat().verify(await signed(body))).rejects.toThrow(
      'webchat: no secret is set, so no webhook is accepted',
    );
  });

  it('marks a reply delivered locally under its own message id', async () => {
    const delivery = { message: { id: 'msg-9' } } as OutboundDelivery;
    await expect(webchat().send(delivery)).resolves.toEqual({ externalId: 'msg-9', status: 'delivered' });
    expect(webchat().contentTypes).toEqual(['application/json']);
  });
});

describeChannelContract('webchat', () => webchat({ secret }), {
  signed: await Promise.all([
    signed('{"visitorId":"v-1","text":"Hi there"}'),
    signed('{"visitorId":"v-2","parts":[{"type":"text","text":"x"}],"messageId":"m-2"}'),
  ]),
  unsigned: [raw('{"visitorId":"v-1","text":"Hi"}')],
  malformed: await Promise.all([
    signed('{"visitorId":"","text":"x"}'),
    signed('[]'),
    signed('{"visitorId":"v","text":""}'),
  ]),
});
