import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/slack');

/** A fixture body, exactly as the file holds it. */
export const slackFixture = (name: string): string => readFileSync(path.join(fixtures, name), 'utf8');

/** Slack's v0 signature computed with node:crypto: an oracle independent of the adapter's Web Crypto code. */
export function signatureOracle(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** The headers of an Events API request signed with `secret` at `timestamp`. */
export function signedHeaders(secret: string, timestamp: string, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-slack-signature': signatureOracle(secret, timestamp, body),
    'x-slack-request-timestamp': timestamp,
  };
}
