import { describe, expect, it } from 'vitest';
import { parseAddress, parseAddressList, parseSender } from '../../../src/channels/email/address.js';
import {
  decodeEncodedWords,
  parseHeaderBlock,
  parseMessageIds,
  threadHeaders,
} from '../../../src/channels/email/headers.js';
import { cutHtmlQuote, htmlToText } from '../../../src/channels/email/html-text.js';
import { sendgridInbound } from '../../../src/channels/email/index.js';
import { parseMime } from '../../../src/channels/email/mime.js';
import type { InboundMessage } from '../../../src/model/inbound.js';
import { sendgridRequest } from './hostile-mail.js';

/** Webhook credentials: only an authenticated adapter lets the provider's SPF or DKIM result verify a sender. */
const basicAuth = { username: 'hook', password: 'hook-password' };

const b64 = (bytes: number[]) => Buffer.from(bytes).toString('base64');

describe('RFC 2047 encoded words', () => {
  it.each([
    ['B, UTF-8', '=?UTF-8?B?w6lsw6h2ZQ==?=', 'élève'],
    ['Q, ISO-8859-1, `_` for a space', '=?ISO-8859-1?Q?Andr=E9_Pirard?=', 'André Pirard'],
    ['Q, Windows-1252 quotes', '=?windows-1252?Q?=93Hi=94?=', '“Hi”'],
    ['B, ISO-2022-JP', '=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=', '日本語'],
    ['UTF-8 split inside a character, B', `=?UTF-8?B?${b64([0xe2, 0x82])}?= =?UTF-8?B?${b64([0xac])}?=`, '€'],
    ['UTF-8 split inside a character, Q, folded', '=?utf-8?q?caf=C3?=\r\n =?utf-8?q?=A9?=', 'café'],
    [
      'ISO-2022-JP split between its escape sequences',
      `=?iso-2022-jp?B?${b64([0x1b, 0x24, 0x42, 0x46, 0x7c])}?= =?iso-2022-jp?B?${b64([0x4b, 0x5c, 0x38, 0x6c, 0x1b, 0x28, 0x42])}?=`,
      '日本語',
    ],
    ['two charsets side by side', '=?iso-8859-1?q?caf=E9?= =?utf-8?q?_na=C3=AFve?=', 'café naïve'],
    ['plain text between words is kept', '=?utf-8?q?a?= b =?utf-8?q?c?=', 'a b c'],
    ['unknown charset: read as UTF-8', '=?x-unknown?q?caf=C3=A9?=', 'café'],
    ['invalid UTF-8: U+FFFD', '=?utf-8?q?=FF?=', '\ufffd'],
    ['an unclosed word stays text', '=?utf-8?q?abc', '=?utf-8?q?abc'],
    ['an encoded line break or NUL is a space', '=?utf-8?q?Ana=0D=0ABcc:_x@y=00?=', 'Ana Bcc: x@y '],
    ['RFC 2231 language tag', '=?utf-8*en?q?hi?=', 'hi'],
  ])('%s', (_name, input, expected) => {
    // As a header field would be read: unfolded first.
    const [[, value]] = parseHeaderBlock(`Subject: ${input}`) as [[string, string]];
    expect(decodeEncodedWords(value)).toBe(expected);
  });
});

describe('header blocks and message ids', () => {
  it('unfolds, reads names in any case, keeps the first of duplicate fields', () => {
    const headers = parseHeaderBlock(
      'mESSAGE-iD: <first@x>\r\nMessage-ID: <second@x>\nIN-REPLY-TO:\r\n\t<p@x>\r\nno colon line\r\n' +
        'references: <r1@x>\r\n <r2@x>\n\t<r3@x>\n',
    );
    expect(threadHeaders(headers)).toEqual({
      messageId: 'first@x',
      inReplyTo: 'p@x',
      references: ['r1@x', 'r2@x', 'r3@x'],
    });
  });

  it('drops ids holding a control character or a bracket', () => {
    expect(parseMessageIds('<a\u0000b@x> <ok@x> <c\u0007@x>')).toEqual(['ok@x']);
    expect(parseMessageIds('foo>bar@x')).toEqual([]);
    expect(parseMessageIds('<<a@x>>')).toEqual(['a@x']);
  });

  it('keeps the first and the newest 99 of a long References field', () => {
    const ids = Array.from({ length: 250 }, (_, i) => `r${i}@x`);
    const { references } = threadHeaders([['References', ids.map((id) => `<${id}>`).join(' ')]]);
    expect(references).toEqual([ids[0], ...ids.slice(-99)]);
  });
});

describe('addresses', () => {
  it('reads comments, needless quotes, groups and several mailboxes', () => {
    expect(parseAddress('ana@example.org (Ana Souza)')).toEqual({
      address: 'ana@example.org',
      name: 'Ana Souza',
    });
    expect(parseAddress('Ana (work) <ana@example.org>')).toEqual({
      address: 'ana@example.org',
      name: 'Ana (work)',
    });
    expect(parseAddress('"ana.souza"@example.org')).toEqual({ address: 'ana.souza@example.org' });
    expect(parseAddress('Ana <"ana.souza"@example.org>')).toEqual({
      address: 'ana.souza@example.org',
      name: 'Ana',
    });
    expect(parseAddress('"ana souza"@example.org')).toBeUndefined();
    expect(parseAddressList('Team: a@x.example, B <b@y.example>;, c@z.example')).toEqual([
      { address: 'a@x.example' },
      { address: 'b@y.example', name: 'B' },
      { address: 'c@z.example' },
    ]);
    expect(parseAddressList('undisclosed-recipients:;')).toEqual([]);
    expect(parseSender('"Doe, Ana" <ana@x.example>, bob@y.example')).toEqual({
      mailbox: { address: 'ana@x.example', name: 'Doe, Ana' },
      several: true,
    });
    expect(parseSender('Ana <ana@x.example>, ANA@x.example')?.several).toBe(false);
    expect(parseSender('')).toBeUndefined();
  });

  it('refuses an address holding a control character', () => {
    expect(parseAddress('Ana <ana\u0000@example.org>')).toBeUndefined();
    expect(parseAddress('ana\u0001@example.org')).toBeUndefined();
  });

  it('an IDN domain becomes one identity in its ASCII form', async () => {
    const events = await sendgridInbound({ basicAuth }).parse(
      sendgridRequest({ from: 'Jörg <jörg@bücher.example>', text: 'Hi' }),
    );
    const message = (events[0] as { message: InboundMessage }).message;
    expect(message.from).toEqual({ kind: 'email', value: 'jörg@xn--bcher-kva.example', verified: true });
  });
});

describe('MIME bodies', () => {
  it('reads nested multiparts, soft line breaks (with padding) and base64 with whitespace', () => {
    const html = Buffer.from('<p>Ol\u00e1</p>').toString('base64');
    const raw = [
      'Content-Type: multipart/mixed; boundary="=_a.b+c*(d)"',
      '',
      'preamble',
      '--=_a.b+c*(d)',
      'Content-Type: multipart/related; boundary=rel',
      '',
      '--rel',
      'Content-Type: multipart/alternative; boundary=alt',
      '',
      '--alt',
      'Content-Type: text/plain; charset="ISO-8859-1"',
      'Content-Transfer-Encoding: Quoted-Printable',
      '',
      'Ol=E1, o pedido 12=  ',
      '34 chegou=',
      ' bem.',
      '--alt',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      ` ${html.slice(0, 6)}\r\n\t${html.slice(6)} `,
      '--alt--',
      '--rel--',
      '--=_a.b+c*(d)--',
      'epilogue',
    ].join('\r\n');
    const mime = parseMime(raw);
    expect(mime.text).toBe('Olá, o pedido 1234 chegou bem.');
    expect(mime.html).toBe('<p>Olá</p>');
  });

  it('HTML-only mail: no script, style, head or comment text, and entities decoded', async () => {
    const html = [
      '<html><head><title>Secret title</title><style>p { color: red }</style></head><body>',
      '<script type="text/javascript">steal()</script><!--[if mso]><xml><o:x>96</o:x></xml><![endif]-->',
      '<p>Caf&eacute; &ndash; &rsquo;ok&rsquo;&nbsp;&euro;5 &#8364;6 &#x1F600; &#150; &#xD800; &AMP; &bogus;</p>',
      '<!-- a comment with > inside -->',
      '<p>&lt;b&gt;not a tag&lt;/b&gt;</p>',
      '<div class=gmail_quote>On Mon, Support wrote: <blockquote>old</blockquote></div>',
      '</body></html>',
    ].join('\n');
    const email = `From: a@example.org\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}`;
    const events = await sendgridInbound().parse(sendgridRequest({}, email));
    const message = (events[0] as { message: InboundMessage }).message;
    expect(message.parts).toEqual([
      { type: 'text', text: 'Café – ’ok’ €5 €6 😀 – \ufffd & &bogus;\n\n<b>not a tag</b>' },
    ]);
  });

  it('finds quote markers with quoted, unquoted or several classes, and Outlook ids', () => {
    for (const marker of [
      '<div class="gmail_quote gmail_quote_container">',
      "<div dir='ltr' class='yahoo_quoted'>",
      '<div class=moz-cite-prefix>',
      '<div id="divRplyFwdMsg" dir="ltr">',
      '<DIV ID=appendonsend></DIV>',
      '<blockquote type="cite">',
    ])
      expect(cutHtmlQuote(`<p>New</p>${marker}old`)).toBe('<p>New</p>');
    expect(cutHtmlQuote('<p>New</p><div class="note" data-x="gmail">kept</div>')).toBe(
      '<p>New</p><div class="note" data-x="gmail">kept</div>',
    );
    expect(htmlToText('<p>a</p><title>t</title><p>b')).toBe('a\nb');
  });
});
