import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signBody, webform } from '../../../src/channels/webform/index.js';
import type { RawRequest } from '../../../src/core/channel.js';
import { describeChannelContract } from '../../../src/testing/channel-contract.js';

const secret = 'form-secret-0123456789';
const url = 'https://app.example.com/webhooks/webform';

function raw(
  body: string,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): RawRequest {
  return { method: 'POST', url, headers: { 'content-type': contentType, ...headers }, body };
}

async function signed(body: string, contentType = 'application/json'): Promise<RawRequest> {
  return raw(body, contentType, { 'x-threadline-signature': await signBody(secret, body) });
}

async function errorOf(run: () => unknown): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

const contact = JSON.stringify({
  submissionId: 'sub-1',
  formId: 'contact',
  name: 'Ann Lee',
  email: ' Ann@Example.com ',
  phone: '+1 415 555 0100',
  subject: 'Billing',
  message: 'My invoice is wrong',
  plan: 'pro',
});

describe('webform parse', () => {
  it('turns a JSON submission into one message with every field in a form part', async () => {
    const events = await webform().parse(raw(contact));
    expect(events).toEqual([
      {
        type: 'message',
        message: {
          channel: 'webform',
          channelKind: 'webform',
          from: { kind: 'email', value: 'ann@example.com', verified: false },
          identities: [{ kind: 'phone', value: '+14155550100', verified: false }],
          displayName: 'Ann Lee',
          subject: 'Billing',
          externalId: 'sub-1',
          parts: [
            { type: 'text', text: 'My invoice is wrong' },
            {
              type: 'form',
              formId: 'contact',
              fields: [
                { name: 'submissionId', value: 'sub-1' },
                { name: 'formId', value: 'contact' },
                { name: 'name', value: 'Ann Lee' },
                { name: 'email', value: ' Ann@Example.com ' },
                { name: 'phone', value: '+1 415 555 0100' },
                { name: 'subject', value: 'Billing' },
                { name: 'message', value: 'My invoice is wrong' },
                { name: 'plan', value: 'pro' },
              ],
            },
          ],
        },
      },
    ]);
  });

  it('reads urlencoded fields in order, keeping repeated names, with custom field names', async () => {
    const adapter = webform({
      id: 'signup',
      fields: { phone: 'tel', message: 'body' },
      defaultCountry: 'US',
    });
    const [event] = await adapter.parse(
      raw('tel=(415)%20555-0100&topic=a&topic=b&body=Call+me', 'application/x-www-form-urlencoded'),
    );
    expect(event).toEqual({
      type: 'message',
      message: {
        channel: 'signup',
        channelKind: 'webform',
        from: { kind: 'phone', value: '+14155550100', verified: false },
        parts: [
          { type: 'text', text: 'Call me' },
          {
            type: 'form',
            fields: [
              { name: 'tel', value: '(415) 555-0100' },
              { name: 'topic', value: 'a' },
              { name: 'topic', value: 'b' },
              { name: 'body', value: 'Call me' },
            ],
          },
        ],
      },
    });
  });

  it('reads multipart fields and ignores files', async () => {
    const form = new FormData();
    form.set('email', 'bo@example.com');
    form.set('message', 'See attached');
    form.set('file', new Blob(['%PDF']), 'a.pdf');
    const request = new Request(url, { method: 'POST', body: form });
    const body = await request.text();
    const [event] = await webform().parse(raw(body, request.headers.get('content-type')!));
    expect(event?.type === 'message' && event.message.parts).toEqual([
      { type: 'text', text: 'See attached' },
      {
        type: 'form',
        fields: [
          { name: 'email', value: 'bo@example.com' },
          { name: 'message', value: 'See attached' },
        ],
      },
    ]);
  });

  it('turns JSON numbers, booleans and lists into text values and drops nulls', async () => {
    const [event] = await webform().parse(
      raw(JSON.stringify({ email: 'a@b.co', seats: 3, ok: true, tags: ['x', 'y'], gone: null })),
    );
    expect(event?.type === 'message' && event.message.parts).toEqual([
      {
        type: 'form',
        fields: [
          { name: 'email', value: 'a@b.co' },
          { name: 'seats', value: '3' },
          { name: 'ok', value: 'true' },
          { name: 'tags', value: 'x' },
          { name: 'tags', value: 'y' },
        ],
      },
    ]);
  });

  it('requires an email or a phone, naming the email field', async () => {
    const error = await errorOf(() => webform({ fields: { email: 'mail' } }).parse(raw('{"message":"hi"}')));
    expect(error.name).toBe('ValidationError');
    expect((error as unknown as { field: string }).field).toBe('mail');
    expect(error.message).toBe(
      'Invalid webform submission: mail: an email (mail) or phone (phone) field is required',
    );
  });

  it('names the field of a malformed email or phone', async () => {
    const email = await errorOf(() => webform().parse(raw('{"email":"not-an-email"}')));
    expect((email as unknown as { field: string }).field).toBe('email');
    const phone = await errorOf(() => webform().parse(raw('{"email":"a@b.co","phone":"555"}')));
    expect(phone.message).toMatch(/^Invalid webform submission: phone: not a valid phone number/);
  });

  it('refuses a nested object value, non-object JSON and broken JSON with ValidationError', async () => {
    const nested = await errorOf(() => webform().parse(raw('{"email":"a@b.co","address":{"city":"X"}}')));
    expect(nested.message).toBe(
      'Invalid webform submission: address: expected a string, number, boolean or a list of them',
    );
    for (const body of ['[1]', '"x"', '{"email":']) {
      expect((await errorOf(() => webform().parse(raw(body)))).name).toBe('ValidationError');
    }
  });

  it('never throws anything but ValidationError on arbitrary bodies', async () => {
    const adapter = webform();
    const types = [
      'application/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/plain',
    ];
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary' }), fc.constantFrom(...types), async (body, type) => {
        try {
          await adapter.parse(raw(body, type));
        } catch (error) {
          expect((error as Error).name).toBe('ValidationError');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('webform verify and send', () => {
  it('accepts any request without a secret, and only correctly signed ones with one', async () => {
    await expect(webform().verify(raw(contact))).resolves.toBeUndefined();
    const adapter = webform({ secret });
    await expect(adapter.verify(await signed(contact))).resolves.toBeUndefined();
    await expect(adapter.verify(raw(contact))).rejects.toThrow('webform: the request carries no signature');
    const wrong = raw(contact, 'application/json', {
      'x-threadline-signature': await signBody('another-secret-0000', contact),
    });
    await expect(adapter.verify(wrong)).rejects.toThrow('webform: signature does not match');
  });

  it('refuses to send with a PolicyError that says to reply by email', async () => {
    const adapter = webform();
    expect(adapter.capabilities.recipientKinds).toEqual([]);
    const error = await errorOf(() => adapter.send({} as never));
    expect(error.name).toBe('PolicyError');
    expect(error.message).toMatch(/reply by email/);
  });

  it('rejects a short secret and a bad country at construction', () => {
    expect(() => webform({ secret: 'short' })).toThrow(/secret: use a secret of at least 16 characters/);
    expect(() => webform({ defaultCountry: 'usa' as never })).toThrow(/defaultCountry/);
  });

  it('refuses secret: undefined (an unset environment variable) instead of accepting unsigned posts', async () => {
    const unset = { FORM_SECRET: undefined as string | undefined };
    expect(() => webform({ secret: unset.FORM_SECRET })).toThrow(
      /webform options: secret: is undefined \(an unset environment variable\?\)/,
    );
    // Leaving the option out is the way to accept unsigned submissions.
    const open = webform();
    await expect(
      open.verify({ method: 'POST', url: 'https://example.com/webhooks/webform', headers: {}, body: '{}' }),
    ).resolves.toBeUndefined();
  });
});

describeChannelContract('webform', () => webform({ secret }), {
  signed: await Promise.all([
    signed(contact),
    signed('email=c%40example.com&message=Hello', 'application/x-www-form-urlencoded'),
  ]),
  unsigned: [raw(contact), raw(contact, 'application/json', { 'x-threadline-signature': 'sha256=00' })],
  malformed: await Promise.all([
    signed('{"message":"no contact"}'),
    signed('{not json'),
    signed('{"email":"nope"}'),
  ]),
});
