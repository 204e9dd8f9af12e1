import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChannelAdapter, RawRequest, WebhookReply } from '../../src/core/channel.js';
import type { Desk } from '../../src/core/types.js';
import type { FetchHandler } from '../../src/http/handler.js';
import { type NodeListener, toNodeListener } from '../../src/http/node.js';
import {
  ConflictError,
  PolicyError,
  SignatureError,
  StorageError,
  ValidationError,
} from '../../src/model/errors.js';
import type { InboundEvent } from '../../src/model/inbound.js';

/** A node:http server on 127.0.0.1 (ephemeral port) serving `handler` through `toNodeListener`. */
export interface TestServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Starts a server; `wrap` may adjust the node request first (an Express mount, a body parser). */
export async function serve(
  handler: FetchHandler,
  wrap?: (listener: NodeListener) => NodeListener,
): Promise<TestServer> {
  const listener = toNodeListener(handler);
  const server = createServer(wrap ? wrap(listener) : listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * A {@link serve} wrap that counts the requests under `prefix` (`/chat/events`: live streams)
 * whose responses are still open, calling `onOpen` with each such request as it comes.
 */
export function countOpen(prefix: string, onOpen?: (request: Parameters<NodeListener>[0]) => void) {
  let open = 0;
  return {
    open: () => open,
    wrap:
      (listener: NodeListener): NodeListener =>
      (req, res) => {
        if (req.url?.startsWith(prefix)) {
          onOpen?.(req);
          open++;
          res.on('close', () => open--);
        }
        return listener(req, res);
      },
  };
}

/** How many events the desk's store holds: a webhook that stores nothing leaves it unchanged. */
export async function eventCount(desk: Desk): Promise<number> {
  return (await desk.store.readEvents({ limit: 1_000_000 })).length;
}

const failures: Record<string, () => Error> = {
  policy: () => new PolicyError('outside the reply window'),
  conflict: () => new ConflictError('version 3 expected, found 4'),
  storage: () => new StorageError('disk /var/lib/secret-path is full'),
  signature: () => new SignatureError('hooky: bad token'),
  validation: () => new ValidationError('hooky payload', [{ path: ['entry', 0, 'id'], message: 'required' }]),
  crash: () => new TypeError('Cannot read properties of undefined (reading "secret-internal")'),
};

/**
 * A test-only adapter: a Meta-style GET handshake (`hub.challenge` with verify token `tok`), a
 * JSON body `{ from, text, id }` becoming one message, `{ fail: <kind> }` throwing that error, and
 * an acknowledgement body. It records the last raw request it saw.
 */
export function hooky(): ChannelAdapter & { seen: RawRequest[] } {
  const seen: RawRequest[] = [];
  return {
    id: 'hooky',
    kind: 'sms',
    capabilities: { parts: ['text'], recipientKinds: ['phone'] },
    seen,
    handshake(raw: RawRequest): WebhookReply | undefined {
      const query = new URL(raw.url).searchParams;
      if (raw.method !== 'GET' || query.get('hub.mode') !== 'subscribe') return undefined;
      if (query.get('hub.verify_token') !== 'tok') return { status: 403, body: 'bad token' };
      return { status: 200, body: query.get('hub.challenge') ?? '', contentType: 'text/plain' };
    },
    async verify(raw: RawRequest): Promise<void> {
      seen.push(raw);
    },
    parse(raw: RawRequest): InboundEvent[] {
      const data = JSON.parse(raw.body) as { from: string; text: string; id?: string; fail?: string };
      const fail = data.fail === undefined ? undefined : failures[data.fail];
      if (fail) throw fail();
      const message = {
        channel: 'hooky',
        from: { kind: 'phone' as const, value: data.from, verified: true },
        text: data.text,
      };
      return [{ type: 'message', message: data.id ? { ...message, externalId: data.id } : message }];
    },
    acknowledge: (_raw: RawRequest, events: InboundEvent[]) => ({
      status: 200,
      body: `<Response><!-- ${events.length} --></Response>`,
      contentType: 'text/xml',
    }),
    async send() {
      return { externalId: 'x' };
    },
  };
}
