import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mailgunInbound, postmarkInbound, sendgridInbound } from '../../../src/channels/email/index.js';
import type { ChannelAdapter } from '../../../src/core/channel.js';
import { ValidationError } from '../../../src/model/errors.js';
import { fixture, rawRequest } from './helpers.js';

const outcomes = { events: 0, rejected: 0 };

/** Parse returns events (each a message) or throws ValidationError; anything else fails. */
async function eventsOrValidationError(
  adapter: ChannelAdapter,
  body: string,
  contentType: string,
): Promise<void> {
  try {
    const events = await adapter.parse(rawRequest(body, contentType));
    for (const event of events) expect(event.type).toBe('message');
    outcomes.events++;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    outcomes.rejected++;
  }
}

const mimeFragment = fc.constantFrom(
  'From: "A, B" <a@example.com>',
  'Message-ID: <x@y>',
  'In-Reply-To: <p@q> <r@s>',
  'References:',
  'Content-Type: multipart/alternative; boundary="b"',
  'Content-Type: text/plain; charset=iso-8859-1',
  'Content-Transfer-Encoding: quoted-printable',
  'Content-Transfer-Encoding: base64',
  '--b',
  '--b--',
  '=?utf-8?q?=C3=A9?=',
  '=?cp850?b?oqI=?=',
  '> quoted',
  'On Mon wrote:',
  '',
);
const text = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.array(mimeFragment, { maxLength: 12 }).map((l) => l.join('\r\n')),
);
const fieldName = fc.oneof(
  fc.constantFrom(
    'from',
    'to',
    'subject',
    'text',
    'html',
    'headers',
    'email',
    'charsets',
    'SPF',
    'dkim',
    'attachment-info',
    'sender',
    'body-plain',
    'body-html',
    'stripped-text',
    'message-headers',
    'body-mime',
    'Message-Id',
    'References',
  ),
  fc.string({ minLength: 1, maxLength: 12 }).filter((name) => !/["\r\n]/.test(name)),
);
const fields = fc.array(
  fc.tuple(fieldName, fc.oneof(text, fc.constant('a@example.com'), fc.constant('{"text":"cp850"}'))),
  {
    maxLength: 10,
  },
);

function multipartBody(pairs: [string, string][], withFile: boolean): string {
  const parts = pairs.map(
    ([name, value]) => `--xYzZY\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  if (withFile)
    parts.push(
      '--xYzZY\r\nContent-Disposition: form-data; name="attachment1"; filename="f.bin"\r\n\r\nabc\r\n',
    );
  return `${parts.join('')}--xYzZY--\r\n`;
}

describe('email parsers under arbitrary input', () => {
  const adapters = [sendgridInbound(), mailgunInbound({ signingKey: 'k' })];

  it('multipart bodies yield events or ValidationError', async () => {
    await fc.assert(
      fc.asyncProperty(fields, fc.boolean(), async (pairs, withFile) => {
        for (const adapter of adapters) {
          await eventsOrValidationError(
            adapter,
            multipartBody(pairs, withFile),
            'multipart/form-data; boundary=xYzZY',
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('urlencoded bodies and raw garbage yield events or ValidationError', async () => {
    await fc.assert(
      fc.asyncProperty(fields, fc.string({ maxLength: 200 }), async (pairs, garbage) => {
        const mailgun = adapters[1]!;
        await eventsOrValidationError(
          mailgun,
          new URLSearchParams(pairs).toString(),
          'application/x-www-form-urlencoded',
        );
        await eventsOrValidationError(mailgun, garbage, 'application/x-www-form-urlencoded');
        await eventsOrValidationError(adapters[0]!, garbage, 'multipart/form-data; boundary=xYzZY');
      }),
      { numRuns: 300 },
    );
  });

  it('JSON bodies (arbitrary, and the fixture with fields replaced) yield events or ValidationError', async () => {
    const postmark = postmarkInbound();
    const base = JSON.parse(fixture('postmark-inbound-reply.json', 'utf8')) as Record<string, unknown>;
    const keys = fc.constantFrom(...Object.keys(base), 'FromFull', 'Headers', 'Attachments');
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue(),
        fc.array(fc.tuple(keys, fc.jsonValue()), { maxLength: 4 }),
        async (value, edits) => {
          await eventsOrValidationError(postmark, JSON.stringify(value), 'application/json');
          const edited: Record<string, unknown> = { ...base };
          for (const [key, replacement] of edits) edited[key] = replacement;
          await eventsOrValidationError(postmark, JSON.stringify(edited), 'application/json');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('exercised both outcomes (the generators reach the parsers, not only the guards)', () => {
    expect(outcomes.events).toBeGreaterThan(50);
    expect(outcomes.rejected).toBeGreaterThan(50);
  });
});
