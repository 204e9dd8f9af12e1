import { describe, expect, it } from 'vitest';
import { instagram, messenger, whatsappCloud } from '../../../src/channels/meta/index.js';
import { SignatureError, ValidationError } from '../../../src/model/errors.js';
import { APP_SECRET, fixture, handshakeRequest, post, VERIFY_TOKEN } from './helpers.js';

const common = { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN };
const wa = whatsappCloud({ ...common, accessToken: 'EAAG-test', phoneNumberId: '106540352242922' });
const adapters = [
  wa,
  messenger({ ...common, pageAccessToken: 'EAAP-test' }),
  instagram({ ...common, pageAccessToken: 'EAAI-test' }),
];

// Published known answers (see /work/shared/provider-samples/whatsapp-cloud/README.md):
// courier's TestSigning, GitHub's webhook docs (the identical construction), and a real Meta
// delivery captured by pywa.
const published = [
  {
    secret: 'sesame',
    body: 'hello world',
    hex: 'f39034b29165ec6a5104d9aef27266484ab26c8caa7bca8bcb2dd02e8be61b17',
  },
  {
    secret: 'sesame',
    body: 'hello world2',
    hex: '60905fdf409d0b4f721e99f6f25b31567a68a6b45e933d814e17a246be4c5a53',
  },
  {
    secret: "It's a Secret to Everybody",
    body: 'Hello, World!',
    hex: '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
  },
];

const pywaBody =
  '{"object":"whatsapp_business_account","entry":[{"id":"264937493375603","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550953877","phone_number_id":"277321005464405"},"contacts":[{"profile":{"name":"PyWa Tests"},"wa_id":"972544401243"}],"messages":[{"from":"972544401243","id":"wamid.HBgMOTcyNTQ0NDAxMjQzFQIAEhggM0RFQTNCMEEwRTY3QzUwODYzMDc4NjQ4QzM4ODAxM0YA","timestamp":"1730231903","text":{"body":"Hey there! I am using PyWa."},"type":"text"}]},"field":"messages"}]}]}';

describe('meta: X-Hub-Signature-256', () => {
  for (const { secret, body, hex } of published) {
    it(`accepts the published vector for ${JSON.stringify(body)}`, async () => {
      const adapter = messenger({ appSecret: secret, verifyToken: 'x', pageAccessToken: 'y' });
      await expect(adapter.verify(post(body, undefined, `sha256=${hex}`))).resolves.toBeUndefined();
      await expect(adapter.verify(post(`${body} `, undefined, `sha256=${hex}`))).rejects.toBeInstanceOf(
        SignatureError,
      );
    });
  }

  it('accepts the real WhatsApp delivery captured by pywa (511 bytes)', async () => {
    expect(new TextEncoder().encode(pywaBody).length).toBe(511);
    const adapter = whatsappCloud({
      appSecret: '1222e786b144d0e85b9f365372d93676',
      verifyToken: 'x',
      accessToken: 'y',
      phoneNumberId: '277321005464405',
    });
    const signature = 'sha256=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441';
    await expect(adapter.verify(post(pywaBody, undefined, signature))).resolves.toBeUndefined();
    const events = await adapter.parse(post(pywaBody, undefined, signature));
    expect(events).toHaveLength(1);
  });

  for (const adapter of adapters) {
    it(`${adapter.id}: a body signed with the app secret verifies, emoji included`, async () => {
      await expect(
        adapter.verify(post(fixture('whatsapp/reaction.json'), APP_SECRET)),
      ).resolves.toBeUndefined();
    });

    it(`${adapter.id}: a tampered body, a wrong secret or a missing header is a SignatureError`, async () => {
      const body = fixture('whatsapp/text.json');
      const tampered = post(
        body.replace('4411', '4412'),
        undefined,
        post(body, APP_SECRET).headers['x-hub-signature-256'],
      );
      await expect(adapter.verify(tampered)).rejects.toThrow(/signature does not match/);
      await expect(adapter.verify(post(body, 'another-secret'))).rejects.toBeInstanceOf(SignatureError);
      await expect(adapter.verify(post(body, undefined))).rejects.toThrow(/carries no signature/);
    });
  }

  it('does not accept the legacy SHA-1 X-Hub-Signature alone', async () => {
    // bottender's published legacy vector: FAKE_SECRET over `{}`.
    const adapter = messenger({ appSecret: 'FAKE_SECRET', verifyToken: 'x', pageAccessToken: 'y' });
    const raw = post('{}', undefined);
    raw.headers['x-hub-signature'] = 'sha1=1c99183cb7c44ea27fb834746086b65b89800db8';
    await expect(adapter.verify(raw)).rejects.toBeInstanceOf(SignatureError);
  });
});

describe('meta: webhook handshake', () => {
  for (const adapter of adapters) {
    it(`${adapter.id}: the right verify token echoes hub.challenge as text/plain`, async () => {
      const reply = await adapter.handshake?.(
        handshakeRequest({
          'hub.mode': 'subscribe',
          'hub.verify_token': VERIFY_TOKEN,
          'hub.challenge': '1158201444',
        }),
      );
      expect(reply).toEqual({ status: 200, body: '1158201444', contentType: 'text/plain; charset=utf-8' });
    });

    it(`${adapter.id}: a wrong verify token is answered 403`, async () => {
      const reply = await adapter.handshake?.(
        handshakeRequest({ 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '1' }),
      );
      expect(reply?.status).toBe(403);
    });
  }

  it('a GET without the hub parameters is answered 400, a POST is not a handshake', async () => {
    expect((await wa.handshake?.(handshakeRequest({})))?.status).toBe(400);
    expect(
      (
        await wa.handshake?.(
          handshakeRequest({
            'hub.mode': 'unsubscribe',
            'hub.verify_token': VERIFY_TOKEN,
            'hub.challenge': '1',
          }),
        )
      )?.status,
    ).toBe(400);
    expect(await wa.handshake?.(handshakeRequest({ 'hub.mode': 'subscribe' }, 'POST'))).toBeUndefined();
  });
});

describe('meta: options', () => {
  it('defaults ids to the kind and declares the channel rules', () => {
    expect(adapters.map((a) => [a.id, a.kind])).toEqual([
      ['whatsapp', 'whatsapp'],
      ['messenger', 'messenger'],
      ['instagram', 'instagram'],
    ]);
    expect(adapters.map((a) => a.capabilities.replyWindowMs)).toEqual([86_400_000, 86_400_000, 86_400_000]);
    expect(adapters.map((a) => a.capabilities.recipientKinds)).toEqual([
      ['whatsapp', 'phone'],
      ['messenger'],
      ['instagram'],
    ]);
    expect(wa.capabilities.templates).toBe(true);
  });

  it('a missing or malformed option is a ValidationError naming it', () => {
    const bad = () => whatsappCloud({ ...common, accessToken: '', phoneNumberId: '+1 555 0100' });
    expect(bad).toThrow(ValidationError);
    expect(bad).toThrow(/accessToken[\s\S]*phoneNumberId/);
    expect(() => messenger({ ...common, pageAccessToken: 't', apiVersion: '24' })).toThrow(/apiVersion/);
    expect(() => instagram({ verifyToken: 'v', pageAccessToken: 't' } as never)).toThrow(/appSecret/);
    expect(() => messenger({ ...common, pageAccessToken: 't', apiBaseUrl: 'ftp://x' })).toThrow(/apiBaseUrl/);
  });
});
