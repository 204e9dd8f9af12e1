import type { RawRequest, WebhookReply } from '../../core/channel.js';
import { assertSignature, hmacText, timingSafeEqual } from '../shared/signature.js';

/**
 * Answers Meta's webhook verification request: `GET ?hub.mode=subscribe&hub.verify_token=…
 * &hub.challenge=…` is answered 200 with the challenge as text/plain when the token matches
 * (compared in constant time), 403 when it does not, 400 when a parameter is missing.
 * Returns undefined for anything but GET, so the POST goes on to `verify`.
 */
export function answerHandshake(raw: RawRequest, verifyToken: string): WebhookReply | undefined {
  if (raw.method.toUpperCase() !== 'GET') return undefined;
  let params: URLSearchParams;
  try {
    params = new URL(raw.url, 'http://localhost').searchParams;
  } catch {
    return plain(400, 'malformed URL');
  }
  const mode = params.get('hub.mode');
  const token = params.get('hub.verify_token');
  const challenge = params.get('hub.challenge');
  if (mode !== 'subscribe' || token === null || !challenge) {
    return plain(400, 'expected hub.mode=subscribe, hub.verify_token and hub.challenge');
  }
  if (!timingSafeEqual(token, verifyToken)) return plain(403, 'verify token does not match');
  return plain(200, challenge);
}

function plain(status: number, body: string): WebhookReply {
  return { status, body, contentType: 'text/plain; charset=utf-8' };
}

/**
 * Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`. Meta also sends
 * the legacy SHA-1 `X-Hub-Signature`; only the SHA-256 header is accepted.
 * @throws SignatureError when the header is missing or does not match.
 */
export async function verifyHubSignature(channel: string, raw: RawRequest, appSecret: string): Promise<void> {
  const given = raw.headers['x-hub-signature-256'];
  const expected = `sha256=${await hmacText('SHA-256', appSecret, raw.body, 'hex')}`;
  assertSignature(channel, given?.trim().toLowerCase(), [expected]);
}
