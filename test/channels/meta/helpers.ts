import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawRequest } from '../../../src/core/channel.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

/** The shared provider samples folder, or undefined (with a loud warning) when it is absent. */
export function sharedSamples(folder: string): string | undefined {
  const dir = path.resolve(repoRoot, '../shared/provider-samples', folder);
  if (existsSync(dir)) return dir;
  console.warn(`\n!!! ${dir} is missing: the shared provider-sample checks for ${folder} are SKIPPED !!!\n`);
  return undefined;
}

/** A fixture's bytes from test/fixtures/meta. */
export function fixture(name: string): string {
  return readFileSync(path.join(repoRoot, 'test/fixtures/meta', name), 'utf8');
}

/** `sha256=` + hex HMAC-SHA256, computed with node:crypto (independent of the code under test). */
export function sign(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** A webhook POST signed with `secret` (or carrying `signature` as given). */
export function post(body: string, secret: string | undefined, signature?: string): RawRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const value = signature ?? (secret === undefined ? undefined : sign(secret, body));
  if (value !== undefined) headers['x-hub-signature-256'] = value;
  return { method: 'POST', url: 'https://desk.example.com/webhooks/whatsapp', headers, body };
}

/** The handshake GET Meta sends when a callback URL is saved. */
export function handshakeRequest(params: Record<string, string>, method = 'GET'): RawRequest {
  const query = new URLSearchParams(params).toString();
  return { method, url: `https://desk.example.com/webhooks/whatsapp?${query}`, headers: {}, body: '' };
}

export const APP_SECRET = 'threadline-test-app-secret';
export const VERIFY_TOKEN = 'threadline-verify-7f3a';
