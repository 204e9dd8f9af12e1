/**
 * A shared computer, in real Chromium: after a signed-in user logs out, the next person to open
 * the widget sees none of their chat, neither from the browser's cache nor from the server.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { signIdentityToken } from '../../../src/http/token.js';
import type { Message } from '../../../src/model/records.js';
import { requireChromium } from '../indexeddb/chromium.js';
import { useWidgetInChromium } from './widget-server.js';

const installed = requireChromium('the <threadline-chat> logout suite');
const SECRET = 'widget-logout-test-secret-0123456789';
const PRIVATE = 'my card ends in 4242';

/** Everything the widget's history cache (IndexedDB) holds, as JSON. */
const cachedHistory = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<string>((resolve, reject) => {
        const open = indexedDB.open('threadline-client-history');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('history').objectStore('history').getAll();
          all.onerror = () => reject(all.error);
          all.onsuccess = () => {
            open.result.close();
            resolve(JSON.stringify(all.result));
          };
        };
      }),
  );
const bubbles = (page: Page) => page.locator('threadline-chat li.msg .bubble').allTextContents();
const setToken = (page: Page, token: string | null) =>
  page.evaluate((value) => {
    const widget = document.querySelector('threadline-chat')!;
    if (value === null) widget.removeAttribute('token');
    else widget.setAttribute('token', value);
  }, token);

describe.runIf(installed)('<threadline-chat> on a shared computer in real Chromium', () => {
  const suite = useWidgetInChromium({ chat: { identitySecret: SECRET } });

  /** A user signs in on a fresh browser, writes something private and gets a reply. */
  async function userChats(sub: string): Promise<{ page: Page; token: string }> {
    const page = await (await suite.browser.newContext()).newPage();
    await page.goto(suite.server.url);
    const token = await signIdentityToken(
      { sub, email: `${sub}@example.com`, exp: Math.floor(Date.now() / 1000) + 600 },
      SECRET,
    );
    await setToken(page, token); // as a host page does once it has fetched the token
    await page.locator('threadline-chat .launcher').click();
    await page.locator('threadline-chat .state', { hasText: 'Online' }).waitFor();
    const received = new Promise<Message>((resolve) =>
      suite.server.desk.on('message.received', (event) => resolve(event.message)),
    );
    await page.locator('threadline-chat textarea').fill(PRIVATE);
    await page.locator('threadline-chat textarea').press('Enter');
    const first = await received;
    await suite.server.desk.reply(first.conversationId, {
      text: 'Your new card ships today',
      author: { type: 'agent' },
    });
    await page.locator('threadline-chat li.msg .bubble', { hasText: 'ships today' }).waitFor();
    return { page, token };
  }

  /**
   * Reloads the page (no token any more), waits for the widget's history answer (it asks as soon
   * as it connects, so the wait starts before the reload) and returns what the opened widget shows.
   */
  async function nextPersonSees(page: Page): Promise<string[]> {
    const history = page.waitForResponse(
      (r) => r.url().includes('/chat/messages') && r.request().method() === 'GET',
    );
    await page.reload();
    expect((await history).status()).toBe(200); // a new anonymous visitor, not a refused one
    await page.locator('threadline-chat .launcher').click();
    await page.locator('threadline-chat .state', { hasText: 'Online' }).waitFor();
    return bubbles(page);
  }

  it('a page loaded without a token after the login shows nothing of the signed-in chat', async () => {
    const { page } = await userChats('ada');
    const shown = await nextPersonSees(page); // Ada logged out on the server: no token any more
    expect(shown.join(' ')).not.toContain('4242');
    expect(shown.join(' ')).not.toContain('ships today');
    await page.context().close();
  });

  it("removing the token forgets the user's chat on this browser; signing in again brings it back from the server", async () => {
    const { page, token } = await userChats('bea');
    await expect.poll(() => cachedHistory(page)).toContain('4242');
    await setToken(page, null); // a logout in a single-page app
    await expect.poll(() => bubbles(page)).toEqual([]);
    await expect.poll(() => cachedHistory(page)).not.toContain('4242');
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    expect(stored).not.toContain('bea');
    const shown = await nextPersonSees(page);
    expect(shown).toEqual([]);

    await setToken(page, token);
    await expect.poll(() => bubbles(page)).toEqual([PRIVATE, 'Your new card ships today']);
    await page.context().close();
  });
});
