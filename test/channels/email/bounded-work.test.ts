import { describe, expect, it } from 'vitest';
import { mailgunInbound, postmarkInbound, sendgridInbound } from '../../../src/channels/email/index.js';
import type { ChannelAdapter, RawRequest } from '../../../src/core/channel.js';
import type { InboundMessage } from '../../../src/model/inbound.js';
import { rawRequest } from './helpers.js';
import { formData, postmarkRequest, sendgridRequest } from './hostile-mail.js';

/**
 * Hostile emails sized like what a provider forwards (inbound mail is capped at 25-40 MB; the
 * adapters accept 40 MiB): each parse must stay linear with a small constant. The bound is
 * generous for a slow machine (these take 300 ms at most on a laptop); the code these tests were
 * written against took 4.5 to 21 seconds on the first six, and a quadratic implementation takes hours.
 */
const BOUND_MS = 2_000;
const MB = 1024 * 1024;

async function timedParse(adapter: ChannelAdapter, request: RawRequest): Promise<InboundMessage> {
  const started = performance.now();
  const events = await adapter.parse(request);
  const elapsed = performance.now() - started;
  expect(elapsed).toBeLessThan(BOUND_MS);
  expect(events).toHaveLength(1);
  return (events[0] as { message: InboundMessage }).message;
}

const rawMime = (contentType: string, body: string) =>
  sendgridRequest({}, `From: a@example.org\r\nContent-Type: ${contentType}\r\n\r\n${body}`);

describe('parsing hostile emails takes bounded work', () => {
  it('a Message-ID of 256 KB of ">" (a regex that backtracked from each one)', async () => {
    const message = await timedParse(
      postmarkInbound(),
      postmarkRequest({ messageId: `${'>'.repeat(256 * 1024)}x` }),
    );
    expect(message.externalId).toBeUndefined();
  });

  it('a Content-ID of 256 KB of ">"', async () => {
    const body = JSON.parse(postmarkRequest({}).body);
    body.Attachments = [{ Name: 'a.png', ContentType: 'image/png', ContentID: `${'>'.repeat(256 * 1024)}x` }];
    const message = await timedParse(postmarkInbound(), rawRequest(JSON.stringify(body), 'application/json'));
    expect(message.parts?.[1]).toMatchObject({ type: 'media', filename: 'a.png' });
  });

  it('an HTML-only body of 8 MB of `<div class=` (quote markers that backtracked)', async () => {
    const request = postmarkRequest({ text: ' ', html: `<p>Hi</p>${'<div class='.repeat((8 * MB) / 11)}` });
    const message = await timedParse(postmarkInbound(), request);
    expect(message.parts?.[0]?.type).toBe('text');
  });

  it('a text body of 32 MB of line breaks (stripped whole before)', async () => {
    const message = await timedParse(
      postmarkInbound(),
      postmarkRequest({ text: `Hi${'\n'.repeat(32 * MB)}` }),
    );
    expect(message.parts).toEqual([{ type: 'text', text: 'Hi' }]);
  });

  it('a SendGrid headers field of 12 million one-line fields', async () => {
    const headers = `Message-ID: <m@x>\n${'X:\n'.repeat(12_000_000)}`;
    const fields: [string, string][] = [
      ['from', 'ana.souza@example.org'],
      ['text', 'Hi'],
      ['headers', headers],
    ];
    const request = rawRequest(formData(fields), 'multipart/form-data; boundary=hostile-mail-boundary');
    const message = await timedParse(sendgridInbound(), request);
    expect(message.externalId).toBe('m@x');
  });

  it('a raw MIME part whose RFC 2231 file name is 8 MB of "%"', async () => {
    const body =
      '--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n--b\r\n' +
      `Content-Type: application/pdf; name*=utf-8''${'%'.repeat(8 * MB)}\r\n\r\nx\r\n--b--\r\n`;
    const message = await timedParse(sendgridInbound(), rawMime('multipart/mixed; boundary=b', body));
    expect(message.parts?.[0]).toEqual({ type: 'text', text: 'Hi' });
  });

  it('a References field of 8 MB: its first id and the newest 99 are kept', async () => {
    const ids = Array.from({ length: 300_000 }, (_, i) => `<r${i}@x>`);
    const mail = { references: ids.join(' '), text: 'Hi' };
    const message = await timedParse(postmarkInbound(), postmarkRequest(mail));
    expect(message.references).toEqual(['r0@x', ...ids.slice(-99).map((id) => id.slice(1, -1))]);
  });

  it('a From field of 8 MB of addresses', async () => {
    const form = new URLSearchParams({ from: 'a@x.example, '.repeat((8 * MB) / 13), 'body-plain': 'Hi' });
    const request = rawRequest(form.toString(), 'application/x-www-form-urlencoded');
    const message = await timedParse(mailgunInbound({ signingKey: 'k' }), request);
    expect(message.from).toEqual({ kind: 'email', value: 'a@x.example', verified: false });
  });
});
