/**
 * A shopper with many tabs of a shop, in real Chromium over HTTP/1.1: the browser allows 6
 * connections per host, and the widget of every tab held one open for its live stream, so a 7th
 * tab (or a message sent from one of the six) waited for a connection that never came. The streams
 * of tabs left in the background are parked now: a 7th tab loads and chats, and a parked tab shows
 * what arrived meanwhile when it is brought back, once, without flashing "Offline".
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ThreadlineChatElement } from '../../../src/client/widget.js';
import type { Message } from '../../../src/model/records.js';
import { CHROMIUM_PATH, requireChromium } from '../indexeddb/chromium.js';
import { useWidgetInChromium } from './widget-server.js';

const installed = requireChromium('the <threadline-chat> background tabs suite');
/** The client's default `hiddenMs`: a page hidden this long parks its stream. */
const HIDDEN_MS = 15_000;
const agent = { type: 'agent' as const, name: 'Ana' };

/**
 * Chromium with tabs hidden as a user's are. Playwright's own launch emulates focus on every page,
 * which keeps every tab visible; attached over CDP with `noDefaults`, it leaves the browser's
 * default context alone: the tab in front is visible, the others are hidden, and
 * `page.bringToFront()` switches tabs. Closing the Browser ends the process and its profile.
 */
async function launchWithTabs(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'threadline-tabs-'));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'];
  args.push('--disable-background-networking', '--remote-debugging-port=0', `--user-data-dir=${profile}`);
  const chrome = spawn(CHROMIUM_PATH, [...args, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((resolve) => chrome.once('exit', resolve));
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = '';
    chrome.stderr.on('data', (chunk: Buffer) => {
      output += chunk;
      const found = /DevTools listening on (ws:\S+)/.exec(output);
      if (found) resolve(found[1]!);
    });
    chrome.once('exit', () => reject(new Error(`Chromium exited before listening:\n${output}`)));
  });
  const browser = await chromium.connectOverCDP(endpoint, { noDefaults: true });
  // Closing a Browser that Playwright attached to only disconnects: close Chromium too.
  const disconnect = browser.close.bind(browser);
  browser.close = async () => {
    await (await browser.newBrowserCDPSession()).send('Browser.close').catch(() => undefined);
    await disconnect();
    chrome.kill();
    await exited;
    await rm(profile, { recursive: true, force: true, maxRetries: 10 }); // its helpers may still be writing
  };
  return browser;
}

const visibility = (page: Page) => page.evaluate(() => document.visibilityState);
/**
 * Brings `page` to front and waits until the page knows it (its `visibilitychange` has fired), so
 * a clock moved next finds its hidden-page timer cleared.
 */
async function switchTo(page: Page): Promise<void> {
  await page.bringToFront();
  await expect.poll(() => visibility(page)).toBe('visible');
}
/** The widget's connection state in `page`, as its client reports it. */
const connection = (page: Page) =>
  page.evaluate(() => document.querySelector<ThreadlineChatElement>('threadline-chat')!.client?.connection);
const bubbles = (page: Page) => page.locator('threadline-chat li.msg .bubble').allTextContents();
const online = (page: Page) => page.locator('threadline-chat .state', { hasText: 'Online' }).waitFor();

/** What {@link watchConnection} saw: every state text the header showed, and the offline banner. */
interface Seen {
  states: string[];
  banner: boolean;
}
type WatchingWindow = { seen: Seen };

/** Records from now on what the visitor sees of the connection in `page` (read with {@link seenIn}). */
const watchConnection = (page: Page) =>
  page.evaluate(() => {
    const root = document.querySelector('threadline-chat')!.shadowRoot!;
    const seen: Seen = { states: [], banner: false };
    (window as unknown as WatchingWindow).seen = seen;
    const state = root.querySelector('.state')!;
    const banner = root.querySelector('.banner')!;
    new MutationObserver(() => {
      seen.states.push(state.textContent ?? '');
      if (!banner.hasAttribute('hidden')) seen.banner = true;
    }).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
  });
const seenIn = (page: Page) => page.evaluate(() => (window as unknown as WatchingWindow).seen);

describe.runIf(installed)('<threadline-chat> in many tabs of one browser, in real Chromium', () => {
  // The server's own limit (5 streams per visitor: every tab is the same visitor) would refuse a
  // 6th tab's stream (a 429, retried) before the browser's limit bites. Raised, as on a site whose
  // tabs are different visitors' or chat endpoints, 6 streams take every connection to the host.
  const suite = useWidgetInChromium({ chat: { maxStreamsPerVisitor: 20 }, launch: launchWithTabs });
  let context: BrowserContext;

  beforeAll(async () => {
    context = suite.browser.contexts()[0]!;
    // The pages' clocks run as usual, and a test skips the delay with `fastForward`.
    await context.clock.install();
  });

  /** No tab left open, and a new visitor (a fresh visitor id: an empty chat). */
  beforeEach(async () => {
    for (const page of context.pages()) await page.close();
    const page = await context.newPage();
    await page.goto(`${suite.server.url}nothing-here`);
    await page.evaluate(() => localStorage.clear());
    await page.close();
  });

  /** A new tab in front, on the shop page, with the chat open and live. */
  async function openTab(): Promise<Page> {
    const page = await context.newPage();
    await page.goto(suite.server.url);
    await page.locator('threadline-chat .launcher').click();
    await online(page);
    return page;
  }

  it('parks the streams of background tabs, so a 7th tab loads and chats, and a parked tab shows what it missed once', async () => {
    const first = await openTab();
    const received = new Promise<Message>((resolve) => {
      const off = suite.server.desk.on('message.received', ({ message }) => {
        off();
        resolve(message);
      });
    });
    await first.locator('threadline-chat textarea').fill('Do you ship to Norway?');
    await first.locator('threadline-chat textarea').press('Enter');
    const question = await received;
    const tabs = [first];
    for (let i = 0; i < 5; i++) tabs.push(await openTab());
    expect(suite.server.openStreams()).toBe(6);

    // A 7th tab: the 6 streams hold every connection the browser allows to the host, so its page
    // cannot load...
    const seventh = await context.newPage();
    for (const tab of tabs) await expect.poll(() => visibility(tab)).toBe('hidden');
    await expect(seventh.goto(suite.server.url, { timeout: 1000 })).rejects.toThrow(/Timeout 1000ms/);
    // ...until the background tabs have been hidden long enough to park their streams. (A waiting
    // load would go on by itself then, but Playwright's clock waits for it before moving: the test
    // stops it, moves the clock, and loads the page again.)
    await (await context.newCDPSession(seventh)).send('Page.stopLoading');
    await context.clock.fastForward(HIDDEN_MS);
    await expect.poll(() => suite.server.openStreams()).toBe(0);
    await seventh.goto(suite.server.url, { timeout: 5000 });
    await seventh.locator('threadline-chat .launcher').click();
    await online(seventh);
    expect(suite.server.openStreams()).toBe(1);

    // An agent answers meanwhile: the tab in front shows it live, the parked ones do not.
    await suite.server.desk.reply(question.conversationId, { text: 'Yes, in 3 days', author: agent });
    await seventh.locator('threadline-chat li.msg .bubble', { hasText: 'in 3 days' }).waitFor();
    expect(await bubbles(first)).toEqual(['Do you ship to Norway?']);

    // Back to the first tab: its stream reopens at once and the reply shows, once, with no "Offline".
    await watchConnection(first);
    await switchTo(first);
    await first.locator('threadline-chat li.msg .bubble', { hasText: 'in 3 days' }).waitFor();
    await expect.poll(() => suite.server.openStreams()).toBe(2);
    expect(await bubbles(first)).toEqual(['Do you ship to Norway?', 'Yes, in 3 days']);
    const seen = await seenIn(first);
    expect(seen.banner).toBe(false);
    expect(seen.states).not.toContain('Offline');
    expect(await connection(first)).toBe('open');
  });

  it('a tab brought back before the delay keeps its stream; the one it hides parks after the delay', async () => {
    const shop = await openTab();
    const other = await openTab();
    const reopened: string[] = [];
    shop.on('request', (request) => {
      if (request.url().endsWith('/chat/events')) reopened.push(request.url());
    });
    await watchConnection(shop);
    await expect.poll(() => visibility(shop)).toBe('hidden');
    await context.clock.fastForward(HIDDEN_MS - 2000);
    await switchTo(shop);
    await context.clock.fastForward(HIDDEN_MS);

    await expect.poll(() => suite.server.openStreams()).toBe(1); // the other tab's parked
    expect(await connection(other)).toBe('open'); // as it was: parked is not offline
    expect(reopened).toEqual([]);
    expect(await seenIn(shop)).toEqual({ states: [], banner: false });
    await online(shop);
  });

  it('a tab opened in the background connects when it is first shown', async () => {
    const shop = await openTab();
    const opened = context.waitForEvent('page');
    await shop.locator('a', { hasText: 'A link before the widget' }).click({ modifiers: ['ControlOrMeta'] });
    const background = await opened;
    await background.waitForLoadState();
    expect(await visibility(background)).toBe('hidden');
    expect(await background.evaluate(() => customElements.get('threadline-chat') !== undefined)).toBe(true);
    // Long enough for a stream to have been opened (they open within milliseconds): none was.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(suite.server.openStreams()).toBe(1);
    expect(await connection(background)).toBe('connecting');

    await switchTo(background);
    await background.locator('threadline-chat .launcher').click();
    await online(background);
    expect(suite.server.openStreams()).toBe(2);
  });
});
