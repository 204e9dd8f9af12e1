import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { ConversationSummary } from '../../../examples/demo/inbox-views.js';

/** Where screenshots go: `test-results/demo/` (CI artifacts). */
export const RESULTS_DIR = fileURLToPath(new URL('../../../test-results/demo/', import.meta.url));
const DOCS_IMAGES = fileURLToPath(new URL('../../../docs/images/', import.meta.url));

/** GETs or POSTs JSON on the demo's API. */
export async function call<T>(base: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(new URL(path, base), {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** A message of the conversation view, as the API returns it. */
export interface ViewMessage {
  channel: string;
  direction: string;
  status: string;
  parts: { type: string; text?: string; transcript?: string }[];
}

/** The conversation view the inbox loads. */
export interface ConversationView {
  conversation: { id: string; channels: string[] };
  customer: { identities: { kind: string; value: string; verified: boolean }[] };
  messages: ViewMessage[];
  defaultChannel?: string;
}

export const conversations = (base: string) => call<ConversationSummary[]>(base, '/api/conversations');
export const view = (base: string, id: string) => call<ConversationView>(base, `/api/conversations/${id}`);

/** The text of a message's text parts. */
export const textOf = (message: ViewMessage) => message.parts.map((part) => part.text ?? '').join(' ');

/** Polls until `probe` returns a value other than undefined (or fails the test after `timeout`). */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeout = 15_000,
): Promise<T> {
  let last: T | undefined;
  await expect
    .poll(
      async () => {
        last = await probe();
        return last !== undefined;
      },
      { timeout, interval: 100, message: what },
    )
    .toBe(true);
  return last as T;
}

/** Copies a screenshot into docs/images when UPDATE_DOCS_IMAGES=1 (the README embeds it). */
export async function publishScreenshot(file: string, name: string): Promise<void> {
  if (process.env.UPDATE_DOCS_IMAGES !== '1') return;
  await mkdir(DOCS_IMAGES, { recursive: true });
  await copyFile(file, `${DOCS_IMAGES}${name}`);
}
