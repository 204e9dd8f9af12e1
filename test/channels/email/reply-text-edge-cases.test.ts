import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { postmarkInbound } from '../../../src/channels/email/index.js';
import { stripReplyText } from '../../../src/channels/email/reply-text.js';
import type { InboundMessage } from '../../../src/model/inbound.js';
import { postmarkRequest } from './hostile-mail.js';

const cases: { name: string; input: string; expected: string }[] = [
  {
    name: 'bottom-posting under a Gmail attribution keeps the answer and drops the signature',
    input:
      'On Mon, Nov 23, 2026 at 4:12 PM Ana <ana@example.org> wrote:\n> Can you help?\n\nYes, see below.\n\n-- \nBob',
    expected: 'Yes, see below.',
  },
  {
    name: 'answers between quoted lines under an attribution',
    input:
      'On Mon, Support <s@example.com> wrote:\n> Is the router on?\nYes.\n> Is the light green?\nNo, orange.',
    expected: 'Yes.\nNo, orange.',
  },
  {
    name: 'Polish Gmail: "W dniu ... pisze:"',
    input: 'Dziękuję.\n\nW dniu 23.11.2026 o 16:12, Example <s@example.com> pisze:\n> Cześć',
    expected: 'Dziękuję.',
  },
  {
    name: 'Russian Gmail attribution',
    input: 'Спасибо.\n\nпн, 23 нояб. 2026 г. в 16:12, Example <s@example.com>:\n> Привет',
    expected: 'Спасибо.',
  },
  {
    name: 'Japanese Gmail attribution wrapped over two lines',
    input: 'ありがとう。\n\n2026年11月23日(月) 16:12 Example Support <\ns@example.com>:\n\n> こんにちは',
    expected: 'ありがとう。',
  },
  {
    name: 'Chinese attribution with a full-width colon',
    input: '谢谢。\n\nExample <s@example.com> 于2026年11月23日周一 16:12写道：\n> 你好',
    expected: '谢谢。',
  },
  {
    name: 'Outlook for Mac: From/Date/To/Subject block',
    input:
      'Thanks!\n\nFrom: Example Support <s@example.com>\nDate: Monday, 23 November 2026 at 16:12\nTo: Kim <k@example.org>\nSubject: Re: Order\n\nOld text',
    expected: 'Thanks!',
  },
  {
    name: 'Outlook with bold field names',
    input:
      'Thanks!\n\n*From:* Example Support\n*Sent:* Monday, 23 November 2026 16:12\n*To:* Kim\n*Subject:* Order\n\nOld text',
    expected: 'Thanks!',
  },
  {
    name: 'French Outlook on the web',
    input:
      'OK\n\n________________________________\nDe : Example <s@example.com>\nEnvoyé : lundi 23 novembre 2026 16:12\nÀ : Kim\nObjet : Commande\n\nAncien texte',
    expected: 'OK',
  },
  {
    name: 'Yahoo: an indented attribution',
    input:
      'Sure\n\n    On Monday, November 23, 2026, 04:12:00 PM GMT, Example <s@example.com> wrote:\n\n old',
    expected: 'Sure',
  },
  {
    name: 'a customer\'s own "From:" and "Date:" lines are not a header block',
    input: 'My trip:\nFrom: Berlin\nDate: 12 May\nPlease rebook.',
    expected: 'My trip:\nFrom: Berlin\nDate: 12 May\nPlease rebook.',
  },
  {
    name: 'old Mac line endings (CR only)',
    input: 'Yes\r\rOn Mon, S <s@example.com> wrote:\r> q',
    expected: 'Yes',
  },
];

describe('stripReplyText: clients, languages, top- and bottom-posting', () => {
  it.each(cases)('$name', ({ input, expected }) => {
    expect(stripReplyText(input)).toBe(expected);
  });
});

// Lines a customer writes: they start with a digit, so no marker pattern can match them.
const ownLine = fc.stringMatching(/^[0-9][a-z0-9 .,!?']{0,60}$/);
const blank = fc.constantFrom('', ' ', '\t');
const quotedHistory = fc.oneof(
  fc.constant(['On Mon, Nov 23, 2026 at 4:12 PM Support <s@example.com> wrote:', '> earlier', '> text']),
  fc.constant(['Am Mo., 23. Nov. 2026 um 16:12 Uhr schrieb Support <s@example.com>:', '> alt']),
  fc.constant(['Le lun. 23 nov. 2026 à 16:12, Support <s@example.com> a écrit :', '> ancien']),
  fc.constant([
    '-----Original Message-----',
    'From: Support',
    'Sent: Monday',
    'To: Kim',
    'Subject: x',
    '',
    'old',
  ]),
  fc.constant(['________________', 'From: Support <s@example.com>', 'Sent: Monday', 'To: Kim', 'Subject: x']),
  fc.constant(['W dniu 23.11.2026, Support <s@example.com> pisze:', '', '> stary']),
  fc.array(
    fc.string({ maxLength: 30 }).map((line) => `> ${line}`),
    { minLength: 1, maxLength: 5 },
  ),
);
const signature = fc.constantFrom([], ['-- ', 'Kim Lee', '+1 415 555 0100'], ['', 'Sent from my iPhone']);
const eol = fc.constantFrom('\n', '\r\n', '\r');

describe('stripReplyText properties', () => {
  it('keeps every line the sender wrote above the quoted history and signature', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(ownLine, blank), { maxLength: 8 }),
        ownLine,
        signature,
        fc.array(quotedHistory, { maxLength: 3 }),
        eol,
        (lines, last, sig, histories, newline) => {
          const own = [...lines, last];
          const input = [...own, ...sig, '', ...histories.flat()].join(newline);
          const output = stripReplyText(input);
          expect(output.trim().length).toBeGreaterThan(0);
          expect(output).toBe(own.join('\n').trim());
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('never throws, and a text with any non-blank character never becomes empty', () => {
    const piece = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom(
        '\n',
        '\r\n',
        '\r',
        '> ',
        '-- ',
        'On a <b@c> wrote:',
        'x@y:',
        'From: a',
        'Sent: b',
        'To: c',
      ),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const input = pieces.join('');
        const output = stripReplyText(input);
        if (input.trim().length > 0) expect(output.trim().length).toBeGreaterThan(0);
      }),
      { numRuns: 2_000 },
    );
  });

  it('through the Postmark adapter: the stored text holds what the customer wrote first', async () => {
    const adapter = postmarkInbound();
    await fc.assert(
      fc.asyncProperty(
        fc.array(ownLine, { minLength: 1, maxLength: 5 }),
        quotedHistory,
        async (own, history) => {
          const events = await adapter.parse(
            postmarkRequest({ text: [...own, '', ...history].join('\r\n') }),
          );
          const message = (events[0] as { message: InboundMessage }).message;
          expect(message.parts).toEqual([{ type: 'text', text: own.join('\n').trim() }]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('adversarial 1 MB texts take linear work', () => {
    const mb = 1024 * 1024;
    const inputs = [
      `Hi\n${'On Mon, a <b@c> wrote:\n> q\nanswer\n'.repeat(mb / 36)}`,
      `Hi\n${'x@y:\n\n\n\n\n\n\n\n'.repeat(mb / 13)}`,
      `Hi\n${'From: x\n'.repeat(mb / 8)}`,
      `Hi\n${`On ${'x'.repeat(400)}\n`.repeat(mb / 404)}`,
      `Hi\n${'-- \n'.repeat(mb / 4)}`,
      `Hi\n${' '.repeat(mb)}x`,
      `Hi${'\n'.repeat(mb)}`,
    ];
    for (const input of inputs) {
      const started = performance.now();
      expect(stripReplyText(input).length).toBeGreaterThan(0);
      expect(performance.now() - started).toBeLessThan(1_500);
    }
  });
});
