import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  mailgunInbound,
  postmarkEmail,
  postmarkInbound,
  sendgridInbound,
} from '../../../src/channels/email/index.js';
import { SignatureError, ValidationError } from '../../../src/model/errors.js';
import { fixture, rawRequest, samplesDir } from './helpers.js';

const basicAuth = { username: 'postmark', password: 's3cret-pässword' };
const authHeader = `Basic ${Buffer.from('postmark:s3cret-pässword', 'utf8').toString('base64')}`;
const json = (body: string, headers: Record<string, string> = {}) =>
  rawRequest(body, 'application/json', headers);

describe('postmarkEmail', () => {
  it('is the Postmark adapter under the name of the design examples: it verifies and parses the same way', async () => {
    const body = fixture('postmark-inbound-reply.json', 'utf8');
    const adapter = postmarkEmail({ basicAuth });
    expect(adapter.id).toBe('postmark');
    expect(adapter.kind).toBe('email');
    await expect(adapter.verify(json(body))).rejects.toBeInstanceOf(SignatureError);
    const request = json(body, { authorization: authHeader });
    expect(await adapter.parse(request)).toEqual(await postmarkInbound({ basicAuth }).parse(request));
  });
});

describe('postmarkInbound verify', () => {
  const adapter = postmarkInbound({ basicAuth });
  const body = fixture('postmark-inbound-reply.json', 'utf8');

  it('accepts the Basic auth credentials embedded in the webhook URL', async () => {
    await expect(adapter.verify(json(body, { authorization: authHeader }))).resolves.toBeUndefined();
  });

  it('rejects a request without an Authorization header', async () => {
    await expect(adapter.verify(json(body))).rejects.toThrow(
      new SignatureError('postmark: the request carries no Authorization header'),
    );
  });

  it('rejects wrong credentials', async () => {
    const wrong = `Basic ${Buffer.from('postmark:guess').toString('base64')}`;
    await expect(adapter.verify(json(body, { authorization: wrong }))).rejects.toThrow(
      new SignatureError('postmark: Basic auth credentials do not match'),
    );
  });

  it('checks the credentials as they are now, after a change to the options object', async () => {
    const rotating = { username: 'postmark', password: 'first' };
    const rotated = postmarkInbound({ basicAuth: rotating });
    const header = (password: string) => `Basic ${Buffer.from(`postmark:${password}`).toString('base64')}`;
    await expect(rotated.verify(json(body, { authorization: header('first') }))).resolves.toBeUndefined();
    rotating.password = 'second';
    await expect(rotated.verify(json(body, { authorization: header('first') }))).rejects.toThrow(
      SignatureError,
    );
    await expect(rotated.verify(json(body, { authorization: header('second') }))).resolves.toBeUndefined();
  });

  it('accepts every request when no basicAuth is configured (documented risk)', async () => {
    await expect(postmarkInbound().verify(json(body))).resolves.toBeUndefined();
  });

  it('refuses empty credentials and malformed options at construction, naming the option', () => {
    const fieldOf = (make: () => unknown) => {
      try {
        make();
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).field;
      }
      throw new Error('no error thrown');
    };
    expect(fieldOf(() => postmarkInbound({ basicAuth: { username: 'a', password: '' } }))).toBe('basicAuth');
    expect(fieldOf(() => postmarkInbound({ from: { address: 'not-an-address' } }))).toBe('from.address');
    expect(fieldOf(() => postmarkInbound({ domain: 'mail example.com' }))).toBe('domain');
    expect(fieldOf(() => sendgridInbound({ signature: { publicKey: '' } }))).toBe('signature.publicKey');
    expect(fieldOf(() => mailgunInbound({ signingKey: '' }))).toBe('signingKey');
  });
});

describe('postmarkInbound parse', () => {
  const adapter = postmarkInbound({ id: 'support-mail', basicAuth });

  it('turns a threaded reply with attachments into one message event', async () => {
    const events = await adapter.parse(json(fixture('postmark-inbound-reply.json', 'utf8')));
    expect(events).toHaveLength(1);
    const event = events[0]!;
    if (event.type !== 'message') throw new Error('expected a message event');
    const { meta, ...message } = event.message;
    expect(message).toEqual({
      channel: 'support-mail',
      channelKind: 'email',
      from: { kind: 'email', value: 'ana.souza@example.org', verified: true },
      displayName: 'Ana Souza',
      // The fixture is addressed to reply+conv_42@inbound.example.com.
      conversationId: 'conv_42',
      externalId: 'CAF=reply.4471@mail.gmail.com',
      replyTo: 'threadline-0192f5a0-7c2b-7d11-a1b2-c3d4e5f60718@example.com',
      references: [
        'CAF=first.1001@mail.gmail.com',
        'threadline-0192f5a0-7c2b-7d11-a1b2-c3d4e5f60718@example.com',
      ],
      subject: 'Re: Router keeps disconnecting',
      createdAt: '2026-11-25T08:00:00.000Z',
      parts: [
        {
          type: 'text',
          text: 'Thanks, that fixed it. One more question: can I change the invoice address?\n\nBest,\nAna',
        },
        {
          type: 'media',
          url: 'attachment:invoice.pdf',
          mimeType: 'application/pdf',
          filename: 'invoice.pdf',
          size: 25,
        },
        {
          type: 'media',
          url: 'cid:ii_screenshot01',
          mimeType: 'image/png',
          filename: 'screenshot.png',
          size: 37,
        },
      ],
    });
    expect(meta?.originalText).toContain('> Hi Ana, please try restarting the router.');
    expect(meta?.html).toContain('gmail_quote');
    expect(meta?.providerMessageId).toBe('5d3b6c1e-2f4a-4b8c-9d0e-1f2a3b4c5d6e');
  });

  it('prefers Postmark StrippedTextReply when it is present', async () => {
    const payload = JSON.parse(fixture('postmark-inbound-reply.json', 'utf8'));
    payload.StrippedTextReply = 'Provider-stripped reply';
    const [event] = await adapter.parse(json(JSON.stringify(payload)));
    expect(event?.type === 'message' && event.message.parts?.[0]).toEqual({
      type: 'text',
      text: 'Provider-stripped reply',
    });
  });

  it('marks the sender unverified without a Received-SPF pass', async () => {
    const payload = JSON.parse(fixture('postmark-inbound-reply.json', 'utf8'));
    payload.Headers = payload.Headers.filter((header: { Name: string }) => header.Name !== 'Received-SPF');
    const [event] = await adapter.parse(json(JSON.stringify(payload)));
    expect(event?.type === 'message' && event.message.from).toEqual({
      kind: 'email',
      value: 'ana.souza@example.org',
      verified: false,
    });
  });

  it('throws ValidationError naming the field for a body that is not JSON or has no sender', async () => {
    await expect(adapter.parse(json('{not json'))).rejects.toThrow(ValidationError);
    const error = await Promise.resolve(adapter.parse(json('{"Subject":"x","TextBody":"y"}'))).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('FromFull.Email');
    const typed = await Promise.resolve(adapter.parse(json('{"FromFull":{"Email":42}}'))).catch((e) => e);
    expect((typed as ValidationError).field).toBe('FromFull.Email');
  });
});

describe('postmarkInbound on the shared provider samples', () => {
  const dir = samplesDir('postmark-inbound');
  it.skipIf(!dir)('verifies and parses every sample into one message event', async () => {
    const adapter = postmarkInbound();
    const files = readdirSync(dir!).filter((name) => name.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const raw = json(readFileSync(path.join(dir!, file), 'utf8'));
      await adapter.verify(raw);
      const events = await adapter.parse(raw);
      expect(events, file).toHaveLength(1);
      expect(events[0]?.type, file).toBe('message');
    }
    // Parsed by an adapter with credentials: only then does Postmark's SPF result verify the sender.
    const [captured] = await postmarkInbound({ basicAuth }).parse(
      json(readFileSync(path.join(dir!, 'captured_with_attachments.json'), 'utf8')),
    );
    if (captured?.type !== 'message') throw new Error('expected a message');
    expect(captured.message.externalId).toBe('26ECCA85-47DE-4E66-827A-B35E34874F26@opennorth.ca');
    expect(captured.message.from).toEqual({ kind: 'email', value: 'james@opennorth.ca', verified: true });
    expect(captured.message.parts?.[0]).toEqual({
      type: 'text',
      text: 'bold text\n\n\n\nsome more bold text\n\n\n\nsome italic text',
    });
  });
});
