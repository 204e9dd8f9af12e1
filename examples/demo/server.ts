/**
 * The Threadline demo: a shop page with the `<threadline-chat>` widget, an agent inbox with the
 * unified timeline, and a channel simulator that posts real, signed provider webhooks to this
 * same server. Outbound replies go to a local sink that plays the providers' APIs.
 *
 * Run: npm run demo [-- --port 3000] [--memory] [--data <dir>]
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Desk, Store } from 'threadline';
import {
  createWebChatHandler,
  createWebhookHandler,
  type FetchHandler,
  toNodeListener,
} from 'threadline/http';
import { fileStore } from 'threadline/stores/file';
import { memoryStore } from 'threadline/stores/memory';
import { createApi } from './api.js';
import { AGENT, CHANNELS, IDENTITY_SECRET, POSTMARK } from './config.js';
import { createDemoDesk, noticeOf, syncShopAccounts } from './desk.js';
import { createLiveHub, type LiveHub } from './live.js';
import { trackMergeSuggestions } from './merge-suggestions.js';
import { createSink } from './sink.js';
import { bundleWidget, createStaticHandler } from './static.js';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Port on 127.0.0.1. Default 3000; 0 picks a free one. */
  port?: number;
  /** Keep everything in memory (gone on exit) instead of the file store. Default false. */
  memory?: boolean;
  /** File store directory. Default `.demo-data/` in the project. */
  dataDir?: string;
}

/** A running demo. */
export interface RunningDemo {
  url: string;
  desk: Desk;
  close(): Promise<void>;
}

type MaybeHandler = (request: Request) => Promise<Response | undefined>;

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

function listen(server: Server, port: number): Promise<number> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done((server.address() as AddressInfo).port));
  });
}

async function openStore(options: DemoOptions): Promise<Store> {
  if (options.memory) return memoryStore();
  return fileStore({ dir: options.dataDir ?? resolve(projectRoot, '.demo-data') });
}

/** The web-chat endpoints; visitors' typing signals go to the inbox's live feed. */
function createChat(desk: Desk, hub: LiveHub) {
  const chat = createWebChatHandler(desk, {
    basePath: '/chat',
    channel: CHANNELS.webchat,
    identitySecret: IDENTITY_SECRET,
    // A web-chat reply still unread after two minutes is emailed to a verified address.
    emailFallback: { channel: CHANNELS.email, delayMs: 120_000, replyDomain: POSTMARK.replyDomain },
  });
  const stopTyping = chat.onTyping(({ conversationId, customerId, typing }) =>
    hub.publish({
      type: 'visitor.typing',
      typing,
      ...(conversationId && { conversationId }),
      ...(customerId && { customerId }),
    }),
  );
  return Object.assign(chat, { stopTyping });
}

/** Asks each handler in turn; the first answer wins, else `fallback` answers. */
function firstAnswer(chain: MaybeHandler[], fallback: FetchHandler): FetchHandler {
  return async (request) => {
    for (const handle of chain) {
      const response = await handle(request);
      if (response) return response;
    }
    return fallback(request);
  };
}

/** Starts the demo server; resolves once it listens. */
export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const [store, widget] = await Promise.all([openStore(options), bundleWidget()]);
  let handler: FetchHandler = async () => new Response('starting', { status: 503 });
  const server = createServer(toNodeListener((request) => handler(request)));
  const port = await listen(server, options.port ?? 3000);
  const origin = `http://127.0.0.1:${port}`;

  const desk = createDemoDesk(store, origin);
  const hub = createLiveHub();
  const sink = createSink({ onDelivery: () => hub.publish({ type: 'sink.delivery' }) });
  const suggestions = await trackMergeSuggestions(desk);
  const unsubscribe = [syncShopAccounts(desk), desk.onAny((event) => hub.publish(noticeOf(event)))];
  const chat = createChat(desk, hub);
  const chain: MaybeHandler[] = [
    chat,
    createApi({
      desk,
      origin,
      hub,
      sink,
      suggestions,
      agentTyping: (conversationId, typing) => chat.agentTyping(conversationId, typing, AGENT),
    }),
    sink.handle,
    createStaticHandler(widget),
  ];
  handler = firstAnswer(chain, createWebhookHandler(desk, { basePath: '/webhooks' }));
  return {
    url: `${origin}/`,
    desk,
    async close() {
      for (const stop of unsubscribe) stop();
      suggestions.stop();
      chat.stopTyping();
      chat.close();
      hub.close();
      sink.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await desk.close();
    },
  };
}

function parseArgs(argv: string[]): DemoOptions {
  const options: DemoOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--memory') options.memory = true;
    else if (arg === '--port') options.port = Number(argv[++i]);
    else if (arg === '--data') options.dataDir = resolve(argv[++i] ?? '');
    else if (arg === '--help' || arg === '-h') {
      console.log('Usage: npm run demo -- [--port 3000] [--memory] [--data <dir>]');
      process.exit(0);
    } else throw new Error(`Unknown option ${arg}; try --help`);
  }
  if (
    options.port !== undefined &&
    !(Number.isInteger(options.port) && options.port >= 0 && options.port < 65536)
  ) {
    throw new Error('--port takes a port number (0 picks a free one)');
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const demo = await startDemo(options);
  const where = options.memory
    ? 'memory (gone on exit)'
    : (options.dataDir ?? resolve(projectRoot, '.demo-data'));
  console.log(`Threadline demo running at ${demo.url}`);
  console.log(`  shop + chat widget  ${demo.url}`);
  console.log(`  agent inbox         ${demo.url}inbox`);
  console.log(`  data                ${where}`);
  const stop = () => {
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
