import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mailgunInbound } from '../../../src/channels/email/index.js';
import { SignatureError, ValidationError } from '../../../src/model/errors.js';
import { fixture, rawRequest, samplesDir } from './helpers.js';

const signingKey = 'threadline-fixture-signing-key';
const fixtureTime = 1764057600_000;
const urlencoded = (body: string) => rawRequest(body, 'application/x-www-form-urlencoded');
const multipart = (body: string, boundary = 'mg-7f3a9c') =>
  rawRequest(body, `multipart/form-data; boundary=${boundary}`);
const adapter = (options: { clock?: () => number; tokenCacheSize?: number; key?: string } = {}) =>
  mailgunInbound({
    signingKey: options.key ?? signingKey,
    clock: options.clock ?? (() => fixtureTime + 10_000),
    tokenCacheSize: options.tokenCacheSize ?? 100,
  });

function withField(body: string, name: string, value: string): string {
  const params = new URLSearchParams(body);
  params.set(name, value);
  return params.toString();
}

describe('mailgunInbound signature', () => {
  // Mailgun's published vectors (mailgun-php WebhookTest, multi_mail receiver_spec): literal facts.
  it('accepts the official SDK vector and the real captures signed with key "foo"', async () => {
    const vector = {
      timestamp: '1403645220',
      token: '5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6',
      signature: '9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33',
    };
    const sdk = mailgunInbound({
      signingKey: 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0',
      clock: () => 1403645220_000,
    });
    await expect(sdk.verify(urlencoded(new URLSearchParams(vector).toString()))).resolves.toBeUndefined();
    const bad = { ...vector, token: 'owyldpe6nxhmrn78epljl6bj0orrki1u3d2v5e6cnlmmuox8jr' };
    await expect(sdk.verify(urlencoded(new URLSearchParams(bad).toString()))).rejects.toThrow(
      new SignatureError('mailgun: signature does not match'),
    );
    const foo = mailgunInbound({ signingKey: 'foo', clock: () => 1366071615_000 });
    const capture = {
      timestamp: '1366071615',
      token: '5o56tmpwd3dnwthehwclemd-i-7u2gv9vb3u745ywj67d0mc87',
      signature: 'bc2ab6c1080d52f2a06928b93f21e86c2d28c548e2ef64354f8ba1a95bb53cd6',
    };
    await expect(foo.verify(urlencoded(new URLSearchParams(capture).toString()))).resolves.toBeUndefined();
  });

  it('verifies both fixtures, whose signatures node:crypto computes independently', async () => {
    for (const [name, request] of [
      ['mailgun-parsed-urlencoded.txt', urlencoded(fixture('mailgun-parsed-urlencoded.txt', 'utf8'))],
      ['mailgun-parsed-multipart.txt', multipart(fixture('mailgun-parsed-multipart.txt', 'utf8'))],
    ] as const) {
      const fields = new URLSearchParams(fixture('mailgun-parsed-urlencoded.txt', 'utf8'));
      const oracle = createHmac('sha256', signingKey)
        .update(`${fields.get('timestamp')}${fields.get('token')}`)
        .digest('hex');
      expect(fields.get('signature'), name).toBe(oracle);
      await expect(adapter().verify(request), name).resolves.toBeUndefined();
    }
  });

  it('rejects a timestamp outside the replay window, either side', async () => {
    const body = fixture('mailgun-parsed-urlencoded.txt', 'utf8');
    const late = adapter({ clock: () => fixtureTime + 301_000 });
    await expect(late.verify(urlencoded(body))).rejects.toThrow(
      new SignatureError('mailgun: timestamp outside the 300 s replay window'),
    );
    const early = adapter({ clock: () => fixtureTime - 301_000 });
    await expect(early.verify(urlencoded(body))).rejects.toThrow(SignatureError);
  });

  it('rejects a tampered signature, token or timestamp, and a wrong key', async () => {
    const body = fixture('mailgun-parsed-urlencoded.txt', 'utf8');
    const signature = new URLSearchParams(body).get('signature')!;
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
    await expect(adapter().verify(urlencoded(withField(body, 'signature', flipped)))).rejects.toThrow(
      SignatureError,
    );
    await expect(adapter().verify(urlencoded(withField(body, 'token', 'x'.repeat(50))))).rejects.toThrow(
      SignatureError,
    );
    await expect(adapter().verify(urlencoded(withField(body, 'timestamp', '1764057601')))).rejects.toThrow(
      SignatureError,
    );
    await expect(adapter({ key: 'other-key' }).verify(urlencoded(body))).rejects.toThrow(SignatureError);
    await expect(adapter().verify(urlencoded(withField(body, 'signature', '')))).rejects.toThrow(
      new SignatureError('mailgun: the request carries no signature'),
    );
  });

  it('refuses a second use of a token with another body, and lets a retry of the same body pass', async () => {
    const once = adapter();
    const body = fixture('mailgun-parsed-urlencoded.txt', 'utf8');
    await once.verify(urlencoded(body));
    await expect(once.verify(urlencoded(body))).resolves.toBeUndefined();
    const forged = withField(body, 'stripped-text', 'Please wire the refund to a new account.');
    await expect(once.verify(urlencoded(forged))).rejects.toThrow(
      new SignatureError('mailgun: token already used with another body (replayed signature)'),
    );
    const forgetful = adapter({ tokenCacheSize: 0 });
    await forgetful.verify(urlencoded(body));
    await expect(forgetful.verify(urlencoded(body))).resolves.toBeUndefined();
  });

  it('turns an unreadable body into a SignatureError and requires a signing key', async () => {
    await expect(adapter().verify(rawRequest('{}', 'application/json'))).rejects.toThrow(SignatureError);
    expect(() => mailgunInbound({ signingKey: '' })).toThrow(ValidationError);
  });
});

describe('mailgunInbound parse', () => {
  const expected = {
    channel: 'mailgun',
    channelKind: 'email',
    from: { kind: 'email', value: 'claire.martin@example.fr', verified: true },
    displayName: 'Claire Martin',
    externalId: 'a1b2c3d4@example.fr',
    replyTo: 'threadline-0192f5a0-7c2b-7d11-a1b2-c3d4e5f60718@example.com',
    references: [
      'CAF=first.1001@mail.gmail.com',
      'threadline-0192f5a0-7c2b-7d11-a1b2-c3d4e5f60718@example.com',
    ],
    subject: 'Re: Votre demande',
    createdAt: '2026-11-25T08:00:00.000Z',
  };

  it('parses the urlencoded form, preferring Mailgun stripped-text', async () => {
    const [event] = await adapter().parse(urlencoded(fixture('mailgun-parsed-urlencoded.txt', 'utf8')));
    if (event?.type !== 'message') throw new Error('expected a message');
    const { meta, parts, ...message } = event.message;
    expect(message).toEqual(expected);
    expect(parts).toEqual([{ type: 'text', text: "Bonjour,\nMerci, c'est réglé." }]);
    expect(meta?.originalText).toContain('a écrit :');
    expect(meta?.to).toBe('support@mg.example.com');
  });

  it('parses the multipart form with its attachment', async () => {
    const [event] = await adapter().parse(multipart(fixture('mailgun-parsed-multipart.txt', 'utf8')));
    if (event?.type !== 'message') throw new Error('expected a message');
    const { meta: _meta, parts, ...message } = event.message;
    expect(message).toEqual(expected);
    expect(parts).toEqual([
      { type: 'text', text: "Bonjour,\nMerci, c'est réglé." },
      {
        type: 'media',
        url: 'attachment:journal.csv',
        mimeType: 'text/csv',
        filename: 'journal.csv',
        size: 24,
      },
    ]);
  });

  it('strips the reply itself when Mailgun sends no stripped-text', async () => {
    const body = new URLSearchParams(fixture('mailgun-parsed-urlencoded.txt', 'utf8'));
    body.delete('stripped-text');
    const [event] = await adapter().parse(urlencoded(body.toString()));
    expect(event?.type === 'message' && event.message.parts).toEqual([
      { type: 'text', text: "Bonjour,\nMerci, c'est réglé." },
    ]);
  });

  it('throws ValidationError naming from when there is no sender', async () => {
    const error = await Promise.resolve(adapter().parse(urlencoded('subject=hi&body-plain=x'))).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('from');
  });
});

describe('mailgunInbound on the shared provider samples', () => {
  const dir = samplesDir('mailgun-routes');
  const sample = (name: string) => readFileSync(path.join(dir!, name), 'utf8');

  it.skipIf(!dir)('verifies the captures signed with "foo" and parses them', async () => {
    for (const [name, contentType] of [
      [
        'parsed_multipart_attachments.txt',
        'multipart/form-data; boundary=515e0b8d-a7e3-43ef-808e-f27b75edf470',
      ],
      ['mime_urlencoded.txt', 'application/x-www-form-urlencoded'],
    ] as const) {
      const foo = mailgunInbound({ signingKey: 'foo', clock: () => 1366071615_000 });
      const raw = rawRequest(sample(name), contentType);
      await foo.verify(raw);
      const [event] = await foo.parse(raw);
      if (event?.type !== 'message') throw new Error(`${name}: expected a message`);
      expect(event.message.from.value, name).toBe('james@opennorth.ca');
      expect(event.message.parts?.[0], name).toEqual({
        type: 'text',
        text: 'bold text\n\n\n\nsome more bold text\n\n\n\nsome italic text',
      });
      expect(
        event.message.parts?.filter((part) => part.type === 'media').length,
        name,
      ).toBeGreaterThanOrEqual(2);
    }
  });

  it.skipIf(!dir)('rejects the bad-signature and foreign-key captures but still parses them', async () => {
    for (const name of ['parsed_urlencoded_bad_signature.txt', 'parsed_urlencoded_spam.txt']) {
      const foo = mailgunInbound({ signingKey: 'foo', clock: () => 1366071700_000 });
      const raw = urlencoded(sample(name));
      await expect(foo.verify(raw), name).rejects.toThrow(SignatureError);
      const [event] = await foo.parse(raw);
      expect(event?.type, name).toBe('message');
    }
  });
});
