import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeskEvent } from '../../../src/model/events.js';
import { storeContractTests } from '../../../src/testing/index.js';
import { bundle, launchChromium, type PageServer, requireChromium, servePage } from './chromium.js';
import type { CaseResult } from './vitest-shim.js';

/** What page.ts puts on `window.tl` (the page-side API the tests drive). */
interface PageApi {
  runContract(): Promise<CaseResult[]>;
  openDesk(name: string): void;
  reopen(name: string): Promise<void>;
  snapshot(): Promise<{ records: unknown[]; events: { cursor: string }[] }>;
  waitForMessage(id: string): Promise<DeskEvent>;
  fillUntilQuota(
    name: string,
  ): Promise<{ name: string; message: string; orphans: number; failedStored: boolean }>;
  blockedOpen(name: string): Promise<string>;
  mapQuota(): string;
  buildHistory(): Promise<{ keptId: string; mergeId: string }>;
  receive(text: string, externalId: string): Promise<{ message: { id: string } }>;
  close(): Promise<void>;
}
declare const tl: PageApi;

const installed = requireChromium('the IndexedDB Chromium suite');

describe.runIf(installed)('indexeddb store in real Chromium', () => {
  let browser: Browser;
  let server: PageServer;
  let contract: CaseResult[] = [];

  async function newPage(context: { newPage(): Promise<Page> } = browser): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('page error:', error));
    await page.goto(server.url);
    await page.waitForFunction(() => 'tl' in window);
    return page;
  }

  beforeAll(async () => {
    server = await servePage(await bundle(fileURLToPath(new URL('./page.ts', import.meta.url))));
    browser = await launchChromium();
    const page = await newPage();
    contract = await page.evaluate(() => tl.runContract());
    await page.close();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const title of storeContractTests) {
    it(`contract: ${title}`, () => {
      const result = contract.find((entry) => entry.name.endsWith(`> ${title}`));
      expect(result, 'the contract case ran in the page').toBeDefined();
      expect(result!.error ?? '').toBe('');
      expect(result!.status).toBe('passed');
    });
  }

  it("a message received in one page's desk reaches the other page's desk as an event", async () => {
    const context = await browser.newContext();
    const [pageA, pageB] = [
      await newPage(context as unknown as Browser),
      await newPage(context as unknown as Browser),
    ];
    await pageA.evaluate(() => tl.openDesk('two-tabs'));
    await pageB.evaluate(() => tl.openDesk('two-tabs'));
    await pageB.evaluate(() => tl.snapshot()); // B's store is open and its watch cursor read
    const { message } = await pageA.evaluate(() => tl.receive('Where is my parcel?', 'SM-tab-1'));
    const event = await pageB.evaluate((id) => tl.waitForMessage(id), message.id);
    expect(event.type).toBe('message.received');
    expect(event).toMatchObject({
      message: { id: message.id, parts: [{ type: 'text', text: 'Where is my parcel?' }] },
    });
    await context.close();
  });

  it('state after close and reopen, and after a page reload, equals the state before', async () => {
    const page = await newPage();
    await page.evaluate(() => tl.openDesk('restart'));
    await page.evaluate(() => tl.buildHistory());
    const before = await page.evaluate(() => tl.snapshot());
    expect(before.records.length).toBeGreaterThan(30);
    await page.evaluate(() => tl.reopen('restart'));
    expect(await page.evaluate(() => tl.snapshot())).toEqual(before);
    await page.reload();
    await page.waitForFunction(() => 'tl' in window);
    await page.evaluate(() => tl.openDesk('restart'));
    expect(await page.evaluate(() => tl.snapshot())).toEqual(before);
    await page.evaluate(() => tl.receive('after reload', 'SM-after-reload'));
    const after = await page.evaluate(() => tl.snapshot());
    const last = Number(before.events[before.events.length - 1]!.cursor);
    expect(after.events.slice(before.events.length).map((e) => e.cursor)[0]).toBe(String(last + 1));
    await page.close();
  });

  it('an upgrade blocked by an old tab is a StorageError, not a hang', async () => {
    const page = await newPage();
    expect(await page.evaluate(() => tl.blockedOpen('blocked'))).toMatch(
      /^StorageError: IndexedDB database "blocked" is blocked/,
    );
    await page.close();
  });

  it('a real quota error (CDP Storage.overrideQuotaForOrigin) is a StorageError and leaves no half-written batch', async () => {
    const page = await newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', {
      origin: new URL(server.url).origin,
      quotaSize: 2 * 1024 * 1024,
    });
    const error = await page.evaluate(() => tl.fillUntilQuota('quota'));
    expect(error.name).toBe('StorageError');
    expect(error.message).toMatch(/IndexedDB quota exceeded while committing a batch/);
    expect(error.failedStored).toBe(false);
    expect(error.orphans).toBe(0);
    await page.close();
  });
});
