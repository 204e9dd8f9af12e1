import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../../src/model/records.js';
import { launchChromium, requireChromium } from '../indexeddb/chromium.js';
import { startWidgetServer, type WidgetServer } from './widget-server.js';

const installed = requireChromium('the <threadline-chat> Chromium suite');

/** What has focus inside the widget's shadow root: the element's class or id, or null. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const active = document.querySelector('threadline-chat')?.shadowRoot?.activeElement;
    return active ? active.id || active.className : null;
  });
const bubbles = (page: Page) => page.locator('threadline-chat li.msg .bubble').allTextContents();
const item = (page: Page, text: string) =>
  page.locator('threadline-chat li.msg').filter({ has: page.locator('.bubble', { hasText: text }) });

describe.runIf(installed)('<threadline-chat> in real Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let server: WidgetServer;
  let first: Message;
  const errors: string[] = [];

  /** The desk's messages with this text (to prove "exactly once"). */
  async function stored(text: string): Promise<Message[]> {
    const all: Message[] = [];
    for await (const message of server.desk.timeline(first.customerId)) all.push(message);
    return all.filter((m) => m.parts.some((p) => p.type === 'text' && p.text === text));
  }

  beforeAll(async () => {
    server = await startWidgetServer();
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(server.url);
    await page.locator('threadline-chat .launcher').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('opens from the keyboard, moves focus in, sends with Enter and keeps Shift+Enter newlines', async () => {
    await page.keyboard.press('Tab'); // the page's link
    await page.keyboard.press('Tab'); // the launcher
    expect(await focused(page)).toBe('launcher');
    expect(await page.locator('threadline-chat .launcher').getAttribute('aria-label')).toBe(
      'Open Acme support',
    );
    await page.keyboard.press('Enter');
    await page.locator('threadline-chat .panel').waitFor();
    expect(await focused(page)).toBe('input');
    expect(await page.locator('threadline-chat .launcher').getAttribute('aria-expanded')).toBe('true');

    const received = new Promise<Message>((resolve) =>
      server.desk.on('message.received', (event) => resolve(event.message)),
    );
    await page.keyboard.type('Hello from the widget');
    await page.keyboard.press('Enter');
    first = await received;
    expect(first.parts).toEqual([{ type: 'text', text: 'Hello from the widget' }]);
    await page.keyboard.type('line one');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('line two');
    await page.keyboard.press('Enter');
    await expect.poll(() => bubbles(page)).toEqual(['Hello from the widget', 'line one\nline two']);
    await expect.poll(async () => (await stored('line one\nline two')).length).toBe(1);
    expect(await page.locator('threadline-chat textarea').inputValue()).toBe('');
  });

  it('shows an agent typing, then the reply live, marks it read, and badges other channels', async () => {
    await server.chat.agentTyping(first.conversationId, true, { type: 'agent', name: 'Ana' });
    await page.locator('threadline-chat .typing', { hasText: 'Ana is typing…' }).waitFor();
    const reply = await server.desk.reply(first.conversationId, {
      text: 'Hi! How can I help?',
      author: { type: 'agent', name: 'Ana' },
    });
    await item(page, 'Hi! How can I help?').locator('.who', { hasText: 'Ana' }).waitFor();
    expect(await page.locator('threadline-chat .typing').isHidden()).toBe(true);
    // The panel is open and the page visible: the widget marks the reply read.
    await expect.poll(async () => (await server.desk.store.getMessage(reply.id))?.status).toBe('read');

    await server.desk.identify(first.customerId, { kind: 'phone', value: '+14155550123', verified: true });
    await server.desk.receive({
      channel: 'sms',
      channelKind: 'sms',
      from: { kind: 'phone', value: '+14155550123', verified: true },
      text: 'Also texting you',
      externalId: 'SM1',
    });
    await item(page, 'Also texting you').locator('.badge', { hasText: 'via SMS' }).waitFor();
    expect(await item(page, 'Hello from the widget').locator('.badge').count()).toBe(0);
    await page.screenshot({ path: 'test-results/client/widget-open.png' });
    expect(errors).toEqual([]);
  });

  it('closes with Escape and gives focus back to the launcher', async () => {
    await page.locator('threadline-chat textarea').focus();
    await page.keyboard.press('Escape');
    await page.locator('threadline-chat .panel').waitFor({ state: 'hidden' });
    expect(await focused(page)).toBe('launcher');
    expect(await page.locator('threadline-chat .launcher').getAttribute('aria-expanded')).toBe('false');
  });

  it('is styled under a strict CSP and themed by custom properties', async () => {
    const background = () =>
      page.locator('threadline-chat .launcher').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(await background()).toBe('rgb(37, 99, 235)');
    await page.evaluate(() =>
      (document.querySelector('threadline-chat') as HTMLElement).style.setProperty(
        '--threadline-accent',
        '#0f766e',
      ),
    );
    expect(await background()).toBe('rgb(15, 118, 110)');
    expect(errors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });

  it('keeps the history across a reload', async () => {
    await page.reload();
    await page.locator('threadline-chat .launcher').click();
    await expect
      .poll(() => bubbles(page))
      .toEqual(['Hello from the widget', 'line one\nline two', 'Hi! How can I help?', 'Also texting you']);
    expect(await page.locator('threadline-chat [role="log"]').getAttribute('aria-live')).toBe('polite');
  });

  it('keeps a message typed offline as "Sending…" and delivers it exactly once when the network returns', async () => {
    await context.setOffline(true);
    await page.locator('threadline-chat .banner').waitFor();
    await page.locator('threadline-chat textarea').fill('Typed while offline');
    await page.locator('threadline-chat textarea').press('Enter');
    await item(page, 'Typed while offline').locator('.meta', { hasText: 'Sending…' }).waitFor();
    expect(await stored('Typed while offline')).toEqual([]);

    await context.setOffline(false);
    await page.locator('threadline-chat .banner').waitFor({ state: 'hidden' });
    await expect.poll(async () => (await stored('Typed while offline')).length).toBe(1);
    await expect
      .poll(() => item(page, 'Typed while offline').locator('.meta').textContent())
      .not.toContain('Sending');
    expect(await item(page, 'Typed while offline').count()).toBe(1);
    // Reload: the server's copy, once; nothing left in the outbox to send again.
    await page.reload();
    await page.locator('threadline-chat .launcher').click();
    await expect.poll(() => bubbles(page)).toContain('Typed while offline');
    expect((await bubbles(page)).filter((text) => text === 'Typed while offline')).toHaveLength(1);
    expect((await stored('Typed while offline')).length).toBe(1);
    expect(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(e))).toEqual([]);
  });
});
