import type { RawRequest } from '../../core/channel.js';
import { SignatureError } from '../../model/errors.js';
import { assertFresh, assertSignature, hmacText } from '../shared/signature.js';

/** What verification needs: the secret, the window and the clock. */
export interface VerifyContext {
  channel: string;
  signingSecret: string;
  replayWindowSec: number;
  clock: () => number;
}

/** Slack's v0 signature of a request body sent at `timestamp` (seconds, as the header spells it). */
export async function slackSignature(
  signingSecret: string,
  timestamp: string,
  body: string,
): Promise<string> {
  return `v0=${await hmacText('SHA-256', signingSecret, `v0:${timestamp}:${body}`, 'hex')}`;
}

/**
 * Verifies `X-Slack-Signature` (`v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`) and that
 * `X-Slack-Request-Timestamp` lies within the replay window. Throws a SignatureError otherwise.
 */
export async function verifySlackRequest(context: VerifyContext, raw: RawRequest): Promise<void> {
  const timestamp = raw.headers['x-slack-request-timestamp'];
  const signature = raw.headers['x-slack-signature'];
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) {
    throw new SignatureError(`${context.channel}: missing or malformed X-Slack-Request-Timestamp`);
  }
  assertFresh(context.channel, Number(timestamp), context.clock(), context.replayWindowSec);
  assertSignature(context.channel, signature, [
    await slackSignature(context.signingSecret, timestamp, raw.body),
  ]);
}
