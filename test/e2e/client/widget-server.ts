import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { webchat } from '../../../src/channels/webchat/index.js';
import type { Desk } from '../../../src/core/types.js';
import {
  createWebChatHandler,
  type WebChatHandler,
  type WebChatOptions,
} from '../../../src/http/webchat/index.js';
import { createDesk } from '../../../src/index.js';
import { countOpen, serve } from '../../http/helpers.js';
import { bundle, launchChromium } from '../indexeddb/chromium.js';

/**
 * A strict policy: no inline script or style. The widget styles itself with a constructed
 * stylesheet (CSSOM), which style-src does not govern, so it must look right under it.
 */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'";

const PAGE = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Shop</title>
<h1>Acme shop</h1><p><a href="#">A link before the widget</a></p>
<threadline-chat endpoint="/chat" heading="Acme support"></threadline-chat>
<script type="module" src="/widget.js"></script></html>`;

/** The host app of the widget tests: a page, its bundled script, and the real chat endpoints. */
export interface WidgetServer {
  url: string;
  desk: Desk;
  chat: WebChatHandler;
  /** `GET /chat/events` requests answered and not yet closed: the live streams held open. */
  openStreams(): number;
  close(): Promise<void>;
}

/** Options of {@link startWidgetServer} (and {@link useWidgetInChromium}). */
export interface WidgetServerOptions {
  /** More options of the chat handler (`identitySecret`...). */
  chat?: WebChatOptions;
  /**
   * Serve the page under {@link CSP}. Default true. The XSS tests turn it off: the policy would
   * block an injected inline handler and hide a widget that builds HTML from message data.
   */
  csp?: boolean;
  /** How {@link useWidgetInChromium} starts the browser. Default `launchChromium`. */
  launch?: () => Promise<Browser>;
}

/** Serves the page under {@link CSP}, `/widget.js` (esbuild bundle of page.ts) and `/chat/*`. */
export async function startWidgetServer(options: WidgetServerOptions = {}): Promise<WidgetServer> {
  const script = await bundle(fileURLToPath(new URL('./page.ts', import.meta.url)));
  const desk = createDesk({ channels: [webchat()], logger: { warn() {}, error() {} } });
  const chat = createWebChatHandler(desk, { keepAliveMs: 5000, ...options.chat });
  const pageHeaders: Record<string, string> = { 'content-type': 'text/html' };
  if (options.csp !== false) pageHeaders['content-security-policy'] = CSP;
  const streams = countOpen('/chat/events');
  const server = await serve(async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/widget.js') {
      return new Response(script, {
        headers: { 'content-type': 'text/javascript', 'cache-control': 'no-store' },
      });
    }
    if (pathname === '/') {
      return new Response(PAGE, { headers: pageHeaders });
    }
    return (await chat(request)) ?? new Response('not found', { status: 404 });
  }, streams.wrap);
  return {
    url: `${server.url}/`,
    desk,
    chat,
    openStreams: streams.open,
    async close() {
      chat.close();
      await server.close();
      await desk.close();
    },
  };
}

/** What {@link useWidgetInChromium} started: read its fields inside the tests, not at collection. */
export interface WidgetSuite {
  server: WidgetServer;
  browser: Browser;
}

/**
 * Starts a widget server (with `options`) and Chromium before the tests of the enclosing describe
 * block, and closes both after them.
 */
export function useWidgetInChromium(options: WidgetServerOptions = {}): WidgetSuite {
  const suite = {} as WidgetSuite;
  beforeAll(async () => {
    suite.server = await startWidgetServer(options);
    suite.browser = await (options.launch ?? launchChromium)();
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.server?.close();
  });
  return suite;
}
