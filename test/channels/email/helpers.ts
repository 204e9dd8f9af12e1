import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OutboundDelivery, RawRequest } from '../../../src/core/channel.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

/** Reads a fixture of test/fixtures/email, by default as a binary (latin1) string: one char per byte. */
export function fixture(name: string, encoding: BufferEncoding = 'latin1'): string {
  return readFileSync(path.join(repoRoot, 'test/fixtures/email', name), encoding);
}

/** The shared provider samples folder, or undefined (with a loud warning) when absent. */
export function samplesDir(provider: string): string | undefined {
  const dir = path.resolve(repoRoot, '../shared/provider-samples', provider);
  if (!existsSync(dir)) {
    console.warn(`!!! ${dir} is absent: the provider-sample checks for ${provider} are skipped`);
    return undefined;
  }
  return dir;
}

/** A webhook request as the host hands it to an adapter. */
export function rawRequest(
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
): RawRequest {
  return {
    method: 'POST',
    url: 'https://desk.example.com/webhooks/email',
    headers: { 'content-type': contentType, ...headers },
    body,
  };
}

/** One request the test server received. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the test server answers. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A real HTTP server on 127.0.0.1 (ephemeral port) answering with `respond(request, index)`. */
export async function startServer(respond: (request: Received, index: number) => Answer) {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const answer = respond(request, requests.length - 1);
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const now = '2026-11-25T08:00:00.000Z';

/** An outbound delivery of one text reply in conversation `conv_42`. */
export function makeDelivery(
  thread?: OutboundDelivery['thread'],
  text = 'Happy to help: yes, you can.',
): OutboundDelivery {
  const delivery: OutboundDelivery = {
    message: {
      id: '0192f5a0-7c2b-7d11-a1b2-c3d4e5f60999',
      conversationId: 'conv_42',
      customerId: 'cus_1',
      brandId: 'default',
      channel: 'email',
      channelKind: 'email',
      direction: 'outbound',
      author: { type: 'agent', id: 'agent_7', name: 'Sam' },
      parts: [{ type: 'text', text }],
      status: 'queued',
      createdAt: now,
      at: Date.parse(now),
      version: 1,
    },
    conversation: {
      id: 'conv_42',
      brandId: 'default',
      customerId: 'cus_1',
      status: 'open',
      subject: 'Router keeps disconnecting',
      priority: 'normal',
      tags: [],
      channels: ['email'],
      lastInboundAtMs: {},
      messageCount: 2,
      createdAt: now,
      updatedAt: now,
      version: 3,
    },
    customer: {
      id: 'cus_1',
      brandId: 'default',
      traits: {},
      identities: [],
      createdAt: now,
      updatedAt: now,
      version: 1,
    },
    to: {
      kind: 'email',
      value: 'ana.souza@example.org',
      verified: true,
      source: 'postmark',
      linkedAt: now,
      lastSeenAt: now,
    },
    idempotencyKey: 'idem-1',
    attempt: 1,
  };
  if (thread) delivery.thread = thread;
  return delivery;
}

/** Fast delivery options for tests: short backoff, no long Retry-After waits. */
export const fastDelivery = { retries: 2, backoffLimitMs: 20, timeoutMs: 2_000, maxRetryAfterMs: 2_000 };
