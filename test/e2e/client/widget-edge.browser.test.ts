import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webchat } from '../../../src/channels/webchat/index.js';
import { toNodeListener } from '../../../src/http/node.js';
import { createWebChatHandler } from '../../../src/http/webchat/index.js';
import { createDesk } from '../../../src/index.js';
import type { Message } from '../../../src/model/records.js';
import { bundle, launchChromium, requireChromium } from '../indexeddb/chromium.js';
import { CSP } from './widget-server.js';

// The Chromium requirement in CI is enforced by widget.browser.test.ts; here the tests only run where it is.
const installed = requireChromium('the <threadline-chat> failure suite');

const PAGE = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Shop</title>
<threadline-chat endpoint="/chat" heading="Acme support"></threadline-chat>
<script type="module" src="/widget.js"></script></html>`;

/** The widget's page and the real chat endpoints, with two faults to switch on: refused read receipts, cut streams. */
async function startServer() {
  const script = await bundle(fileURLToPath(new URL('./page.ts', import.meta.url)));
  const desk = createDesk({ channels: [webchat()], logger: { warn() {}, error() {} } });
  const chat = createWebChatHandler(desk, { keepAliveMs: 5000 }); // no identitySecret: every token is 401
  const requests: { path: string; status: number }[] = [];
  const streams = new Set<Socket>();
  const faults = { refuseReads: false };
  const listener = toNodeListener(async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/widget.js')
      return new Response(script, { headers: { 'content-type': 'text/javascript' } });
    if (pathname === '/') {
      return new Response(PAGE, { headers: { 'content-type': 'text/html', 'content-security-policy': CSP } });
    }
    const response =
      faults.refuseReads && pathname === '/chat/read'
        ? new Response('{"error":{"code":"UNAVAILABLE","message":"down"}}', { status: 503 })
        : ((await chat(request)) ?? new Response('not found', { status: 404 }));
    requests.push({ path: pathname, status: response.status });
    return response;
  });
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/chat/events')) streams.add(req.socket);
    listener(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    desk,
    requests,
    faults,
    dropStreams() {
      for (const socket of streams) socket.destroy();
      streams.clear();
    },
    async close() {
      chat.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await desk.close();
    },
  };
}

describe.runIf(installed)('<threadline-chat> when the server fails it', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function openPage(): Promise<{ page: Page; errors: string[] }> {
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.url);
    await page.locator('threadline-chat .launcher').click();
    return { page, errors };
  }

  it('retries a read receipt the server could not take once it is back, so the reply is not left unread', async () => {
    const { page } = await openPage();
    await page.locator('threadline-chat .state', { hasText: 'Online' }).waitFor();
    const received = new Promise<Message>((resolve) =>
      server.desk.on('message.received', (event) => resolve(event.message)),
    );
    await page.locator('threadline-chat textarea').fill('Where is my parcel?');
    await page.locator('threadline-chat textarea').press('Enter');
    const first = await received;

    server.faults.refuseReads = true;
    const reply = await server.desk.reply(first.conversationId, {
      text: 'Checking',
      author: { type: 'agent' },
    });
    await expect
      .poll(() => server.requests.some((r) => r.path === '/chat/read' && r.status === 503))
      .toBe(true);
    server.faults.refuseReads = false;
    server.dropStreams(); // the widget reconnects: its receipt must go out again
    await expect.poll(async () => (await server.desk.store.getMessage(reply.id))?.status).toBe('read');
    await page.context().close();
  });

  it('logs a refused typing signal (expired token: 401) instead of raising an unhandled rejection', async () => {
    const { page, errors } = await openPage();
    await page.evaluate(() =>
      document.querySelector('threadline-chat')!.setAttribute('token', 'e30.expired'),
    );
    const typed = server.requests.filter((r) => r.path === '/chat/typing').length;
    await page.locator('threadline-chat textarea').pressSequentially('hel');
    await expect.poll(() => server.requests.filter((r) => r.path === '/chat/typing').length).toBe(typed + 1);
    expect(server.requests.filter((r) => r.path === '/chat/typing').at(-1)?.status).toBe(401);
    // A rejection surfaces as a page error a moment after the answer: a round trip later it would be there.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 50)));
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
