/**
 * A host renews the identity token of its signed-in user before it expires, in real Chromium: the
 * widget takes it without a restart, so the visitor sees nothing happen. A token for another user
 * still starts that user's chat.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { ThreadlineChatElement } from '../../../src/client/widget.js';
import { signIdentityToken } from '../../../src/http/token.js';
import type { Message } from '../../../src/model/records.js';
import { requireChromium } from '../indexeddb/chromium.js';
import { useWidgetInChromium } from './widget-server.js';

const installed = requireChromium('the <threadline-chat> token renewal suite');
const SECRET = 'widget-renewal-test-secret-0123456789';
const agent = { type: 'agent' as const };

/** A token for `sub` that expires at `exp` (epoch seconds). */
const tokenFor = (sub: string, exp = Math.floor(Date.now() / 1000) + 600) =>
  signIdentityToken({ sub, email: `${sub}@example.com`, exp }, SECRET);
const setToken = (page: Page, token: string) =>
  page.evaluate((value) => document.querySelector('threadline-chat')!.setAttribute('token', value), token);
const bubbles = (page: Page) => page.locator('threadline-chat li.msg .bubble').allTextContents();
const bubble = (page: Page, text: string) =>
  page.locator('threadline-chat li.msg .bubble', { hasText: text }).waitFor();

/** What the page keeps to compare after a token change (see `watchWidget`). */
interface Watched {
  client: unknown;
  /** `li.msg` nodes shown before, removed since. */
  removed: number;
  /** The connection states shown since. */
  states: string[];
}
/** The page's window, holding what `watchWidget` keeps. */
type WatchingWindow = { watched: Watched };

/**
 * Marks the message nodes shown now, and records from now on the removal of any of them and every
 * connection state the header shows; keeps the widget's client to compare.
 */
const watchWidget = (page: Page) =>
  page.evaluate(() => {
    const widget = document.querySelector<ThreadlineChatElement>('threadline-chat')!;
    const root = widget.shadowRoot!;
    const watched: Watched = { client: widget.client, removed: 0, states: [] };
    (window as unknown as WatchingWindow).watched = watched;
    for (const item of root.querySelectorAll('li.msg')) item.setAttribute('data-before', '');
    new MutationObserver((records) => {
      for (const record of records)
        for (const node of record.removedNodes)
          if ((node as Element).hasAttribute?.('data-before')) watched.removed++;
    }).observe(root.querySelector('.log')!, { childList: true });
    const state = root.querySelector('.state')!;
    new MutationObserver(() => watched.states.push(state.textContent ?? '')).observe(state, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });

/** What changed since `watchWidget`: the same client or not, removals, states shown, and marked nodes still shown. */
const changes = (page: Page) =>
  page.evaluate(() => {
    const widget = document.querySelector<ThreadlineChatElement>('threadline-chat')!;
    const { client, removed, states } = (window as unknown as WatchingWindow).watched;
    const marked = widget.shadowRoot!.querySelectorAll('li.msg[data-before]').length;
    return { sameClient: widget.client === client, removed, states, marked };
  });

describe.runIf(installed)('<threadline-chat> with a renewed identity token in real Chromium', () => {
  const suite = useWidgetInChromium({ chat: { identitySecret: SECRET } });

  /** Resolves with the next message the desk receives whose text contains `text`. */
  const received = (text: string) =>
    new Promise<Message>((resolve) => {
      const off = suite.server.desk.on('message.received', ({ message }) => {
        if (!JSON.stringify(message.parts).includes(text)) return;
        off();
        resolve(message);
      });
    });

  /** Types `text` into the widget and resolves with the message the desk stored. */
  async function send(page: Page, text: string): Promise<Message> {
    const stored = received(text);
    await page.locator('threadline-chat textarea').fill(text);
    await page.locator('threadline-chat textarea').press('Enter');
    return stored;
  }

  /** A fresh browser signed in with `token`, the panel open and the stream live. */
  async function signIn(token: string): Promise<Page> {
    const page = await (await suite.browser.newContext()).newPage();
    await page.goto(suite.server.url);
    await setToken(page, token); // as a host page does once it has fetched the token
    await page.locator('threadline-chat .launcher').click();
    await page.locator('threadline-chat .state', { hasText: 'Online' }).waitFor();
    return page;
  }

  it('a renewed token for the same user keeps the chat on screen and the client, and is sent from then on', async () => {
    // The first token expires in a few seconds: what works after that went with the renewed one.
    const firstExpiry = Math.floor(Date.now() / 1000) + 5;
    const page = await signIn(await tokenFor('ada', firstExpiry));
    const hello = await send(page, 'Hello, where is my order?');
    await suite.server.desk.reply(hello.conversationId, { text: 'It left today', author: agent });
    await bubble(page, 'It left today');
    await watchWidget(page);

    const renewed = await tokenFor('ada');
    const stream = page.waitForRequest(
      (request) =>
        request.url().endsWith('/chat/events') && request.headers().authorization === `Bearer ${renewed}`,
    );
    await setToken(page, renewed);
    await stream; // the live stream reopened with the renewed token at once
    // Past the first token's expiry: the server now refuses it, and has ended any stream opened with it.
    await new Promise((resolve) => setTimeout(resolve, firstExpiry * 1000 + 500 - Date.now()));

    const later = await send(page, 'Can I change the address?');
    expect(later.conversationId).toBe(hello.conversationId);
    await suite.server.desk.reply(hello.conversationId, { text: 'Yes, done', author: agent });
    await bubble(page, 'Yes, done');
    expect(await bubbles(page)).toEqual([
      'Hello, where is my order?',
      'It left today',
      'Can I change the address?',
      'Yes, done',
    ]);
    expect(await changes(page)).toEqual({ sameClient: true, removed: 0, states: [], marked: 2 });
    await page.context().close();
  });

  it("a token for another user restarts the widget with that user's chat", async () => {
    // Bob chatted before, in another browser.
    const bob = await tokenFor('bob');
    const bobsBrowser = await signIn(bob);
    await send(bobsBrowser, 'Bob was here');
    await bobsBrowser.context().close();

    const page = await signIn(await tokenFor('cleo'));
    await send(page, 'Cleo writes');
    await bubble(page, 'Cleo writes');
    await watchWidget(page);
    await setToken(page, bob);
    await expect.poll(() => bubbles(page)).toEqual(['Bob was here']);
    const { sameClient, removed } = await changes(page);
    expect({ sameClient, removed }).toEqual({ sameClient: false, removed: 1 });
    await page.context().close();
  });
});
