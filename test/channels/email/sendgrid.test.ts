import { createSign, generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sendgridInbound } from '../../../src/channels/email/index.js';
import { SignatureError, ValidationError } from '../../../src/model/errors.js';
import type { InboundMessage } from '../../../src/model/inbound.js';
import { fixture, rawRequest, samplesDir } from './helpers.js';

const form = (body: string, headers: Record<string, string> = {}) =>
  rawRequest(body, 'multipart/form-data; boundary=xYzZY', headers);

async function onlyMessage(events: Promise<unknown> | unknown): Promise<InboundMessage> {
  const list = (await events) as { type: string; message: InboundMessage }[];
  expect(list).toHaveLength(1);
  expect(list[0]!.type).toBe('message');
  return list[0]!.message;
}

/** Webhook credentials: only an authenticated adapter lets SendGrid's SPF or DKIM result verify a sender. */
const basicAuth = { username: 'sg', password: 'pw' };

describe('sendgridInbound parse (parsed mode)', () => {
  const adapter = sendgridInbound({ basicAuth });

  it('reads fields, decodes the text field from its declared charset and lists attachments', async () => {
    const { meta, ...message } = await onlyMessage(adapter.parse(form(fixture('sendgrid-parsed-reply.txt'))));
    expect(message).toEqual({
      channel: 'sendgrid',
      channelKind: 'email',
      from: { kind: 'email', value: 'jose.perez@example.org', verified: true },
      displayName: 'José Pérez',
      externalId: 'CAF=reply.4471@mail.gmail.com',
      replyTo: 'threadline-0192f5a0-7c2b-7d11-a1b2-c3d4e5f60718@example.com',
      references: [
        'CAF=first.1001@mail.gmail.com',
        'threadline-0192f5a0-7c2b-7d11-a1b2-c3d4e5f60718@example.com',
      ],
      subject: 'Re: Pedido 1234',
      createdAt: '2026-11-25T08:00:00.000Z',
      parts: [
        { type: 'text', text: 'Sí, el pedido llegó bien. ¿Pueden enviar la factura?' },
        {
          type: 'media',
          url: 'attachment:factura.pdf',
          mimeType: 'application/pdf',
          filename: 'factura.pdf',
          size: 17,
        },
      ],
    });
    expect(meta?.originalText).toContain('escribió:\r\n> ¿Llegó el pedido?');
    expect(meta?.spamScore).toBe('0.1');
  });

  it('marks the sender unverified when neither SPF nor DKIM passed', async () => {
    const body = fixture('sendgrid-parsed-reply.txt').replace(
      '{@example.org : pass}',
      '{@example.org : fail}',
    );
    const message = await onlyMessage(adapter.parse(form(body)));
    expect(message.from).toEqual({ kind: 'email', value: 'jose.perez@example.org', verified: false });
  });

  it('throws ValidationError for a wrong content type or a body without a sender', async () => {
    const wrongType = await Promise.resolve(adapter.parse(rawRequest('{}', 'application/json'))).catch(
      (e) => e,
    );
    expect(wrongType).toBeInstanceOf(ValidationError);
    expect((wrongType as ValidationError).field).toBe('content-type');
    const noFrom = '--xYzZY\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n--xYzZY--\r\n';
    const error = await Promise.resolve(adapter.parse(form(noFrom))).catch((e) => e);
    expect((error as ValidationError).field).toBe('from');
  });
});

describe('sendgridInbound parse (raw mode)', () => {
  it('reads the MIME message: quoted-printable text, RFC 2047 subject, RFC 2231 filename', async () => {
    const { meta, ...message } = await onlyMessage(
      sendgridInbound({ basicAuth }).parse(form(fixture('sendgrid-raw-reply.txt', 'utf8'))),
    );
    expect(message).toEqual({
      channel: 'sendgrid',
      channelKind: 'email',
      from: { kind: 'email', value: 'jonas.mueller@example.de', verified: true },
      displayName: 'Müller, Jonas',
      externalId: '20261125093000.GA1234@example.de',
      replyTo: 'threadline-0192f5a0-7c2b-7d11-a1b2-c3d4e5f60718@example.com',
      references: ['threadline-0192f5a0-7c2b-7d11-a1b2-c3d4e5f60718@example.com'],
      subject: 'AW: Lieferung für Bestellung',
      createdAt: '2026-11-25T08:30:00.000Z',
      parts: [
        { type: 'text', text: 'Hallo,\ndie Lieferung ist angekommen. Vielen Dank für die schnelle Hilfe!' },
        {
          type: 'media',
          url: 'attachment:lieferschein nº1.csv',
          mimeType: 'text/csv',
          filename: 'lieferschein nº1.csv',
          size: 23,
        },
      ],
    });
    expect(meta?.html).toBe(
      '<p>Hallo,<br>die Lieferung ist angekommen. Vielen Dank für die schnelle Hilfe!</p>',
    );
  });
});

describe('sendgridInbound verify', () => {
  const body = fixture('sendgrid-parsed-reply.txt');

  it('checks Basic auth like Postmark', async () => {
    const adapter = sendgridInbound({ basicAuth });
    const good = `Basic ${Buffer.from('sg:pw').toString('base64')}`;
    await expect(adapter.verify(form(body, { authorization: good }))).resolves.toBeUndefined();
    await expect(adapter.verify(form(body))).rejects.toThrow(SignatureError);
  });

  // SendGrid's published Signed Event Webhook vector (sendgrid-python test_eventwebhook.py): facts, quoted.
  const vector = {
    publicKey:
      'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==',
    timestamp: '1600112502',
    payload:
      '[{"email":"hello@world.com","event":"dropped","reason":"Bounced Address","sg_event_id":"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA","sg_message_id":"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0","smtp-id":"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","timestamp":1600112492}]\r\n',
    signature:
      'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=',
  };
  const signed = (payload: string, signature = vector.signature, timestamp = vector.timestamp) =>
    rawRequest(payload, 'application/json', {
      'x-twilio-email-event-webhook-signature': signature,
      'x-twilio-email-event-webhook-timestamp': timestamp,
    });
  const adapter = sendgridInbound({
    signature: { publicKey: vector.publicKey },
    clock: () => 1600112502_000,
  });

  it('verifies the published ECDSA vector and rejects the same signature over another payload', async () => {
    await expect(adapter.verify(signed(vector.payload))).resolves.toBeUndefined();
    await expect(adapter.verify(signed('payload'))).rejects.toThrow(
      new SignatureError('sendgrid: signature does not match'),
    );
  });

  it('rejects a missing signature, a stale timestamp and garbage', async () => {
    await expect(adapter.verify(form(body))).rejects.toThrow(SignatureError);
    const late = sendgridInbound({
      signature: { publicKey: vector.publicKey },
      clock: () => 1600112502_000 + 301_000,
    });
    await expect(late.verify(signed(vector.payload))).rejects.toThrow(/replay window/);
    await expect(adapter.verify(signed(vector.payload, 'bm90IGEgc2lnbmF0dXJl'))).rejects.toThrow(
      SignatureError,
    );
  });

  it('verifies a signature made by node:crypto over a multipart body (independent oracle)', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const signer = createSign('sha256');
    signer.update(`1764057600${body}`);
    const signature = signer.sign(privateKey).toString('base64');
    const own = sendgridInbound({ signature: { publicKey: spki }, clock: () => 1764057600_000 });
    const request = form(body, {
      'x-twilio-email-event-webhook-signature': signature,
      'x-twilio-email-event-webhook-timestamp': '1764057600',
    });
    await expect(own.verify(request)).resolves.toBeUndefined();
    await expect(own.verify({ ...request, body: `${body} ` })).rejects.toThrow(SignatureError);
  });
});

describe('sendgridInbound on the shared provider samples', () => {
  const dir = samplesDir('sendgrid-inbound-parse');
  it.skipIf(!dir)('verifies and parses every sample (LF and CRLF, parsed and raw)', async () => {
    const adapter = sendgridInbound();
    const files = readdirSync(dir!).filter((name) => name.endsWith('.txt'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const raw = form(readFileSync(path.join(dir!, file), 'latin1'));
      await adapter.verify(raw);
      await onlyMessage(adapter.parse(raw));
    }
  });

  it.skipIf(!dir)('decodes every field of the mixed-charsets capture in its own charset', async () => {
    const raw = form(readFileSync(path.join(dir!, 'parsed_mixed_charsets_crlf.txt'), 'latin1'));
    const message = await onlyMessage(sendgridInbound().parse(raw));
    expect(message.displayName).toBe('Opérateur de test');
    expect(message.subject).toBe('Como usted pidió');
    expect(message.parts?.[0]).toEqual({ type: 'text', text: 'Test the ESP’s inbound charset handling…' });
    expect(message.meta?.html).toBe('<p>¿Esto se ve como esperabas?</p>');
    expect(message.meta?.to).toBe('Récipiendaire précieux <inbound@sg.example.com>');
  });
});
