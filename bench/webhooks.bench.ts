import { Agent, createServer, request as httpRequest, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postmarkInbound } from '../src/channels/email/index.js';
import { whatsappCloud } from '../src/channels/meta/index.js';
import { hmac, toHex } from '../src/channels/shared/signature.js';
import { twilioSignature, twilioSms } from '../src/channels/twilio/index.js';
import { signBody, webform } from '../src/channels/webform/index.js';
import type { ChannelAdapter } from '../src/core/channel.js';
import { createWebhookHandler, type FetchHandler } from '../src/http/handler.js';
import { toNodeListener } from '../src/http/node.js';
import { createDesk } from '../src/index.js';
import type { InboundMessage } from '../src/model/inbound.js';
import { memoryStore } from '../src/stores/memory/index.js';
import type { BenchRow, BenchSection } from './report.js';

/** Messages per measured run (override with BENCH_WEBHOOK_ITERATIONS). */
const ITERATIONS = Number(process.env.BENCH_WEBHOOK_ITERATIONS ?? 20_000);
const WARMUP = Math.min(2_000, ITERATIONS);
const SENDERS = 200;
/** Sequential (latency-bound) and with requests in flight, as a server sees them. */
const CONCURRENCY = [1, 16];
const ORIGIN = 'https://bench.example.com';

/** One signed provider webhook, before it becomes a `Request` (bodies are single-use). */
interface Sample {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A channel under test: its adapter and a maker of the i-th distinct signed webhook. */
interface Scenario {
  name: string;
  adapter: () => ChannelAdapter;
  sample: (i: number) => Promise<Sample>;
}

const logger = { warn: () => undefined, error: (...args: unknown[]) => console.error(...args) };
const phone = (i: number) => `+1415555${String(1000 + (i % SENDERS)).padStart(4, '0')}`;
const hex32 = (i: number) => i.toString(16).padStart(32, '0');

const FORM_SECRET = 'bench-form-secret-0123456789';
const TWILIO = { accountSid: `AC${hex32(1)}`, authToken: 'bench-twilio-token', from: '+14155550000' };
const META = {
  appSecret: 'bench-app-secret',
  verifyToken: 'bench-verify',
  accessToken: 'bench-token',
  phoneNumberId: '1234567890',
};
const POSTMARK = { username: 'bench', password: 'bench-password' };

async function webformSample(i: number): Promise<Sample> {
  const body = JSON.stringify({
    submissionId: `sub-${i}`,
    email: `visitor${i % SENDERS}@example.com`,
    name: 'Visitor',
    message: `Question ${i}`,
  });
  const signature = await signBody(FORM_SECRET, body);
  return {
    url: `${ORIGIN}/webhooks/webform`,
    headers: { 'content-type': 'application/json', 'x-threadline-signature': signature },
    body,
  };
}

async function twilioSample(i: number): Promise<Sample> {
  const url = `${ORIGIN}/webhooks/twilio-sms`;
  const params = new URLSearchParams({
    MessageSid: `SM${hex32(i)}`,
    AccountSid: TWILIO.accountSid,
    From: phone(i),
    To: '+14155550000',
    Body: `Question ${i}`,
    NumMedia: '0',
    SmsStatus: 'received',
  });
  const signature = await twilioSignature(TWILIO.authToken, url, params);
  return {
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: params.toString(),
  };
}

async function whatsappSample(i: number): Promise<Sample> {
  const from = phone(i).slice(1);
  const value = {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: '15550000000', phone_number_id: META.phoneNumberId },
    contacts: [{ profile: { name: 'Visitor' }, wa_id: from }],
    messages: [
      { from, id: `wamid.bench${i}`, timestamp: '1767225600', type: 'text', text: { body: `Question ${i}` } },
    ],
  };
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '99', changes: [{ field: 'messages', value }] }],
  });
  const signature = `sha256=${toHex(await hmac('SHA-256', META.appSecret, body))}`;
  return {
    url: `${ORIGIN}/webhooks/whatsapp`,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    body,
  };
}

async function postmarkSample(i: number): Promise<Sample> {
  const email = `visitor${i % SENDERS}@example.com`;
  const body = JSON.stringify({
    From: email,
    FromName: 'Visitor',
    FromFull: { Email: email, Name: 'Visitor', MailboxHash: '' },
    To: 'support@example.com',
    Subject: `Question ${i}`,
    MessageID: `bench-${i}`,
    Date: 'Thu, 1 Jan 2026 00:00:00 +0000',
    TextBody: `Question ${i}`,
    Headers: [{ Name: 'Message-ID', Value: `<bench-${i}@mail.example.com>` }],
    Attachments: [],
  });
  const authorization = `Basic ${btoa(`${POSTMARK.username}:${POSTMARK.password}`)}`;
  return {
    url: `${ORIGIN}/webhooks/postmark`,
    headers: { 'content-type': 'application/json', authorization },
    body,
  };
}

const scenarios: Scenario[] = [
  { name: 'webform', adapter: () => webform({ secret: FORM_SECRET }), sample: webformSample },
  { name: 'Twilio SMS', adapter: () => twilioSms(TWILIO), sample: twilioSample },
  { name: 'WhatsApp Cloud', adapter: () => whatsappCloud(META), sample: whatsappSample },
  {
    name: 'Postmark inbound',
    adapter: () => postmarkInbound({ basicAuth: POSTMARK }),
    sample: postmarkSample,
  },
];

function toRequest(sample: Sample): Request {
  return new Request(sample.url, { method: 'POST', headers: sample.headers, body: sample.body });
}

/** Runs `work` over `items` with `concurrency` in flight; resolves with microseconds per item. */
async function timed<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ((performance.now() - started) * 1000) / items.length;
}

/**
 * Microseconds per webhook, Request in to message stored, through `createWebhookHandler`. Like a
 * server's runtime, the bench builds each `Request` as its delivery arrives: `concurrency` of them
 * at a time, untimed, then handled with that many in flight. (Building thousands ahead would keep
 * their body streams alive and measure the garbage collector copying them.)
 */
async function timeWebhooks(scenario: Scenario, samples: Sample[], concurrency: number): Promise<number> {
  const desk = createDesk({ store: memoryStore(), channels: [scenario.adapter()], logger });
  const handler = createWebhookHandler(desk, { logger });
  const perItem = await timeWebhooksWith(samples, concurrency, async (request) => {
    const response = await handler(request);
    if (response.status >= 300)
      throw new Error(`${scenario.name}: answered ${response.status}: ${await response.text()}`);
    return response;
  });
  await desk.close();
  return perItem;
}

/** Microseconds per request through `handle`, each `Request` built untimed as its delivery arrives. */
async function timeWebhooksWith(
  samples: Sample[],
  concurrency: number,
  handle: (request: Request) => Promise<Response>,
): Promise<number> {
  let total = 0;
  for (let start = 0; start < samples.length; start += concurrency) {
    const requests = samples.slice(start, start + concurrency).map(toRequest);
    total +=
      (await timed(requests, concurrency, async (request) => {
        await handle(request);
      })) * requests.length;
  }
  return total / samples.length;
}

/** Microseconds per `desk.receive` of the same messages, already normalized: the floor. */
async function timeReceive(
  scenario: Scenario,
  messages: InboundMessage[],
  concurrency: number,
): Promise<number> {
  const desk = createDesk({ store: memoryStore(), channels: [scenario.adapter()], logger });
  const perItem = await timed(messages, concurrency, async (message) => {
    await desk.receive(message);
  });
  await desk.close();
  return perItem;
}

/**
 * Microseconds per `desk.receive` of the same messages, sequential, each after its delivery's
 * `Request` is built and its body read, untimed: what the runtime's Fetch objects (their
 * allocations, their share of the CPU caches) do to the cost of the receive that follows them.
 */
async function timeReceiveAmidFetch(
  scenario: Scenario,
  samples: Sample[],
  messages: InboundMessage[],
): Promise<number> {
  const desk = createDesk({ store: memoryStore(), channels: [scenario.adapter()], logger });
  let total = 0;
  for (let i = 0; i < messages.length; i++) {
    await toRequest(samples[i]!).text();
    const start = performance.now();
    await desk.receive(messages[i]!);
    total += performance.now() - start;
  }
  await desk.close();
  return (total * 1000) / messages.length;
}

async function normalized(scenario: Scenario, samples: Sample[]): Promise<InboundMessage[]> {
  const adapter = scenario.adapter();
  const messages: InboundMessage[] = [];
  for (const sample of samples) {
    const raw = { method: 'POST', url: sample.url, headers: sample.headers, body: sample.body };
    for (const event of await adapter.parse(raw)) if (event.type === 'message') messages.push(event.message);
  }
  if (messages.length !== samples.length)
    throw new Error(`${scenario.name}: expected one message per webhook`);
  return messages;
}

async function measure(scenario: Scenario, concurrency: number): Promise<BenchRow[]> {
  const samples = await Promise.all(Array.from({ length: ITERATIONS }, (_, i) => scenario.sample(i)));
  const messages = await normalized(scenario, samples);
  await timeWebhooks(scenario, samples.slice(0, WARMUP), concurrency);
  await timeReceive(scenario, messages.slice(0, WARMUP), concurrency);
  const floor = await timeReceive(scenario, messages, concurrency);
  const value = await timeWebhooks(scenario, samples, concurrency);
  const rows: BenchRow[] = [
    {
      name: `${scenario.name} webhook -> stored, ${concurrency === 1 ? 'sequential' : `${concurrency} in flight`}`,
      value,
      unit: 'µs/msg',
      floor,
      floorName: 'desk.receive',
      target: '< 2x receive',
      met: value < 2 * floor,
    },
  ];
  if (concurrency === 1) {
    rows.push({
      name: `${scenario.name}: desk.receive alone, each after its webhook's Request is built and read (untimed), sequential`,
      value: await timeReceiveAmidFetch(scenario, samples, messages),
      unit: 'µs/msg',
      floor,
      floorName: 'desk.receive',
    });
  }
  return rows;
}

const decoder = new TextDecoder();

/**
 * The Fetch runtime's own share of a webhook, with no Threadline code: read the body through its
 * stream and decode it, copy the headers, build the answer. Requests are built as in
 * {@link timeWebhooks}, one at a time, untimed.
 */
async function timePlumbing(samples: Sample[], answer: () => Response): Promise<number> {
  return timeWebhooksWith(samples, 1, async (request) => {
    const reader = request.body!.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      decoder.decode(chunk.value);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return answer();
  });
}

/** Empty TwiML, as the Twilio adapter answers a message webhook with `emptyTwiml: true`. */
const twiml = () =>
  new Response('<?xml version="1.0" encoding="UTF-8"?><Response/>', {
    status: 200,
    headers: { 'content-type': 'text/xml' },
  });

async function plumbingRows(): Promise<BenchRow[]> {
  const form = await Promise.all(Array.from({ length: ITERATIONS }, (_, i) => webformSample(i)));
  const twilio = await Promise.all(Array.from({ length: ITERATIONS }, (_, i) => twilioSample(i)));
  const empty = () => new Response(null, { status: 200 });
  await timePlumbing(form.slice(0, WARMUP), empty);
  return [
    {
      name: 'Fetch plumbing alone: read the body, copy the headers, answer 200 empty (webform requests)',
      value: await timePlumbing(form, empty),
      unit: 'µs/msg',
    },
    {
      name: 'Fetch plumbing alone, answering 204 as the Twilio adapter does (Twilio requests)',
      value: await timePlumbing(twilio, () => new Response(null, { status: 204 })),
      unit: 'µs/msg',
    },
    {
      name: 'Fetch plumbing alone, answering empty TwiML (`emptyTwiml: true`; Twilio requests)',
      value: await timePlumbing(twilio, twiml),
      unit: 'µs/msg',
    },
  ];
}

/** Requests in flight over the loopback socket rows. */
const SOCKETS = 16;

/**
 * Microseconds per request to a node:http server on 127.0.0.1 running `listener`, `SOCKETS` in
 * flight on keep-alive connections. The client runs in this process too, so every row (and its
 * floor) includes the client's share of the two cores.
 */
async function timeOverSocket(listener: RequestListener, samples: Sample[]): Promise<number> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: SOCKETS });
  const post = (sample: Sample) =>
    new Promise<void>((resolve, reject) => {
      const path = new URL(sample.url).pathname;
      const headers = { ...sample.headers, 'content-length': String(Buffer.byteLength(sample.body)) };
      const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', agent, headers }, (res) => {
        res.resume();
        res.on('end', () =>
          (res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`answered ${res.statusCode}`)),
        );
      });
      req.on('error', reject);
      req.end(sample.body);
    });
  try {
    return await timed(samples, SOCKETS, post);
  } finally {
    agent.destroy();
    server.closeAllConnections();
    server.close();
  }
}

/** A server that reads the body and answers 200: node:http's own share of a webhook. */
const bareListener: RequestListener = (req, res) => {
  req.resume();
  req.on('end', () => {
    res.statusCode = 200;
    res.end();
  });
};

/**
 * The webform webhook over a real socket: through `toNodeListener(createWebhookHandler(desk))`
 * (served from node's request directly), and through the Fetch objects (the same handler
 * wrapped in a function), beside a bare node:http server reading the same requests.
 */
async function socketRows(): Promise<BenchRow[]> {
  const samples = await Promise.all(Array.from({ length: ITERATIONS }, (_, i) => webformSample(i)));
  const scenario = scenarios[0]!;
  const through = (wrap: (handler: FetchHandler) => FetchHandler) => {
    const desk = createDesk({ store: memoryStore(), channels: [scenario.adapter()], logger });
    return toNodeListener(wrap(createWebhookHandler(desk, { logger }))) as RequestListener;
  };
  const direct = () => through((handler) => handler);
  const viaFetch = () => through((handler) => (request) => handler(request));
  await timeOverSocket(direct(), samples.slice(0, WARMUP));
  await timeOverSocket(viaFetch(), samples.slice(0, WARMUP));
  await timeOverSocket(bareListener, samples.slice(0, WARMUP));
  const floor = await timeOverSocket(bareListener, samples);
  const floorName = 'node:http reading the body, answering 200';
  return [
    {
      name: `webform webhook -> stored over node:http, toNodeListener(createWebhookHandler), ${SOCKETS} in flight`,
      value: await timeOverSocket(direct(), samples),
      unit: 'µs/msg',
      floor,
      floorName,
    },
    {
      name: `the same through Fetch Request/Response objects (a wrapped handler), ${SOCKETS} in flight`,
      value: await timeOverSocket(viaFetch(), samples),
      unit: 'µs/msg',
      floor,
      floorName,
    },
  ];
}

/**
 * Webhook-to-stored cost: for each channel, `ITERATIONS` distinct signed provider webhooks go
 * through `createWebhookHandler` (verify, parse, ingest) into a fresh memory store, beside
 * `desk.receive` of the same messages already normalized (the floor) on another fresh store.
 */
export async function run(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  for (const scenario of scenarios) {
    for (const concurrency of CONCURRENCY) rows.push(...(await measure(scenario, concurrency)));
  }
  rows.push(...(await plumbingRows()));
  rows.push(...(await socketRows()));
  return {
    title: 'Webhooks: Request in, message stored',
    rows,
    notes: [
      `${ITERATIONS.toLocaleString('en-US')} distinct signed webhooks per channel from ${SENDERS} senders, sequential, ` +
        'memory store; floor: `desk.receive` of the same normalized messages on a fresh store. Lower is better. ' +
        'Each `Request` is built untimed as its delivery arrives (`concurrency` at a time), as a server runtime builds it.',
      "The plumbing rows run no Threadline code: they are the Fetch runtime's own share of every webhook row above " +
        "(Node 20's undici: reading a body goes through a web stream, and a `Response` with a body builds one), " +
        'which no handler can avoid on the Fetch path.',
      "The rows of `desk.receive` alone after each webhook's `Request` is built and read run the receive of the floor, " +
        "timed alone, with the runtime's Fetch objects made between receives as a server makes them: the receive " +
        'itself gets slower (the objects fill the young generation, so the collector runs more often, and evict ' +
        "the store's indexes from the CPU caches). That slower receive is part of every webhook row, and of any " +
        'handler on this runtime that takes a Fetch `Request`.',
      `The node:http rows send the webform webhooks over keep-alive loopback connections, ${SOCKETS} in flight, from a ` +
        'client in the same process (so value and floor both include the client). `toNodeListener` serves a ' +
        '`createWebhookHandler` handler from the node request directly; the wrapped handler shows the cost of the ' +
        'Fetch objects it avoids.',
    ],
  };
}
