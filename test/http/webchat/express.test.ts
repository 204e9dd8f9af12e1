/**
 * The web-chat endpoints mounted in an Express app, as hosts mount them: behind the `compression`
 * middleware, which gzips every compressible answer and holds what it writes until its buffer
 * fills. An event stream held that way shows the widget "Online" while no message ever arrives.
 */
import type { AddressInfo } from 'node:net';
import compression from 'compression';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { webchat } from '../../../src/channels/webchat/index.js';
import { toNodeListener } from '../../../src/http/node.js';
import { createWebChatHandler } from '../../../src/http/webchat/index.js';
import { createDesk } from '../../../src/index.js';
import type { Message } from '../../../src/model/records.js';
import { memoryStore } from '../../../src/stores/memory/index.js';
import { type ChatFixture, connect, type SseEvent, say, visitorHeaders } from './helpers.js';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function expressChat() {
  const desk = createDesk({ store: memoryStore(), channels: [webchat()] });
  const chat = createWebChatHandler(desk);
  const app = express();
  app.use(compression());
  app.use(toNodeListener(async (request) => (await chat(request)) ?? new Response(null, { status: 404 })));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stop = async () => {
    chat.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await desk.close();
  };
  // What the SSE helpers need of a fixture.
  return { desk, fx: { url: (path: string) => `${base}${path}` } as ChatFixture };
}

const isMessage = (text: string) => (event: SseEvent) =>
  event.event === 'message' && ((event.data as Message).parts[0] as { text?: string }).text === text;

describe('web chat in an Express app with compression()', () => {
  it('streams events as they happen: the event stream is not compressed or held back', async () => {
    const { desk, fx } = await expressChat();
    const sent = await say(fx, 'ann', { clientId: 'a1', text: 'Where is my order?' });
    expect(sent.status).toBe(201);
    const { message } = (await sent.json()) as { message: Message };
    // fetch asks for gzip, as browsers do.
    const stream = await connect(fx, { ...visitorHeaders('ann'), 'accept-encoding': 'gzip' });
    expect(stream.status).toBe(200);
    await stream.next((event) => event.event === 'ready', 2_000);
    await desk.reply(message.conversationId, { text: 'On its way', author: { type: 'agent' } });
    await stream.next(isMessage('On its way'), 2_000);
    expect(stream.headers.get('content-encoding')).toBeNull();
    expect(stream.headers.get('cache-control')).toContain('no-transform');
    stream.close();
  });

  it('other answers are still compressed', async () => {
    const { fx } = await expressChat();
    for (let i = 0; i < 15; i++)
      await say(fx, 'ann', { clientId: `a${i}`, text: `message ${i} ${'x'.repeat(40)}` });
    const response = await fetch(fx.url('/chat/messages?limit=50'), {
      headers: { ...visitorHeaders('ann'), 'accept-encoding': 'gzip' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(((await response.json()) as { items: unknown[] }).items).toHaveLength(15);
  });
});
