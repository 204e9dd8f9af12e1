import { createHash, createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mailgunInbound, postmarkInbound, sendgridInbound } from '../../src/channels/email/index.js';
import { instagram, messenger, whatsappCloud } from '../../src/channels/meta/index.js';
import { parseUrlEncoded } from '../../src/channels/shared/form.js';
import { slack } from '../../src/channels/slack/index.js';
import { telegram } from '../../src/channels/telegram/index.js';
import { twilioSignature, twilioSms, twilioVoice, twilioWhatsApp } from '../../src/channels/twilio/index.js';
import { webchat } from '../../src/channels/webchat/index.js';
import { signBody, webform } from '../../src/channels/webform/index.js';
import type { ChannelAdapter, RawRequest } from '../../src/core/channel.js';
import type { Desk } from '../../src/core/types.js';
import { createWebhookHandler } from '../../src/http/handler.js';
import { createDesk } from '../../src/index.js';
import { ValidationError } from '../../src/model/errors.js';
import { memoryStore } from '../../src/stores/memory/index.js';
import { eventCount } from '../http/helpers.js';

// Adversarial webhooks per adapter: real-shaped payloads with one field made wrong, posted through
// createWebhookHandler with a valid signature so that they reach `parse`. The rule under test: a
// bad input gets a ValidationError (400) or another 4xx, never a 500, and stores nothing.

const NOW_MS = Date.parse('2026-11-25T08:00:00Z');
const fixtures = path.resolve(import.meta.dirname, '../fixtures');
const logged: unknown[] = [];
const logger = { warn: () => undefined, error: (...args: unknown[]) => void logged.push(args) };
const desks: Desk[] = [];

afterEach(() => {
  // Emptied each time, so one test's 500 fails that test only.
  expect(logged.splice(0)).toEqual([]);
});
afterAll(async () => {
  for (const desk of desks) await desk.close();
});

type Sign = (body: string, url: string) => Record<string, string> | Promise<Record<string, string>>;
interface Answer {
  status: number;
  field?: string;
}

/** `parse` called directly: events, or a ValidationError, never another error. */
async function parseDirectly(adapter: ChannelAdapter, raw: RawRequest): Promise<void> {
  try {
    expect(await adapter.parse(raw)).toBeInstanceOf(Array);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
  }
}

/**
 * A desk with one adapter behind the webhook handler. `post` signs a body, hands it to `parse`
 * directly, then sends it through the handler: below 500, and nothing stored when refused.
 */
function bench(adapter: ChannelAdapter, sign: Sign = () => ({})) {
  const desk = createDesk({ store: memoryStore(), channels: [adapter], logger, clock: () => NOW_MS });
  desks.push(desk);
  const handler = createWebhookHandler(desk, { logger });
  return {
    desk,
    async post(body: string, contentType: string, query = ''): Promise<Answer> {
      const url = `http://127.0.0.1/webhooks/${adapter.id}${query}`;
      const headers = { 'content-type': contentType, ...(await sign(body, url)) };
      await parseDirectly(adapter, { method: 'POST', url, headers, body });
      const before = await eventCount(desk);
      const response = await handler(new Request(url, { method: 'POST', headers, body }));
      const text = await response.text();
      expect(response.status, text).toBeLessThan(500);
      if (response.status >= 400) expect(await eventCount(desk), text).toBe(before);
      const field = response.status >= 400 ? JSON.parse(text).error.field : undefined;
      return field === undefined ? { status: response.status } : { status: response.status, field };
    },
  };
}

const hmacHex = (secret: string, data: string) => createHmac('sha256', secret).update(data).digest('hex');
const json = (value: unknown) => JSON.stringify(value);
const readJson = (file: string): unknown => JSON.parse(readFileSync(path.join(fixtures, file), 'utf8'));
const jsonFixtures = (dir: string) =>
  readdirSync(path.join(fixtures, dir))
    .filter((name) => name.endsWith('.json'))
    .map((name) => readJson(path.join(dir, name)));

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      paths.push(...pathsOf(item, [...prefix, Array.isArray(value) ? Number(key) : key]));
    }
  }
  return paths;
}

/** A copy of `base` with the value at `at` replaced (removed when `value` is undefined). */
function replaced(base: unknown, at: Path, value: unknown): unknown {
  if (at.length === 0) return value;
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of at.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = at[at.length - 1]!;
  if (value === undefined && !Array.isArray(parent)) delete parent[last];
  else parent[last] = value;
  return copy;
}

const oddValue = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 3 },
  {
    arbitrary: fc.constantFrom<unknown>(
      ...[undefined, null, [], {}, [{}], [null], '', ' ', true, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2],
      ...['-1', 'NaN', '1e400', 'constructor', '__proto__', 'toString', '\uFEFF', '\uFEFFhi', '\uD800'],
      'x'.repeat(70_000),
    ),
    weight: 2,
  },
);

/** One of `bases` as JSON text with one field (any depth, the root too) replaced by an odd value. */
function substituted(bases: unknown[]): fc.Arbitrary<string> {
  return fc
    .constantFrom(...bases)
    .chain((base) =>
      fc
        .tuple(fc.constantFrom(...pathsOf(base)), oddValue)
        .map(([at, value]) => JSON.stringify(replaced(base, at, value)) ?? ''),
    );
}

type Pairs = [string, string][];

const oddText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', ' ', '0', '-1', '1e400', 'NaN', '99999999999999999999', 'constructor', '__proto__'),
  fc.constantFrom('\uFEFF', '\uD800', '%E0%A4%A', '[]', '{"a":[1]}', 'Café', 'a@b', 'x'.repeat(70_000)),
);

/** An odd value for a field holding `text`; in JSON text (SendGrid's `charsets`), also one of its own fields. */
function oddValueFor(text: string): fc.Arbitrary<string> {
  let nested: unknown;
  try {
    nested = JSON.parse(text);
  } catch {
    return oddText;
  }
  return typeof nested === 'object' && nested !== null ? fc.oneof(oddText, substituted([nested])) : oddText;
}

/** `pairs` with one value replaced, or a duplicate of its name (before or after it) holding an odd value. */
function editedPairs(bases: Pairs[]): fc.Arbitrary<Pairs> {
  return fc.constantFrom(...bases).chain((base) =>
    fc
      .nat(base.length - 1)
      .chain((i) =>
        fc.tuple(fc.constant(i), oddValueFor(base[i]![1]), fc.constantFrom('replace', 'before', 'after')),
      )
      .map(([i, value, how]) => {
        const pairs = base.map(([name, text]): [string, string] => [name, text]);
        const name = pairs[i]![0];
        if (how === 'replace') pairs[i] = [name, value];
        else pairs.splice(how === 'before' ? i : i + 1, 0, [name, value]);
        return pairs;
      }),
  );
}

/** Urlencoded pairs, sometimes with a raw, malformed percent-escape added first or last. */
function urlencoded(pairs: fc.Arbitrary<Pairs>): fc.Arbitrary<string> {
  const broken = fc.option(fc.tuple(fc.constantFrom('%E0%A4%A', '%', '%zz', '%C0%80'), fc.boolean()));
  return fc.tuple(pairs, broken).map(([list, bad]) => {
    const body = new URLSearchParams(list).toString();
    if (!bad) return body;
    const [malformed, first] = bad;
    const name = list[0]?.[0] ?? 'x';
    return first ? `${name}=${malformed}&${body}` : `${body}&${name}=${malformed}`;
  });
}

const BOUNDARY = 'threadline-adversarial-7c1f';
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

function multipart(pairs: Pairs, files: [field: string, filename: string][] = []): string {
  const fields = pairs.map(
    ([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  const attached = files.map(
    ([name, filename]) =>
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\n` +
      `Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n`,
  );
  return `${fields.join('')}${attached.join('')}--${BOUNDARY}--\r\n`;
}

/** Runs `check` on `runs` samples; each sample must answer below 500 (checked by `post`). */
function property<T>(arbitrary: fc.Arbitrary<T>, check: (value: T) => Promise<unknown>, runs = 100) {
  return fc.assert(
    fc.asyncProperty(arbitrary, async (value) => void (await check(value))),
    { numRuns: runs },
  );
}

describe('twilio', () => {
  const options = { accountSid: `AC${'0f'.repeat(16)}`, authToken: 'adversarial-twilio-token' };
  const sign: Sign = async (body, url) => {
    const params = url.includes('bodySHA256=') ? [] : parseUrlEncoded(body).pairs;
    return { 'x-twilio-signature': await twilioSignature(options.authToken, url, params) };
  };
  const benches = {
    sms: bench(twilioSms({ ...options, from: '+14155550100' }), sign),
    whatsapp: bench(twilioWhatsApp({ ...options, from: '+14155550100' }), sign),
    voice: bench(twilioVoice(options), sign),
  };
  const form = 'application/x-www-form-urlencoded';
  const samples = readdirSync(path.join(fixtures, 'twilio'))
    .filter((name) => name.endsWith('.txt'))
    .map((name) => {
      const kind = name.startsWith('voice') ? 'voice' : name.startsWith('whatsapp') ? 'whatsapp' : 'sms';
      const body = readFileSync(path.join(fixtures, 'twilio', name), 'utf8').trim();
      return { kind, pairs: parseUrlEncoded(body).pairs } as const;
    });

  it('real-shaped webhooks with one parameter wrong, doubled or badly escaped answer 204 or 4xx', async () => {
    for (const kind of ['sms', 'whatsapp', 'voice'] as const) {
      const pairs = samples.filter((sample) => sample.kind === kind).map((sample) => sample.pairs);
      await property(urlencoded(editedPairs(pairs)), (body) => benches[kind].post(body, form), 80);
    }
  });

  it('JSON webhooks (bodySHA256) with odd values answer 204 or 4xx', async () => {
    const base = Object.fromEntries(samples.find((sample) => sample.kind === 'sms')!.pairs);
    await property(substituted([base]), (body) => {
      const hash = createHash('sha256').update(body).digest('hex');
      return benches.sms.post(body, 'application/json', `?bodySHA256=${hash}`);
    });
  });

  it('a JSON value nested too deeply to re-serialize is a ValidationError naming it, not a RangeError', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const body = `{"MessageSid":"SM1","From":"+14155550123","Body":${deep}}`;
    const hash = createHash('sha256').update(body).digest('hex');
    expect(await benches.sms.post(body, 'application/json', `?bodySHA256=${hash}`)).toEqual({
      status: 400,
      field: 'Body',
    });
  });

  it('a status named like an Object.prototype member is ignored, not turned into a bad status', async () => {
    for (const status of ['constructor', 'toString', '__proto__']) {
      const body = new URLSearchParams({ MessageSid: 'SM1', MessageStatus: status }).toString();
      expect(await benches.sms.post(body, form)).toEqual({ status: 204 });
    }
  });
});

describe('meta', () => {
  const options = { appSecret: 'adversarial-app-secret', verifyToken: 'v' };
  const sign: Sign = (body) => ({ 'x-hub-signature-256': `sha256=${hmacHex(options.appSecret, body)}` });
  const whatsapp = bench(whatsappCloud({ ...options, accessToken: 't', phoneNumberId: '1' }), sign);
  const benches = [
    [whatsapp, 'whatsapp'],
    [bench(messenger({ ...options, pageAccessToken: 't' }), sign), 'messenger'],
    [bench(instagram({ ...options, pageAccessToken: 't' }), sign), 'instagram'],
  ] as const;
  const text = readJson('meta/whatsapp/text.json');
  const message = ['entry', 0, 'changes', 0, 'value', 'messages', 0];

  it('real-shaped webhooks with one field replaced by arbitrary JSON answer 200 or 4xx', async () => {
    for (const [target, dir] of benches) {
      await property(substituted(jsonFixtures(`meta/${dir}`)), (body) =>
        target.post(body, 'application/json'),
      );
    }
  });

  it.each<[string, number, Path, unknown, string?]>([
    ['entry not an array', 400, ['entry'], {}, 'entry'],
    ['messages not an array', 400, message.slice(0, -1), { id: 'x' }],
    ['a negative timestamp', 400, [...message, 'timestamp'], '-1'],
    ['a huge timestamp', 400, [...message, 'timestamp'], 1e308],
    ['no sender', 400, [...message, 'from'], undefined],
    ['a change without value', 400, ['entry', 0, 'changes', 0, 'value'], undefined],
    ['no entries', 200, ['entry'], []],
  ])('WhatsApp: %s answers %i', async (_name, status, at, value, field) => {
    const answer = await whatsapp.post(json(replaced(text, at, value)), 'application/json');
    expect(answer.status).toBe(status);
    if (field) expect(answer.field).toBe(field);
  });

  it('a WhatsApp status named like an Object.prototype member is ignored', async () => {
    const statuses = replaced(readJson('meta/whatsapp/status-read.json'), ['entry', 0, 'changes', 0], {
      field: 'messages',
      value: { statuses: [{ id: 'wamid.X', status: 'constructor', timestamp: '1764057600' }] },
    });
    const before = await eventCount(whatsapp.desk);
    expect(await whatsapp.post(json(statuses), 'application/json')).toEqual({ status: 200 });
    expect(await eventCount(whatsapp.desk)).toBe(before);
  });

  it('a quick-reply button with empty text and payload is stored with a placeholder text', async () => {
    const button = { from: '447700900123', id: 'wamid.BTN', timestamp: '1764057600', type: 'button' };
    const body = replaced(text, message, { ...button, button: { text: '', payload: '' } });
    expect(await whatsapp.post(json(body), 'application/json')).toEqual({ status: 200 });
    const stored = await whatsapp.desk.store.getMessageByExternalId('whatsapp', 'wamid.BTN');
    expect(stored?.parts).toEqual([{ type: 'text', text: '(button)' }]);
  });
});

describe('telegram', () => {
  const secretToken = 'adversarial_secret';
  const target = bench(telegram({ botToken: '1:adversarial', secretToken }), () => ({
    'x-telegram-bot-api-secret-token': secretToken,
  }));
  const text = readJson('telegram/text_private.json');

  it('real-shaped updates with one field replaced by arbitrary JSON answer 200 or 4xx', async () => {
    await property(
      substituted(jsonFixtures('telegram')),
      (body) => target.post(body, 'application/json'),
      150,
    );
  });

  it.each<[string, number, Path, unknown]>([
    ['message.from missing (stored nothing)', 200, ['message', 'from'], undefined],
    ['message.chat missing', 400, ['message', 'chat'], undefined],
    ['a string update_id', 400, ['update_id'], '731000001'],
    ['a negative date', 400, ['message', 'date'], -1],
    ['an unsafe integer user id', 400, ['message', 'from', 'id'], 2 ** 53 + 2],
    ['a message with no content at all (stored nothing)', 200, ['message', 'text'], undefined],
  ])('%s answers %i', async (_name, status, at, value) => {
    const before = await eventCount(target.desk);
    expect((await target.post(json(replaced(text, at, value)), 'application/json')).status).toBe(status);
    expect(await eventCount(target.desk)).toBe(before);
  });

  it('a self-shared contact with an anonymous +888 number is stored, without a phone identity', async () => {
    // A user of their own (user and chat 555000111): no earlier test has linked a phone to them.
    const contact = { phone_number: '88801234567', first_name: 'Ann', user_id: 555_000_111 };
    let body = replaced(text, ['message', 'text'], undefined);
    body = replaced(body, ['message', 'from', 'id'], 555_000_111);
    body = replaced(body, ['message', 'chat', 'id'], 555_000_111);
    body = replaced(body, ['message', 'contact'], contact);
    expect((await target.post(json(body), 'application/json')).status).toBe(200);
    const stored = await target.desk.store.getMessageByExternalId('telegram', '555000111:11');
    expect(stored?.parts).toEqual([{ type: 'contact', name: 'Ann', phones: ['+88801234567'] }]);
    const customer = await target.desk.store.getCustomer(stored!.customerId);
    expect(customer?.identities.map((identity) => identity.kind)).toEqual(['telegram']);
  });
});

describe('slack', () => {
  const signingSecret = 'adversarial-signing-secret';
  const timestamp = String(NOW_MS / 1000);
  const target = bench(
    slack({ signingSecret, botToken: 'xoxb-1', botUserId: 'U0BOT', clock: () => NOW_MS }),
    (body) => ({
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': `v0=${hmacHex(signingSecret, `v0:${timestamp}:${body}`)}`,
    }),
  );
  const channel = readJson('slack/message_channel.json');

  it('real-shaped events with one field replaced by arbitrary JSON answer 200 or 4xx', async () => {
    await property(substituted(jsonFixtures('slack')), (body) => target.post(body, 'application/json'), 200);
  });

  it.each<[string, number, Path, unknown]>([
    ['an event_callback without event (stored nothing)', 200, ['event'], undefined],
    ['an event that is an array', 400, ['event'], []],
    ['a message without channel', 400, ['event', 'channel'], undefined],
    ['a ts that is no Slack timestamp', 400, ['event', 'ts'], 'yesterday'],
    ['files that are not a list', 400, ['event', 'files'], {}],
  ])('%s answers %i', async (_name, status, at, value) => {
    expect((await target.post(json(replaced(channel, at, value)), 'application/json')).status).toBe(status);
  });
});

describe('email', () => {
  const postmark = bench(postmarkInbound());
  const sendgrid = bench(sendgridInbound());
  const signingKey = 'adversarial-mailgun-key';
  const mailgun = bench(mailgunInbound({ signingKey, tokenCacheSize: 0, clock: () => NOW_MS }));
  const mailgunSignature: Pairs = [
    ['timestamp', String(NOW_MS / 1000)],
    ['token', 'tok'],
    ['signature', hmacHex(signingKey, `${NOW_MS / 1000}tok`)],
  ];
  const sendgridFields: Pairs = [
    ['from', 'Ann Lee <ann@example.com>'],
    ['to', 'reply+conv_1@inbound.example.com'],
    ['subject', 'Café order'],
    ['text', 'Where is my order?\n\nOn Mon, Support wrote:\n> Hello'],
    ['html', '<p>Where is my order?</p>'],
    ['headers', 'Message-ID: <sg1@example.com>\nDate: Wed, 25 Nov 2026 09:00:00 +0100\nIn-Reply-To: <x@y>'],
    ['charsets', '{"from":"UTF-8","subject":"UTF-8","text":"iso-8859-1","to":"UTF-8"}'],
    ['SPF', 'pass'],
    ['dkim', '{@example.com : pass}'],
    ['envelope', '{"to":["support@example.com"],"from":"ann@example.com"}'],
    ['attachment-info', '{"attachment1":{"filename":"a.pdf","type":"application/pdf","content-id":"<c1>"}}'],
  ];
  const rawMime =
    'From: Ann <ann@example.com>\r\nMessage-ID: <raw1@example.com>\r\n' +
    'Content-Type: multipart/mixed; boundary="q"\r\n\r\n--q\r\nContent-Type: text/plain; charset=utf-8\r\n' +
    'Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--q\r\n' +
    "Content-Disposition: attachment; filename*=utf-8''%E0%A4%A.pdf\r\n\r\nAAAA\r\n--q--\r\n";
  const mailgunFields: Pairs = [
    ['from', 'Ann <ann@example.com>'],
    ['sender', 'ann@example.com'],
    ['recipient', 'support@example.com'],
    ['subject', 'Re: order'],
    ['body-plain', 'Thanks'],
    ['stripped-text', 'Thanks'],
    [
      'message-headers',
      '[["Message-Id","<mg1@example.com>"],["X-Mailgun-Spf","Pass"],["To","reply+c1@x.example"]]',
    ],
  ];

  it('Postmark: real-shaped payloads with one field replaced by arbitrary JSON answer 200 or 4xx', async () => {
    const base = readJson('email/postmark-inbound-reply.json');
    await property(substituted([base]), (body) => postmark.post(body, 'application/json'), 200);
  });

  it('SendGrid: parsed and raw posts with one field wrong or doubled answer 200 or 4xx', async () => {
    const bases = [
      sendgridFields,
      [
        ['from', 'ann@example.com'],
        ['email', rawMime],
      ] as Pairs,
    ];
    await property(
      editedPairs(bases),
      (pairs) => sendgrid.post(multipart(pairs, [['attachment1', 'a.pdf']]), MULTIPART),
      300,
    );
  });

  it('Mailgun: multipart and urlencoded posts with one field wrong or doubled answer 200 or 4xx', async () => {
    const bases = [mailgunFields, [...mailgunFields, ['body-mime', rawMime]] as Pairs];
    const signed = editedPairs(bases).map((pairs): Pairs => [...mailgunSignature, ...pairs]);
    await property(signed, (pairs) => mailgun.post(multipart(pairs, [['attachment-1', 'a.pdf']]), MULTIPART));
    await property(urlencoded(signed), (body) => mailgun.post(body, 'application/x-www-form-urlencoded'));
  });

  it.each([
    ['no boundary parameter', 'multipart/form-data', multipart(sendgridFields)],
    ['another boundary than the body', 'multipart/form-data; boundary=other', multipart(sendgridFields)],
    ['a body cut inside a part', MULTIPART, multipart(sendgridFields).slice(0, 120)],
    ['a part without headers', MULTIPART, `--${BOUNDARY}\r\n\r\nx\r\n--${BOUNDARY}--\r\n`],
    ['no from field', MULTIPART, multipart(sendgridFields.slice(1))],
  ])('SendGrid: %s answers 400', async (_name, contentType, body) => {
    expect((await sendgrid.post(body, contentType)).status).toBe(400);
  });

  it('SendGrid: a charsets entry that is not a label is ignored, not a TypeError', async () => {
    const edits: Record<string, string> = {
      charsets: '{"subject":5,"text":["utf-8"],"from":{"a":1}}',
      headers: 'Message-ID: <sg-charsets@example.com>',
    };
    const pairs = sendgridFields.map(([name, value]): [string, string] => [name, edits[name] ?? value]);
    expect(await sendgrid.post(multipart(pairs), MULTIPART)).toEqual({ status: 200 });
    const stored = await sendgrid.desk.store.getMessageByExternalId('sendgrid', 'sg-charsets@example.com');
    expect(stored?.meta?.subject).toBe('Café order');
  });

  it.each([
    ['Headers not an array', { Headers: { Name: 'Message-ID' } }, 'Headers'],
    ['a header name that is a number', { Headers: [{ Name: 5, Value: 'x' }] }, 'Headers[0].Name'],
    ['no sender at all', { From: undefined, FromFull: undefined }, 'FromFull.Email'],
    ['Attachments an object', { Attachments: {} }, 'Attachments'],
  ])('Postmark: %s answers 400 naming the field', async (_name, edit, field) => {
    const base = readJson('email/postmark-inbound-reply.json') as Record<string, unknown>;
    expect(await postmark.post(json({ ...base, ...edit }), 'application/json')).toEqual({
      status: 400,
      field,
    });
  });

  it('Postmark: an email dated before 1970 by its sender is stored (dated on receipt), not refused', async () => {
    const body = {
      FromFull: { Email: 'ann@example.com', Name: 'Ann' },
      Subject: 'Clock reset',
      TextBody: 'My phone thinks it is 1969.',
      Date: 'Wed, 31 Dec 1969 23:59:59 +0000',
      Headers: [{ Name: 'Message-ID', Value: '<old@example.com>' }],
    };
    expect(await postmark.post(json(body), 'application/json')).toEqual({ status: 200 });
    const stored = await postmark.desk.store.getMessageByExternalId('postmark', 'old@example.com');
    expect(stored?.createdAt).toBe(new Date(NOW_MS).toISOString());
    expect(stored?.meta?.date).toBe(body.Date);
  });
});

describe('webform', () => {
  const secret = 'adversarial-form-secret';
  const target = bench(webform({ secret }), async (body) => ({
    'x-threadline-signature': await signBody(secret, body),
  }));
  const fields: Pairs = [
    ['email', 'ann@example.com'],
    ['phone', '+14155550123'],
    ['name', 'Ann'],
    ['message', 'Please call me back'],
    ['subject', 'Callback'],
    ['formId', 'contact'],
    ['submissionId', 'sub-1'],
  ];

  it('JSON, urlencoded and multipart submissions with one field wrong or doubled answer 200 or 4xx', async () => {
    const submission = { ...Object.fromEntries(fields), topics: ['billing', 'sso'] };
    await property(substituted([submission]), (body) => target.post(body, 'application/json'), 150);
    await property(urlencoded(editedPairs([fields])), (body) =>
      target.post(body, 'application/x-www-form-urlencoded'),
    );
    await property(editedPairs([fields]), (pairs) => target.post(multipart(pairs), MULTIPART));
  });

  it.each([
    ['a badly escaped email', 'application/x-www-form-urlencoded', 'email=%E0%A4%A&message=hi', 'email'],
    ['an email that is a number', 'application/json', json({ email: 5, message: 'hi' }), 'email'],
    [
      'a nested object',
      'application/json',
      json({ email: 'ann@example.com', address: { city: 'x' } }),
      'address',
    ],
    ['a JSON array', 'application/json', json([['email', 'ann@example.com']]), '(root)'],
    ['a body with a BOM', 'application/json', `\uFEFF${json({ email: 'ann@example.com' })}`, '(root)'],
  ])('%s answers 400 naming the field', async (_name, contentType, body, field) => {
    expect(await target.post(body, contentType)).toEqual({ status: 400, field });
  });

  it('multipart fields named like Object.prototype members are kept in the form part', async () => {
    const own = fields.map(([name, value]): [string, string] => [
      name,
      name === 'submissionId' ? 'sub-2' : value,
    ]);
    const pairs: Pairs = [...own, ['constructor', 'ACME Builders'], ['toString', 'x']];
    expect(await target.post(multipart(pairs), MULTIPART)).toEqual({ status: 200 });
    const stored = await target.desk.store.getMessageByExternalId('webform', 'sub-2');
    const form = stored?.parts.find((part) => part.type === 'form');
    expect(form?.fields.map((field) => field.name)).toEqual([
      ...fields.map(([name]) => name),
      'constructor',
      'toString',
    ]);
  });
});

describe('webchat', () => {
  const secret = 'adversarial-chat-secret';
  const target = bench(webchat({ secret }), async (body) => ({
    'x-threadline-signature': await signBody(secret, body),
  }));
  const base = {
    visitorId: 'v-1',
    text: 'Hello',
    messageId: 'm-1',
    parts: [
      { type: 'text', text: 'Hello' },
      { type: 'media', url: 'https://cdn.example.com/a.png', size: 3 },
      { type: 'location', latitude: 1, longitude: 2 },
    ],
  };

  it('messages with one field replaced by arbitrary JSON answer 200 or 4xx', async () => {
    await property(substituted([base]), (body) => target.post(body, 'application/json'), 200);
  });

  it.each([
    ['a numeric visitorId', { visitorId: 5 }, 'visitorId'],
    ['an empty parts list', { parts: [] }, 'parts'],
    ['a media part without url', { parts: [{ type: 'media' }] }, 'parts[0].url'],
    [
      'a latitude out of range',
      { parts: [{ type: 'location', latitude: 91, longitude: 0 }] },
      'parts[0].latitude',
    ],
  ])('%s answers 400 naming the field', async (_name, edit, field) => {
    expect(await target.post(json({ ...base, ...edit }), 'application/json')).toEqual({ status: 400, field });
  });
});
