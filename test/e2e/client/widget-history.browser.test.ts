import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/model/records.js';
import { requireChromium } from '../indexeddb/chromium.js';
import { useWidgetInChromium } from './widget-server.js';

const installed = requireChromium('the <threadline-chat> history suite');
const REPLIES = 130;

describe.runIf(installed)('<threadline-chat> with a long history in real Chromium', () => {
  const suite = useWidgetInChromium();

  it('shows the newest messages first and pages back to the first one on demand', async () => {
    const page = await (await suite.browser.newContext()).newPage();
    await page.goto(suite.server.url);
    await page.locator('threadline-chat .launcher').click();
    await page.locator('threadline-chat .state', { hasText: 'Online' }).waitFor();
    const received = new Promise<Message>((resolve) =>
      suite.server.desk.on('message.received', (event) => resolve(event.message)),
    );
    await page.locator('threadline-chat textarea').fill('the very first message');
    await page.locator('threadline-chat textarea').press('Enter');
    const first = await received;
    for (let i = 1; i <= REPLIES; i++)
      await suite.server.desk.reply(first.conversationId, { text: `answer ${i}`, author: { type: 'agent' } });
    await suite.server.desk.outbox.flush();

    await page.reload();
    await page.locator('threadline-chat .launcher').click();
    const bubbles = page.locator('threadline-chat li.msg .bubble');
    await page.locator('threadline-chat li.msg .bubble', { hasText: `answer ${REPLIES}` }).waitFor();
    const earlier = page.locator('threadline-chat .earlier');
    await earlier.waitFor({ state: 'visible' });
    expect(await bubbles.count()).toBeLessThan(REPLIES + 1);

    // Each click shows more messages, or hides the button once the first message is in (in the
    // same task). The cache restored after a reload may already show some of a page: the widget
    // then reads on to the next page.
    const earlierRequests: string[] = [];
    page.on('request', (request) => {
      const before = new URL(request.url()).searchParams.get('before');
      if (before) earlierRequests.push(before);
    });
    for (let clicks = 0; await earlier.isVisible(); clicks++) {
      expect(clicks).toBeLessThan(5);
      const shown = await bubbles.count();
      // A double click, as impatient visitors give: the second click must not fetch the page again.
      await earlier.dblclick();
      await expect
        .poll(async () => (await bubbles.count()) > shown || !(await earlier.isVisible()))
        .toBe(true);
    }
    expect(new Set(earlierRequests).size).toBe(earlierRequests.length);
    await page.locator('threadline-chat li.msg .bubble', { hasText: 'the very first message' }).waitFor();
    const texts = await bubbles.allTextContents();
    expect(texts).toHaveLength(REPLIES + 1);
    expect(texts[0]).toBe('the very first message');
    expect(texts.at(-1)).toBe(`answer ${REPLIES}`);
    await page.context().close();
  });
});
