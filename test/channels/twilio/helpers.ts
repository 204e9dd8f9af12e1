import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseUrlEncoded } from '../../../src/channels/shared/form.js';
import { twilioSignature } from '../../../src/channels/twilio/index.js';
import type { RawRequest } from '../../../src/core/channel.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

/** Test credentials: a well-formed Account SID and an Auth Token of our own. */
export const ACCOUNT_SID = `AC${'0f'.repeat(16)}`;
export const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
export const WEBHOOK_URL = 'https://support.example.com/webhooks/twilio-sms';

/** Reads a fixture body from test/fixtures/twilio. */
export function fixture(name: string): string {
  return readFileSync(path.join(repoRoot, 'test/fixtures/twilio', name), 'utf8');
}

/** A form webhook signed with `token` for `url`, as Twilio would send it. */
export async function signedRequest(
  body: string,
  url = WEBHOOK_URL,
  token = AUTH_TOKEN,
): Promise<RawRequest> {
  const signature = await twilioSignature(token, url, parseUrlEncoded(body).pairs);
  return {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body,
  };
}

/** A form webhook without signature, for parse-only tests. */
export function unsignedRequest(body: string, url = WEBHOOK_URL): RawRequest {
  return { method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body };
}

/** The shared provider samples folder beside the repo, or undefined (with a loud warning) when absent. */
export function sharedSamples(folder: string): { dir: string; files: string[] } | undefined {
  const dir = path.resolve(repoRoot, '../shared/provider-samples', folder);
  if (!existsSync(dir)) {
    console.warn(`\n!!! ${dir} is absent: skipping the extra check over the shared Twilio samples !!!\n`);
    return undefined;
  }
  return { dir, files: readdirSync(dir).filter((name) => name.endsWith('.txt')) };
}
