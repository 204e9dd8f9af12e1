/**
 * Builds provider webhooks in their real wire formats, signed the way each provider signs them,
 * and posts them over HTTP. The simulator (customer messages) and the sink (Twilio delivery
 * status callbacks) both use it, so every inbound request runs the adapters' real verification.
 */
import { twilioSignature } from 'threadline/channels/twilio';
import { POSTMARK, TWILIO } from './config.js';

/** What a webhook POST answered. */
export interface WebhookResult {
  status: number;
  body: string;
}

async function post(url: string, init: RequestInit): Promise<WebhookResult> {
  const response = await fetch(url, { ...init, method: 'POST' });
  return { status: response.status, body: await response.text() };
}

/**
 * POSTs form-encoded Twilio parameters with `X-Twilio-Signature`: base64 HMAC-SHA1 of the URL
 * followed by every parameter name and value sorted by name, keyed by the Auth Token.
 */
export async function postTwilioWebhook(url: string, params: Record<string, string>): Promise<WebhookResult> {
  const pairs = Object.entries(params);
  const signature = await twilioSignature(TWILIO.authToken, url, pairs);
  return post(url, {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature,
      'user-agent': 'TwilioProxy/1.1',
    },
    body: new URLSearchParams(pairs).toString(),
  });
}

/**
 * POSTs a Postmark inbound-email JSON payload. Postmark does not sign webhooks; it sends the
 * credentials embedded in the webhook URL as HTTP Basic auth, which the adapter checks.
 */
export function postPostmarkWebhook(url: string, payload: unknown): Promise<WebhookResult> {
  const { username, password } = POSTMARK.basicAuth;
  return post(url, {
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
      'user-agent': 'Postmark',
    },
    body: JSON.stringify(payload),
  });
}

/** A provider-style random id: `prefix` + `length` hex digits (Twilio's `SM...`, `CA...`). */
export function providerSid(prefix: string, length = 32): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(length / 2)));
  return prefix + Buffer.from(bytes).toString('hex').slice(0, length);
}
