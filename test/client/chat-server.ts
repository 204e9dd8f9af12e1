import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { webchat } from '../../src/channels/webchat/index.js';
import type { Desk } from '../../src/core/types.js';
import { toNodeListener } from '../../src/http/node.js';
import { createWebChatHandler, type WebChatHandler } from '../../src/http/webchat/index.js';
import { createDesk } from '../../src/index.js';
import type { Message } from '../../src/model/records.js';

/** The identity secret of the test server. */
export const SECRET = 'client-test-identity-secret-0123';

/** One request the server saw, with the status it answered (`dropped` when the socket was cut). */
export interface SeenRequest {
  method: string;
  path: string;
  headers: Headers;
  body: string;
  status: number | 'dropped';
}

/** A real node:http server on 127.0.0.1 running the real web-chat handler on a real desk. */
export interface ChatServer {
  desk: Desk;
  chat: WebChatHandler;
  /** Base URL of the chat endpoints (`http://127.0.0.1:<port>/chat`). */
  endpoint: string;
  requests: SeenRequest[];
  /** Cuts every open event stream. */
  dropStreams(): void;
  /** While true, `GET /events` is answered 503 (the client keeps retrying). */
  refuseStreams: boolean;
  /** Stores the next `POST /messages` but cuts the connection before the answer. */
  loseNextSendAnswer(): void;
  /** Stops listening and cuts every connection: the server is down. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const quiet = { warn() {}, error() {} };
const LOST = new Error('answer lost on purpose');

/** Starts the server on an ephemeral port. */
export async function startChatServer(): Promise<ChatServer> {
  const desk = createDesk({ channels: [webchat()], logger: quiet });
  const chat = createWebChatHandler(desk, { identitySecret: SECRET, keepAliveMs: 60_000 });
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const streams = new Set<Socket>();
  let loseNext = false;
  const state = { refuseStreams: false };

  const listener = toNodeListener(async (request) => {
    const url = new URL(request.url);
    const seen: SeenRequest = {
      method: request.method,
      path: url.pathname + url.search,
      headers: request.headers,
      body: request.method === 'POST' ? await request.clone().text() : '',
      status: 0,
    };
    requests.push(seen);
    if (state.refuseStreams && url.pathname.endsWith('/events')) {
      seen.status = 503;
      return new Response('{"error":{"code":"DOWN","message":"down"}}', { status: 503 });
    }
    const response = (await chat(request)) ?? new Response('not found', { status: 404 });
    seen.status = response.status;
    if (loseNext && request.method === 'POST' && url.pathname.endsWith('/messages')) {
      loseNext = false;
      seen.status = 'dropped';
      throw LOST;
    }
    return response;
  });
  const server: Server = createServer((req: IncomingMessage, res) => {
    if (req.url?.includes('/events')) streams.add(req.socket);
    listener(req, res, () => req.socket.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      streams.delete(socket);
    });
  });
  const listen = (port: number) =>
    new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const stop = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  return {
    desk,
    chat,
    endpoint: `http://127.0.0.1:${port}/chat`,
    requests,
    dropStreams: () => {
      for (const socket of streams) socket.destroy();
    },
    get refuseStreams() {
      return state.refuseStreams;
    },
    set refuseStreams(value: boolean) {
      state.refuseStreams = value;
    },
    loseNextSendAnswer: () => {
      loseNext = true;
    },
    stop,
    start: () => listen(port),
    async close() {
      chat.close();
      if (server.listening) await stop();
      await desk.close();
    },
  };
}

/** The customer's web-chat messages in the desk, oldest first. */
export async function storedMessages(desk: Desk, customerId: string): Promise<Message[]> {
  const items: Message[] = [];
  for await (const message of desk.timeline(customerId)) items.push(message);
  return items.reverse();
}
