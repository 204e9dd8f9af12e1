/**
 * The provider sink: local routes that play Twilio's Messages API and Postmark's Email API.
 * The channel adapters' `apiBaseUrl` points here, so an agent's reply runs the whole real outbound
 * path (outbox, adapter, HTTP request with the provider's auth) and lands in a list the inbox shows
 * as "what would have been delivered". Twilio sends are followed by a signed `delivered` status
 * callback, as Twilio posts them to `StatusCallback`.
 */
import { POSTMARK, TWILIO } from './config.js';
import { postTwilioWebhook, providerSid } from './signed-webhooks.js';

/** One message the sink accepted. */
export interface SinkDelivery {
  id: string;
  at: string;
  provider: 'twilio' | 'postmark';
  /** `sms`, `whatsapp` or `email`. */
  kind: string;
  from: string;
  to: string;
  subject?: string;
  text: string;
  /** Request headers worth showing (idempotency key, threading headers). */
  headers: Record<string, string>;
}

/** Options of {@link createSink}. */
export interface SinkOptions {
  /** Called after each accepted delivery (the inbox's live feed). */
  onDelivery?(delivery: SinkDelivery): void;
  /** Delay of the simulated `delivered` status callback in ms. Default 400. */
  statusDelayMs?: number;
}

/** The sink: a Fetch handler for `/sink/...` and the deliveries it recorded. */
export interface Sink {
  handle(request: Request): Promise<Response | undefined>;
  deliveries(): SinkDelivery[];
  close(): void;
}

const twilioPath = `/sink/twilio/2010-04-01/Accounts/${TWILIO.accountSid}/Messages.json`;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** Creates the sink. Keep one per server; `close` cancels pending status callbacks. */
export function createSink(options: SinkOptions = {}): Sink {
  const deliveries: SinkDelivery[] = [];
  const byIdempotencyKey = new Map<string, SinkDelivery>();
  const callbacks = statusCallbacks(options.statusDelayMs ?? 400);
  const record = (delivery: SinkDelivery) => {
    deliveries.push(delivery);
    options.onDelivery?.(delivery);
  };

  async function twilio(request: Request): Promise<Response> {
    const expected = `Basic ${Buffer.from(`${TWILIO.accountSid}:${TWILIO.authToken}`).toString('base64')}`;
    if (request.headers.get('authorization') !== expected) {
      return json(401, {
        code: 20003,
        message: 'Authenticate',
        more_info: 'https://www.twilio.com/docs/errors/20003',
        status: 401,
      });
    }
    const form = new URLSearchParams(await request.text());
    const key = request.headers.get('i-twilio-idempotency-token') ?? '';
    const seen = byIdempotencyKey.get(key);
    const delivery = seen ?? twilioDelivery(form, key);
    if (!seen) {
      if (key) byIdempotencyKey.set(key, delivery);
      record(delivery);
      const callback = form.get('StatusCallback');
      if (callback) callbacks.schedule(callback, delivery);
    }
    return json(201, twilioResource(delivery));
  }

  async function postmark(request: Request): Promise<Response> {
    if (request.headers.get('x-postmark-server-token') !== POSTMARK.serverToken) {
      return json(401, {
        ErrorCode: 10,
        Message: 'The Server Token you provided in the X-Postmark-Server-Token request header was invalid.',
      });
    }
    const body = (await request.json()) as PostmarkEmail;
    const delivery = postmarkDelivery(body);
    record(delivery);
    return json(200, {
      To: body.To,
      SubmittedAt: delivery.at,
      MessageID: delivery.id,
      ErrorCode: 0,
      Message: 'OK',
    });
  }

  return {
    async handle(request) {
      const { pathname } = new URL(request.url);
      if (!pathname.startsWith('/sink/')) return undefined;
      if (request.method !== 'POST') return json(405, { message: 'Method not allowed' });
      if (pathname === twilioPath) return twilio(request);
      if (pathname === '/sink/postmark/email') return postmark(request);
      return json(404, { message: `The sink has no route ${pathname}` });
    },
    deliveries: () => [...deliveries],
    close: callbacks.cancel,
  };
}

/** Twilio's `delivered` status callbacks, signed and posted a moment after each send. */
function statusCallbacks(delayMs: number) {
  const timers = new Set<NodeJS.Timeout>();
  return {
    schedule(url: string, delivery: SinkDelivery) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        const params = {
          MessageSid: delivery.id,
          SmsSid: delivery.id,
          AccountSid: TWILIO.accountSid,
          From: delivery.from,
          To: delivery.to,
          MessageStatus: 'delivered',
          SmsStatus: 'delivered',
          ApiVersion: '2010-04-01',
        };
        postTwilioWebhook(url, params).catch((error) => console.error('status callback failed:', error));
      }, delayMs);
      timers.add(timer);
    },
    cancel() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

function twilioDelivery(form: URLSearchParams, key: string): SinkDelivery {
  const to = form.get('To') ?? '';
  return {
    id: providerSid('SM'),
    at: new Date().toISOString(),
    provider: 'twilio',
    kind: to.startsWith('whatsapp:') ? 'whatsapp' : 'sms',
    from: form.get('From') ?? form.get('MessagingServiceSid') ?? '',
    to,
    text: form.get('Body') ?? '',
    headers: key ? { 'I-Twilio-Idempotency-Token': key } : {},
  };
}

/** The Message resource Twilio answers a create with (the fields a client reads). */
function twilioResource(delivery: SinkDelivery) {
  return {
    sid: delivery.id,
    account_sid: TWILIO.accountSid,
    from: delivery.from,
    to: delivery.to,
    body: delivery.text,
    status: 'queued',
    direction: 'outbound-api',
    api_version: '2010-04-01',
    num_segments: '1',
    date_created: new Date(delivery.at).toUTCString(),
    uri: `/2010-04-01/Accounts/${TWILIO.accountSid}/Messages/${delivery.id}.json`,
  };
}

interface PostmarkEmail {
  From?: string;
  To?: string;
  Subject?: string;
  TextBody?: string;
  ReplyTo?: string;
  Headers?: { Name: string; Value: string }[];
}

function postmarkDelivery(body: PostmarkEmail): SinkDelivery {
  const headers: Record<string, string> = {};
  for (const header of body.Headers ?? []) headers[header.Name] = header.Value;
  if (body.ReplyTo) headers['Reply-To'] = body.ReplyTo;
  return {
    id: crypto.randomUUID(),
    at: new Date().toISOString(),
    provider: 'postmark',
    kind: 'email',
    from: body.From ?? '',
    to: body.To ?? '',
    ...(body.Subject !== undefined && { subject: body.Subject }),
    text: body.TextBody ?? '',
    headers,
  };
}
