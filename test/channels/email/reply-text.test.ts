import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stripReplyText } from '../../../src/channels/email/reply-text.js';

const cases: { name: string; input: string; expected: string }[] = [
  {
    name: 'Gmail: "On ... wrote:" and a >-quoted block',
    input:
      'Yes, Tuesday works.\n\nOn Mon, Nov 23, 2026 at 4:12 PM Example Support <support@example.com> wrote:\n> Does Tuesday work?\n> Sam\n',
    expected: 'Yes, Tuesday works.',
  },
  {
    name: 'Gmail: attribution wrapped over two lines',
    input:
      'Done, thanks!\n\nOn Mon, Nov 23, 2026 at 4:12 PM Example Support <\nsupport@example.com> wrote:\n\n> Please confirm.\n',
    expected: 'Done, thanks!',
  },
  {
    name: 'Outlook: -----Original Message----- separator',
    input:
      'Please cancel my order.\r\n\r\n-----Original Message-----\r\nFrom: Example Support\r\nSent: Monday, November 23, 2026 4:12 PM\r\nTo: Kim\r\nSubject: Your order\r\n\r\nYour order shipped.',
    expected: 'Please cancel my order.',
  },
  {
    name: 'Outlook: From:/Sent: header block under an underscore rule',
    input:
      'The invoice is attached.\n\n________________________________\nFrom: Example Support <support@example.com>\nSent: Monday, November 23, 2026 16:12\nTo: Kim Lee <kim@example.org>\nSubject: Invoice\n\nCould you send the invoice?',
    expected: 'The invoice is attached.',
  },
  {
    name: 'Apple Mail: "On <date>, at <time>, <name> wrote:"',
    input:
      'Works now.\n\nSent from my iPhone\n\n> On 23 Nov 2026, at 16:12, Example Support <support@example.com> wrote:\n> \n> Try again please.',
    expected: 'Works now.',
  },
  {
    name: 'German: "Am ... schrieb ...:"',
    input:
      'Danke, das hat geklappt.\n\nAm Mo., 23. Nov. 2026 um 16:12 Uhr schrieb Example Support <support@example.com>:\n> Bitte neu starten.',
    expected: 'Danke, das hat geklappt.',
  },
  {
    name: 'German Outlook: Von:/Gesendet: block',
    input:
      'Bitte stornieren.\n\nVon: Example Support <support@example.com>\nGesendet: Montag, 23. November 2026 16:12\nAn: Jonas\nBetreff: Bestellung\n\nIhre Bestellung ist unterwegs.',
    expected: 'Bitte stornieren.',
  },
  {
    name: 'French: "Le ... a écrit :"',
    input:
      "Merci, c'est réglé.\n\nLe lun. 23 nov. 2026 à 16:12, Example Support <support@example.com> a écrit :\n> Avez-vous essayé ?",
    expected: "Merci, c'est réglé.",
  },
  {
    name: 'Spanish: "El ... escribió:"',
    input:
      'Sí, llegó bien.\n\nEl lun, 23 nov 2026 a las 16:12, Example Support (<support@example.com>) escribió:\n> ¿Llegó el pedido?',
    expected: 'Sí, llegó bien.',
  },
  {
    name: 'signature after the RFC 3676 "-- " delimiter',
    input: 'See you then.\n\n-- \nKim Lee\nHead of Operations, Example Org\n+1 415 555 0100',
    expected: 'See you then.',
  },
  {
    name: 'mobile footer: "Sent from my iPhone"',
    input: 'On my way.\n\nSent from my iPhone',
    expected: 'On my way.',
  },
  {
    name: 'French mobile footer: "Envoyé de mon iPhone"',
    input: "J'arrive.\n\nEnvoyé de mon iPhone",
    expected: "J'arrive.",
  },
  {
    name: 'inline answers between quoted lines keep the answers',
    input: '> Is the router on?\nYes.\n> Is the light green?\nNo, orange.\n',
    expected: 'Yes.\nNo, orange.',
  },
  {
    name: 'Thunderbird: -------- Original Message -------- separator',
    input:
      'Confirmed.\n\n-------- Original Message --------\nSubject: Booking\nDate: Mon, 23 Nov 2026 16:12:00 +0000\n\nPlease confirm.',
    expected: 'Confirmed.',
  },
  {
    name: 'a reply that is only quoted history keeps the original text',
    input: 'On Mon, Nov 23, 2026 at 4:12 PM Example Support <support@example.com> wrote:\n> Anything else?',
    expected:
      'On Mon, Nov 23, 2026 at 4:12 PM Example Support <support@example.com> wrote:\n> Anything else?',
  },
  {
    name: 'plain text without quote or signature is kept whole',
    input: 'Hello,\n\nmy parcel has not arrived.\nOrder 1234.',
    expected: 'Hello,\n\nmy parcel has not arrived.\nOrder 1234.',
  },
];

describe('stripReplyText', () => {
  it.each(cases)('$name', ({ input, expected }) => {
    expect(stripReplyText(input)).toBe(expected);
  });

  it('never throws and never returns an empty string for a non-empty input', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom(
        '-- ',
        '--',
        '> quoted',
        'On Mon wrote:',
        'Sent from my iPhone',
        'From: a',
        'Sent: b',
        '____',
        '',
      ),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        const input = lines.join(eol);
        const output = stripReplyText(input);
        if (input.length > 0) expect(output.length).toBeGreaterThan(0);
      }),
      { numRuns: 2_000 },
    );
  });

  it('strips a 1 MB body of quoted lines in well under a second', () => {
    const input = `Short answer.\n${'> '.padEnd(100, 'x').concat('\n').repeat(10_000)}`;
    const started = performance.now();
    expect(stripReplyText(input)).toBe('Short answer.');
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
