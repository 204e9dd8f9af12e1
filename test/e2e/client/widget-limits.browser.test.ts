import { describe, expect, it } from 'vitest';
import { requireChromium } from '../indexeddb/chromium.js';
import { useWidgetInChromium } from './widget-server.js';

// The Chromium requirement in CI is enforced by widget.browser.test.ts; here the tests only run where it is.
const installed = requireChromium('the <threadline-chat> size-limit suite');

describe.runIf(installed)('<threadline-chat> message size in real Chromium', () => {
  const suite = useWidgetInChromium();

  it('sends the longest text, 65 536 CJK characters (196 KB as UTF-8), and takes no longer one', async () => {
    const page = await suite.browser.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() !== 'log') errors.push(message.text());
    });
    await page.goto(suite.server.url);
    await page.locator('threadline-chat .launcher').click();
    const received: string[] = [];
    suite.server.desk.on('message.received', ({ message }) => {
      received.push(message.parts[0]?.type === 'text' ? message.parts[0].text : '');
    });
    const input = page.locator('threadline-chat textarea');
    await input.fill('漢'.repeat(65_537)); // as a paste: the box keeps 65 536
    expect(await input.evaluate((box: HTMLTextAreaElement) => box.value.length)).toBe(65_536);
    await input.press('Enter');
    await expect.poll(() => received.map((text) => text.length), { timeout: 5000 }).toEqual([65_536]);
    const item = page.locator('threadline-chat li.msg').last();
    await expect.poll(() => item.getAttribute('class')).toBe('msg mine');
    expect(await item.locator('.meta').textContent()).not.toMatch(/Sending|Not sent/);
    expect(errors).toEqual([]);
    await page.close();
  });
});
