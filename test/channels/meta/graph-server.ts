import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OutboundDelivery } from '../../../src/core/channel.js';
import type { Part } from '../../../src/model/parts.js';

/** One request the fake Graph API received. */
export interface GraphRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

/** A scripted answer: status, JSON body and headers. */
export interface GraphAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A Graph API stand-in on 127.0.0.1: checks the bearer token like Graph does (OAuthException
 * code 190 otherwise), records each request, and answers from `script` in order, then with
 * a successful send answer in the API's shape.
 */
export async function startGraph(token: string, api: 'whatsapp' | 'messaging', script: GraphAnswer[] = []) {
  const requests: GraphRequest[] = [];
  let counter = 0;
  const server = createServer(async (req, res) => {
    const text = await readBody(req);
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    const path = req.url ?? '';
    requests.push({
      method: req.method ?? '',
      path,
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      body,
    });
    counter += 1;
    const unauthorized = req.headers.authorization !== `Bearer ${token}`;
    let answer = unauthorized
      ? graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token')
      : script.shift();
    answer ??= success(api, counter);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function success(api: 'whatsapp' | 'messaging', n: number): GraphAnswer {
  if (api === 'messaging') {
    return { status: 200, body: { recipient_id: '6823451098734521', message_id: `m_sent-${n}` } };
  }
  return {
    status: 200,
    body: {
      messaging_product: 'whatsapp',
      contacts: [{ input: '447700900123', wa_id: '447700900123' }],
      messages: [{ id: `wamid.SENT${n}` }],
    },
  };
}

/** A Graph error answer. */
export function graphError(
  status: number,
  code: number,
  message: string,
  extra: Record<string, unknown> = {},
): GraphAnswer {
  return {
    status,
    body: { error: { message, type: 'OAuthException', code, fbtrace_id: 'A1b2C3', ...extra } },
  };
}

const now = '2026-11-25T08:00:00.000Z';

/** An outbound delivery of `parts` to `to`, with the records a desk would pass. */
export function delivery(
  channel: string,
  parts: Part[],
  to: { kind: OutboundDelivery['to']['kind']; value: string },
  replyTo?: string,
): OutboundDelivery {
  const identity = { ...to, verified: true, source: channel, linkedAt: now, lastSeenAt: now };
  return {
    message: {
      id: 'msg_01JDB5Z7K3S9V4Q2W8E6R1T0YA',
      conversationId: 'conv_1',
      customerId: 'cus_1',
      brandId: 'default',
      channel,
      channelKind: 'whatsapp',
      direction: 'outbound',
      author: { type: 'agent', id: 'agent_7' },
      parts,
      status: 'queued',
      createdAt: now,
      at: Date.parse(now),
      version: 1,
      ...(replyTo ? { replyTo } : {}),
    },
    conversation: {
      id: 'conv_1',
      brandId: 'default',
      customerId: 'cus_1',
      status: 'open',
      priority: 'normal',
      tags: [],
      channels: [channel],
      lastInboundAtMs: {},
      messageCount: 1,
      createdAt: now,
      updatedAt: now,
      version: 1,
    },
    customer: {
      id: 'cus_1',
      brandId: 'default',
      traits: {},
      identities: [identity],
      createdAt: now,
      updatedAt: now,
      version: 1,
    },
    to: identity,
    idempotencyKey: 'msg_01JDB5Z7K3S9V4Q2W8E6R1T0YA',
    attempt: 1,
  };
}
