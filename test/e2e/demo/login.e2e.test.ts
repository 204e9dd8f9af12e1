import type { Locator, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startDemo } from '../../../examples/demo/server.js';
import { requireChromium } from '../indexeddb/chromium.js';
import { useDemoInChromium } from './browser.js';
import { conversations, eventually, textOf } from './harness.js';

const installed = requireChromium("the demo shop's login suite");

/** The signed-in visitor the widget keeps in localStorage (`threadline/client`'s storage). */
const signedInVisitor = (shop: Page) =>
  shop.evaluate(() => JSON.parse(localStorage.getItem('threadline.visitor.user') ?? 'null')?.id as string);

/** The widget's history cache of a visitor in IndexedDB (undefined once erased). */
const cachedHistory = (shop: Page, visitorId: string) =>
  shop.evaluate(
    (key) =>
      new Promise<unknown>((resolve, reject) => {
        const open = indexedDB.open('threadline-client-history');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction('history').objectStore('history').get(key);
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        };
      }),
    `history:/chat|${visitorId}`,
  );

/** The conversation of Ann's shop account holding a message with this text, if any. */
async function annSaid(base: string, text: string) {
  const rows = await conversations(base);
  return rows.find(
    (row) =>
      row.customer.identities.some((i) => i.kind === 'external' && i.value === 'user_ann') &&
      row.lastMessage &&
      textOf(row.lastMessage) === text,
  );
}

async function logInAndChat(shop: Page, widget: Locator, base: string, text: string): Promise<void> {
  await shop.getByRole('button', { name: 'Log in as Ann (ann@example.com)' }).click();
  await shop.getByText('Signed in as Ann Lee').waitFor();
  await widget.locator('.launcher').click();
  await widget.locator('textarea').fill(text);
  await widget.locator('button.send').click();
  await eventually(() => annSaid(base, text), 'the signed-in message reaches Ann');
}

describe.runIf(installed)("the demo shop's login in real Chromium", () => {
  const suite = useDemoInChromium();
  let shop: Page;
  let widget: Locator;
  /** Responses the shop page got with status 401. */
  let refused: string[];

  beforeEach(async () => {
    shop = await suite.context.newPage();
    refused = [];
    shop.on('response', (r) => {
      if (r.status() === 401) refused.push(`${r.request().method()} ${r.url()}`);
    });
    await shop.goto(suite.demo.url);
    widget = shop.locator('threadline-chat');
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("logging out forgets Ann's chat in this browser: her visitor id and cached history are gone", async () => {
    await logInAndChat(shop, widget, suite.demo.url, 'Signed in, then leaving the library computer.');
    const visitorId = await signedInVisitor(shop);
    expect(visitorId).toBeTruthy();
    expect(await cachedHistory(shop, visitorId)).toBeDefined();

    await shop.getByRole('button', { name: 'Log out' }).click();
    await shop.getByText('Browsing as a guest').waitFor();
    await eventually(
      async () => ((await cachedHistory(shop, visitorId)) === undefined ? true : undefined),
      "Ann's cached history is erased",
    );
    expect(await signedInVisitor(shop)).toBeUndefined();
    await shop.reload();
    await widget.locator('.launcher').click();
    await widget.locator('textarea').waitFor();
    expect(await widget.getByText('Signed in, then leaving the library computer.').count()).toBe(0);
  }, 60_000);

  it('a page opened after the identity token expired still chats as Ann (a fresh token, no 401)', async () => {
    // A demo whose clock the test moves: the web-chat handler reads `Date.now` when it is made.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    const later = await startDemo({ port: 0, memory: true });
    try {
      await shop.goto(later.url);
      await logInAndChat(shop, widget, later.url, 'Before lunch.');
      // Two hours later (the shop's tokens last one), Ann comes back to the page.
      vi.setSystemTime(Date.now() + 2 * 3600_000);
      await shop.reload();
      await shop.getByText('Signed in as Ann Lee').waitFor();
      await widget.locator('.launcher').click();
      await widget.getByText('Before lunch.').waitFor();
      await widget.locator('textarea').fill('After lunch.');
      await widget.locator('button.send').click();
      await eventually(() => annSaid(later.url, 'After lunch.'), 'the message after lunch reaches Ann');
      expect(refused).toEqual([]);
    } finally {
      await later.close();
    }
  }, 60_000);
});
