import type { Page } from 'playwright-core';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SinkDelivery } from '../../../examples/demo/sink.js';
import { requireChromium } from '../indexeddb/chromium.js';
import { useDemoInChromium } from './browser.js';
import { call, conversations, eventually } from './harness.js';

const installed = requireChromium("the demo inbox's browser suite");

/** Where the timeline is scrolled: its top, and how far its bottom is from the view's. */
const scrollOf = (inbox: Page) =>
  inbox.locator('#timeline').evaluate((el) => ({
    top: el.scrollTop,
    fromBottom: el.scrollHeight - el.scrollTop - el.clientHeight,
    scrolls: el.scrollHeight > el.clientHeight,
  }));

/** Whether the element is wholly inside the window. */
async function inView(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).boundingBox();
  const size = page.viewportSize()!;
  return box !== null && box.y >= 0 && box.y + box.height <= size.height && box.x + box.width <= size.width;
}

describe.runIf(installed)('the demo inbox in real Chromium', () => {
  const suite = useDemoInChromium({ viewport: { width: 1280, height: 800 } });
  let inbox: Page;
  /** Console warnings and errors, and page errors, of the inbox. */
  let problems: string[];

  beforeEach(async () => {
    inbox = await suite.context.newPage();
    problems = [];
    inbox.on('console', (m) => {
      if (m.type() === 'warning' || m.type() === 'error') problems.push(`${m.type()}: ${m.text()}`);
    });
    inbox.on('pageerror', (error) => problems.push(error.message));
  });

  it('a long history scrolls inside the timeline: the newest message and the composer stay in view, and a live update keeps the place of an agent reading back', async () => {
    const from = '+14155550131';
    for (let i = 1; i <= 60; i++)
      await call(suite.demo.url, '/api/simulate/sms', { from, text: `Message ${i}` });
    const id = (await conversations(suite.demo.url)).find((row) =>
      row.customer.identities.some((identity) => identity.value === from),
    )!.conversation.id;
    await inbox.goto(`${suite.demo.url}inbox?c=${id}`);
    await inbox.locator('#timeline .msg', { hasText: 'Message 60' }).waitFor();
    expect(await scrollOf(inbox)).toMatchObject({ scrolls: true, fromBottom: 0 });
    expect(await inView(inbox, '#send-reply')).toBe(true);
    expect(await inView(inbox, '#timeline .msg:last-child')).toBe(true);

    await inbox.locator('#timeline').evaluate((el) => el.scrollTo({ top: 0 }));
    await inbox.locator('#timeline .msg', { hasText: 'Message 1' }).first().waitFor();
    await call(suite.demo.url, '/api/simulate/sms', { from, text: 'Message 61' });
    await inbox.locator('#timeline .msg', { hasText: 'Message 61' }).waitFor();
    expect((await scrollOf(inbox)).top).toBe(0);
    expect(problems).toEqual([]);
  }, 60_000);

  it('with the simulator open, the composer stays in reach: an SMS reply is sent and shows in the sink beside it', async () => {
    await call(suite.demo.url, '/api/simulate/sms', {
      from: '+14155550132',
      text: 'Is the jacket waterproof?',
    });
    const id = (await conversations(suite.demo.url)).find((row) =>
      row.customer.identities.some((identity) => identity.value === '+14155550132'),
    )!.conversation.id;
    await inbox.goto(`${suite.demo.url}inbox?c=${id}`);
    await inbox.locator('#timeline .msg').first().waitFor();
    await inbox.locator('#toggle-simulator').click();
    expect(await inView(inbox, '#send-reply')).toBe(true);
    expect(await inView(inbox, '#reply-channel')).toBe(true);
    await inbox.locator('#reply-channel').selectOption('sms', { timeout: 5000 });
    await inbox.locator('#reply-text').fill('Fully waterproof, yes.');
    await inbox.locator('#send-reply').click({ timeout: 5000 });
    await inbox.locator('#sink-list .delivery-card', { hasText: 'Fully waterproof, yes.' }).waitFor();
    const sink = await call<SinkDelivery[]>(suite.demo.url, '/api/sink');
    expect(sink.filter((d) => d.text === 'Fully waterproof, yes.')).toHaveLength(1);
    expect(problems).toEqual([]);
  }, 60_000);

  it('switching the composer to a private note submits nothing and warns of nothing', async () => {
    await call(suite.demo.url, '/api/simulate/sms', { from: '+14155550133', text: 'Can I change my size?' });
    const id = (await conversations(suite.demo.url)).find((row) =>
      row.customer.identities.some((identity) => identity.value === '+14155550133'),
    )!.conversation.id;
    await inbox.goto(`${suite.demo.url}inbox?c=${id}`);
    await inbox.locator('#timeline .msg').first().waitFor();
    await inbox.locator('#reply-text').fill('Draft kept across tabs');
    await inbox.getByRole('tab', { name: 'Private note' }).click();
    expect(await inbox.locator('#reply-text').inputValue()).toBe('Draft kept across tabs');
    await inbox.locator('#send-reply').click();
    await inbox.locator('#timeline .msg-internal').waitFor();
    const view = await eventually(async () => {
      const { messages } = await call<{ messages: { direction: string }[] }>(
        suite.demo.url,
        `/api/conversations/${id}`,
      );
      return messages.length === 2 ? messages : undefined;
    }, 'the note is stored');
    expect(view.map((m) => m.direction)).toEqual(['inbound', 'internal']);
    expect(problems).toEqual([]);
  }, 60_000);
});
