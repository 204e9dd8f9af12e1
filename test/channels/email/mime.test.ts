import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress, parseAddressList } from '../../../src/channels/email/address.js';
import {
  decodeEncodedWords,
  parseHeaderBlock,
  parseMessageIds,
  threadHeaders,
} from '../../../src/channels/email/headers.js';
import { htmlToText } from '../../../src/channels/email/html-text.js';
import { parseMime } from '../../../src/channels/email/mime.js';

describe('addresses', () => {
  it('parses quoted names with commas, bare addresses and comments', () => {
    expect(
      parseAddressList('"Doe, Jane" <Jane@Example.com>, bob@example.org, carl@example.net (Carl C), nobody'),
    ).toEqual([
      { address: 'jane@example.com', name: 'Doe, Jane' },
      { address: 'bob@example.org' },
      { address: 'carl@example.net', name: 'Carl C' },
    ]);
    expect(parseAddress('=?utf-8?q?Jos=C3=A9?= <jose@example.org>')).toEqual({
      address: 'jose@example.org',
      name: 'José',
    });
    expect(parseAddress('no address here')).toBeUndefined();
    expect(formatAddress({ address: 'a@b.c', name: 'Say "hi"' })).toBe('"Say \\"hi\\"" <a@b.c>');
  });
});

describe('headers', () => {
  it('unfolds continuation lines and extracts thread ids without angle brackets', () => {
    const headers = parseHeaderBlock(
      'Message-ID: <m1@x>\r\nIn-Reply-To: <p1@x>\r\nReferences: <r1@x>\r\n\t<p1@x>\r\nSubject: a\r\n b',
    );
    expect(threadHeaders(headers)).toEqual({
      messageId: 'm1@x',
      inReplyTo: 'p1@x',
      references: ['r1@x', 'p1@x'],
    });
    expect(headers.at(-1)).toEqual(['Subject', 'a b']);
    expect(parseMessageIds('r1@x, <r2@x>')).toEqual(['r2@x']);
    expect(parseMessageIds('r1@x r2@x')).toEqual(['r1@x', 'r2@x']);
  });

  it('decodes RFC 2047 words in B and Q encodings, joining adjacent words', () => {
    expect(decodeEncodedWords('=?UTF-8?B?SGVsbG8g?= =?UTF-8?Q?W=C3=B6rld?=!')).toBe('Hello Wörld!');
    expect(decodeEncodedWords('=?iso-8859-1?q?caf=E9?=')).toBe('café');
    expect(decodeEncodedWords('=?cp850?q?pidi=A2?=')).toBe('pidió');
    expect(decodeEncodedWords('=?windows-1252?q?=93quoted=94?=')).toBe('“quoted”');
  });
});

describe('parseMime', () => {
  const message = [
    'From: Kim <kim@example.org>',
    'Content-Type: multipart/mixed; boundary=outer',
    '',
    'preamble',
    '--outer',
    'Content-Type: multipart/alternative; boundary="inner"',
    '',
    '--inner',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Caf=E9 au lait, tr=',
    '=E8s bien.',
    '--inner',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('<p>Café</p>').toString('base64'),
    '--inner--',
    '--outer',
    'Content-Type: image/png',
    'Content-ID: <logo@x>',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('0123456789').toString('base64'),
    '--outer',
    'Content-Type: application/pdf; name="a.pdf"',
    '',
    'raw',
    '--outer--',
    'epilogue',
  ].join('\n');

  it('reads nested multiparts, transfer encodings and charsets; attachments as metadata', () => {
    const parsed = parseMime(message);
    expect(parsed.text).toBe('Café au lait, très bien.');
    expect(parsed.html).toBe('<p>Café</p>');
    expect(parsed.attachments).toEqual([
      { contentType: 'image/png', size: 10, contentId: 'logo@x' },
      { contentType: 'application/pdf', size: 3, filename: 'a.pdf' },
    ]);
  });

  it('reads a single-part message and survives a missing closing boundary', () => {
    expect(parseMime('Subject: x\r\n\r\nhello').text).toBe('hello');
    expect(parseMime('Content-Type: multipart/mixed; boundary=b\n\n--b\n\nopen part').text).toBe('open part');
  });
});

describe('htmlToText', () => {
  it('drops style and script, turns blocks into lines and decodes entities', () => {
    expect(
      htmlToText('<style>p{}</style><p>A &amp; B</p><div>C&nbsp;&#233;&#x4e2d;</div><script>x</script>'),
    ).toBe('A & B\nC é中');
  });
});
