import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../../../examples/demo/server.js';
import { launchChromium, requireChromium } from '../indexeddb/chromium.js';
import {
  call,
  conversations,
  eventually,
  publishScreenshot,
  RESULTS_DIR,
  textOf,
  type ViewMessage,
  view,
} from './harness.js';

const installed = requireChromium("the demo's browser suite");

const TEXT = {
  widget: 'Hi! My order #1042 has not arrived yet.',
  sms: 'Texting you as well: the tracking page has not changed in days.',
  email: 'Here is my receipt for order #1042, by email.',
  reply: 'Thanks Ann, I can see all three messages. A replacement ships today.',
  offline: 'Typed on the train, while offline.',
};

/** Waits until `count()` of a locator reaches `n`. */
async function countIs(locator: Locator, n: number, what: string): Promise<void> {
  await eventually(async () => ((await locator.count()) === n ? true : undefined), what);
}

async function sendInWidget(widget: Locator, text: string): Promise<void> {
  await widget.locator('textarea').fill(text);
  await widget.locator('button.send').click();
}

async function simulate(inbox: Page, channel: string, text: string): Promise<void> {
  await inbox.locator(`#sim-channel [data-channel="${channel}"]`).click();
  await inbox.locator('#sim-text').fill(text);
  await inbox.locator('#sim-send').click();
  await inbox.locator('.sim-result.ok').waitFor();
  await inbox.locator('.sim-result').evaluate((el) => el.classList.remove('ok'));
}

/** How many messages of the conversation carry this text. */
async function copies(base: string, id: string, text: string): Promise<number> {
  const { messages } = await view(base, id);
  return messages.filter((message: ViewMessage) => textOf(message) === text).length;
}

/** The pages of one journey and what it has learnt so far. */
interface Journey {
  base: string;
  label: string;
  context: BrowserContext;
  shop: Page;
  widget: Locator;
  inbox: Page;
  errors: string[];
  id: string;
}

async function openPage(journey: Pick<Journey, 'context' | 'errors'>, url: string): Promise<Page> {
  const page = await journey.context.newPage();
  page.on('pageerror', (error) => journey.errors.push(error.message));
  await page.goto(url);
  return page;
}

/** An anonymous visitor writes in the widget, then logs in as Ann. Returns the conversation id. */
async function chatThenLogIn(shop: Page, widget: Locator, base: string): Promise<string> {
  await widget.locator('.launcher').click();
  await sendInWidget(widget, TEXT.widget);
  const first = await eventually(
    async () =>
      (await conversations(base)).find((row) => row.lastMessage && textOf(row.lastMessage) === TEXT.widget),
    'the widget message reaches the desk',
  );
  const id = first.conversation.id;
  await shop.getByRole('button', { name: 'Log in as Ann (ann@example.com)' }).click();
  await eventually(async () => {
    const { customer } = await view(base, id);
    const has = (kind: string, value: string) =>
      customer.identities.some(
        (identity) => identity.kind === kind && identity.value === value && identity.verified,
      );
    return has('external', 'user_ann') && has('email', 'ann@example.com') && has('phone', '+14155550100')
      ? true
      : undefined;
  }, 'logging in links the visitor to Ann (account, email, phone)');
  return id;
}

/** SMS and email from the simulator; the inbox shows one conversation with three badged messages. */
async function otherChannelsJoin({ base, inbox, id }: Journey): Promise<void> {
  await inbox.locator('#toggle-simulator').click();
  await simulate(inbox, 'sms', TEXT.sms);
  await simulate(inbox, 'email', TEXT.email);
  await inbox.locator('#toggle-simulator').click();
  expect((await conversations(base)).map((row) => row.conversation.id)).toEqual([id]);
  const timeline = inbox.locator('#timeline .msg');
  await countIs(timeline, 3, 'the inbox timeline shows the three messages');
  const channels = await timeline.evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.channel));
  expect(channels).toEqual(['webchat', 'sms', 'email']);
  expect(await timeline.locator('.msg-head .badge').allTextContents()).toEqual(['webchat', 'sms', 'email']);
  expect(await timeline.locator('.bubble').allTextContents()).toEqual([TEXT.widget, TEXT.sms, TEXT.email]);
  await countIs(inbox.locator('.conversation'), 1, 'one conversation in the list');
  expect(await inbox.locator('.conversation .badge').allTextContents()).toEqual(['webchat', 'sms', 'email']);
  expect(await inbox.locator('#reply-channel').inputValue()).toBe('email');
}

/** Typing shows on both sides; the agent's web-chat reply reaches the widget. */
async function agentReplies({ inbox, widget, label }: Journey): Promise<string> {
  await widget.locator('textarea').fill('Also, one more thing');
  await inbox.getByText('Ann Lee is typing…').waitFor();
  await widget.locator('textarea').fill('');
  await inbox.locator('.typing-indicator').waitFor({ state: 'hidden' });
  await inbox.locator('#reply-channel').selectOption('webchat');
  await inbox.locator('#reply-text').fill(TEXT.reply);
  await widget.locator('.typing').waitFor();
  await inbox.locator('#assignee-select').selectOption('agent_sam');
  await inbox.locator('.conversation .assignee').waitFor();
  expect(await inbox.locator('#reply-text').inputValue()).toBe(TEXT.reply);
  await inbox.locator('#send-reply').click();
  await widget.getByText(TEXT.reply).waitFor();
  await countIs(inbox.locator('#timeline .msg'), 4, 'the reply shows in the inbox');
  await inbox
    .locator('#timeline .msg-outbound')
    .locator('.delivery-delivered, .delivery-read')
    .first()
    .waitFor();
  const shot = join(RESULTS_DIR, `${label}-inbox.png`);
  await inbox.screenshot({ path: shot });
  return shot;
}

/** After a reload the widget shows the whole history; returns the widget screenshot. */
async function reloadKeepsHistory({ shop, widget, label }: Journey): Promise<string> {
  await shop.reload();
  await widget.locator('.launcher').click();
  for (const text of [TEXT.widget, TEXT.sms, TEXT.email, TEXT.reply]) await widget.getByText(text).waitFor();
  const shot = join(RESULTS_DIR, `${label}-widget.png`);
  await shop.screenshot({ path: shot });
  return shot;
}

/** A message typed offline is held, then arrives exactly once when the network returns. */
async function offlineSendArrivesOnce({ context, widget, base, id }: Journey): Promise<void> {
  await context.setOffline(true);
  await sendInWidget(widget, TEXT.offline);
  await widget.getByText(TEXT.offline).waitFor();
  expect(await copies(base, id, TEXT.offline)).toBe(0);
  await context.setOffline(false);
  await eventually(
    async () => ((await copies(base, id, TEXT.offline)) === 1 ? true : undefined),
    'the offline message arrives',
    40_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(await copies(base, id, TEXT.offline)).toBe(1);
  expect((await conversations(base)).length).toBe(1);
}

/**
 * The story, in a real browser against the real demo server: widget, login, SMS and email
 * from the simulator, one conversation in the inbox, a reply that reaches the widget, a reload,
 * and a message typed offline that arrives exactly once.
 */
async function customerJourney(browser: Browser, demo: RunningDemo, label: string): Promise<string> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  try {
    const shop = await openPage({ context, errors }, demo.url);
    const widget = shop.locator('threadline-chat');
    const id = await chatThenLogIn(shop, widget, demo.url);
    const inbox = await openPage({ context, errors }, `${demo.url}inbox`);
    await inbox.setViewportSize({ width: 1440, height: 900 });
    const journey: Journey = { base: demo.url, label, context, shop, widget, inbox, errors, id };
    await otherChannelsJoin(journey);
    const inboxShot = await agentReplies(journey);
    const widgetShot = await reloadKeepsHistory(journey);
    await offlineSendArrivesOnce(journey);
    expect(errors).toEqual([]);
    if (label === 'memory') {
      await publishScreenshot(inboxShot, 'inbox.png');
      await publishScreenshot(widgetShot, 'widget.png');
    }
    return id;
  } finally {
    await context.close();
  }
}

describe.runIf(installed)('npm run demo in real Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    await mkdir(RESULTS_DIR, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('memory store: one customer across web chat, SMS and email, with a reply, a reload and an offline send', async () => {
    const demo = await startDemo({ port: 0, memory: true });
    try {
      await customerJourney(browser, demo, 'memory');
    } finally {
      await demo.close();
    }
  }, 120_000);

  it('file store: the same journey, and the conversation is still there after a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'threadline-demo-'));
    try {
      const demo = await startDemo({ port: 0, dataDir: dir });
      let id: string;
      let before: number;
      try {
        id = await customerJourney(browser, demo, 'file');
        before = (await view(demo.url, id)).messages.length;
      } finally {
        await demo.close();
      }
      const again = await startDemo({ port: 0, dataDir: dir });
      try {
        const reopened = await view(again.url, id);
        expect(reopened.messages.length).toBe(before);
        expect(reopened.messages.map((m) => m.channel)).toEqual([
          'webchat',
          'sms',
          'email',
          'webchat',
          'webchat',
        ]);
        expect(await call<unknown[]>(again.url, '/api/conversations')).toHaveLength(1);
      } finally {
        await again.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
