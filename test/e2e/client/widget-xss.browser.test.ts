/**
 * Hostile content in the widget, in real Chromium: whatever a customer, an agent or a provider put
 * in a message (text, captions, file names, URLs, names, form fields, locations) is shown as text,
 * runs nothing, and only http(s) URLs become links. The page has no CSP here: a policy would block
 * injected inline handlers and hide a widget that built HTML from message data.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Part } from '../../../src/model/parts.js';
import type { Message } from '../../../src/model/records.js';
import { requireChromium } from '../indexeddb/chromium.js';
import { useWidgetInChromium } from './widget-server.js';

const installed = requireChromium('the <threadline-chat> XSS suite');

/** Each sets `window.__pwned` if it ever runs as HTML or script. */
const HTML = '<img src=x onerror="window.__pwned=\'html\'"><script>window.__pwned="script"</script>';
const QUOTED_URL = 'https://shop.example/a"><img src=x onerror="window.__pwned=\'attr\'">';

const hostileReply: Part[] = [
  { type: 'text', text: `Hello ${HTML}` },
  { type: 'media', url: 'javascript:window.__pwned="js-url"', caption: `js ${HTML}` },
  { type: 'media', url: ' JaVaScRiPt:window.__pwned="js-url-2"', filename: 'spaced.pdf' },
  { type: 'media', url: 'data:text/html,<script>window.__pwned="data"</script>', filename: `x${HTML}.png` },
  { type: 'media', url: 'vbscript:msgbox(1)', caption: 'vb' },
  { type: 'media', url: QUOTED_URL, caption: 'quoted' },
  { type: 'media', url: 'https://cdn.example/invoice.pdf', filename: 'invoice.pdf' },
  { type: 'location', latitude: 1, longitude: 2, name: `Shop ${HTML}` },
  { type: 'contact', name: `Eve ${HTML}` },
  { type: 'form', fields: [{ name: 'q', label: `Label ${HTML}`, value: `Value ${HTML}` }] },
];

/** What the widget's shadow root holds, and whether anything ran. */
const inspect = (page: Page) =>
  page.evaluate(() => {
    const root = document.querySelector('threadline-chat')!.shadowRoot!;
    const all = [...root.querySelectorAll('*')];
    return {
      pwned: (window as { __pwned?: unknown }).__pwned,
      tags: [...new Set(all.map((el) => el.localName))].sort(),
      handlers: all.flatMap((el) =>
        [...el.attributes].filter((a) => a.name.startsWith('on')).map((a) => a.name),
      ),
      links: [...root.querySelectorAll('a')].map((a) => ({
        href: a.getAttribute('href'),
        rel: a.getAttribute('rel'),
        target: a.getAttribute('target'),
        text: a.textContent,
      })),
      bubbles: [...root.querySelectorAll('li.msg .bubble')].map((el) => el.textContent),
      names: [...root.querySelectorAll('li.msg .who')].map((el) => el.textContent),
      typing: root.querySelector('.typing')?.textContent,
    };
  });

describe.runIf(installed)('<threadline-chat> with hostile messages in real Chromium', () => {
  const suite = useWidgetInChromium({ csp: false });

  it('renders every field as text, runs nothing, and links only http(s) URLs with noopener noreferrer', async () => {
    const page = await suite.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(suite.server.url);
    await page.locator('threadline-chat .launcher').click();
    await page.locator('threadline-chat .state', { hasText: 'Online' }).waitFor();
    const received = new Promise<Message>((resolve) =>
      suite.server.desk.on('message.received', (event) => resolve(event.message)),
    );
    // The visitor's own text is hostile too.
    await page.locator('threadline-chat textarea').fill(`Me ${HTML}`);
    await page.locator('threadline-chat textarea').press('Enter');
    const first = await received;

    await suite.server.chat.agentTyping(first.conversationId, true, { type: 'agent', name: `Sam ${HTML}` });
    await page.locator('threadline-chat .typing', { hasText: 'is typing' }).waitFor();
    await suite.server.desk.reply(first.conversationId, {
      parts: hostileReply,
      author: { type: 'agent', name: `Sam ${HTML}` },
    });
    await page.locator('threadline-chat li.msg .bubble', { hasText: 'invoice.pdf' }).waitFor();
    // Give an injected handler (an <img onerror>) time to fire, were there one.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200)));

    const seen = await inspect(page);
    expect(seen.pwned).toBeUndefined();
    expect(seen.handlers).toEqual([]);
    for (const tag of ['img', 'script', 'iframe', 'object', 'embed']) expect(seen.tags).not.toContain(tag);
    expect(seen.bubbles[0]).toBe(`Me ${HTML}`);
    const reply = seen.bubbles[1]!;
    for (const shown of [
      `Hello ${HTML}`,
      `js ${HTML}`,
      'spaced.pdf',
      `x${HTML}.png`,
      `Shop ${HTML}`,
      `Contact: Eve ${HTML}`,
      `Label ${HTML}: Value ${HTML}`,
    ]) {
      expect(reply).toContain(shown);
    }
    expect(seen.names).toEqual([`Sam ${HTML}`]);
    expect(seen.links).toEqual([
      { href: QUOTED_URL, rel: 'noopener noreferrer', target: '_blank', text: 'quoted' },
      {
        href: 'https://cdn.example/invoice.pdf',
        rel: 'noopener noreferrer',
        target: '_blank',
        text: 'invoice.pdf',
      },
    ]);
    expect(errors).toEqual([]);

    // Reloaded from the cache and the history, it is just as inert.
    await page.reload();
    await page.locator('threadline-chat .launcher').click();
    await page.locator('threadline-chat li.msg .bubble', { hasText: 'invoice.pdf' }).waitFor();
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200)));
    const again = await inspect(page);
    expect(again.pwned).toBeUndefined();
    expect(again.handlers).toEqual([]);
    expect(again.links.map((link) => link.href)).toEqual([QUOTED_URL, 'https://cdn.example/invoice.pdf']);
    await page.close();
  });
});
