import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundle, launchChromium, type PageServer, requireChromium, servePage } from './chromium.js';

/** What tabs-page.ts puts on `window.tl` (the page-side API the tests drive). */
interface PageApi {
  openDesk(name: string): Promise<void>;
  waitForEvents(ids: string[]): Promise<void>;
  burst(
    prefix: string,
    count: number,
    phone: string,
    parallel?: number,
  ): Promise<{ acked: string[]; failed: string[]; redelivered: number }>;
  state(): Promise<{
    externalIds: string[];
    orphans: number;
    positions: number;
    conversations: number;
    customers: number;
    logIds: string[];
    logMessageIds: string[];
    messageIds: string[];
    emittedIds: string[];
    conflicts: number;
  }>;
  tryReceive(externalId: string, size?: number): Promise<string>;
  upgrade(name: string, version: number): Promise<string>;
  holdOld(name: string): Promise<void>;
  post(channel: string, messages: unknown[]): void;
  fillUntilRefused(prefix: string): Promise<{ acked: string[]; refused: string | undefined; error: string }>;
  ballast(name: string, bytes: number): Promise<void>;
  drop(name: string): Promise<void>;
  release(): void;
  versionOf(name: string): Promise<number | undefined>;
  close(): Promise<void>;
}
declare const tl: PageApi;

const installed = requireChromium('the IndexedDB multi-tab Chromium suite');

describe.runIf(installed)('indexeddb store across tabs and failures in real Chromium', () => {
  let browser: Browser;
  let server: PageServer;
  const pageErrors: string[] = [];

  async function newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => 'tl' in window);
    return page;
  }

  beforeAll(async () => {
    server = await servePage(await bundle(fileURLToPath(new URL('./tabs-page.ts', import.meta.url))));
    browser = await launchChromium();
  }, 120_000);

  afterEach(() => {
    expect(pageErrors.splice(0), 'uncaught errors and unhandled rejections in the pages').toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('two tabs receiving for the same customer and conversation at once (three writers each) lose and duplicate nothing', async () => {
    const context = await browser.newContext();
    const [pageA, pageB] = [await newPage(context), await newPage(context)];
    await pageA.evaluate(() => tl.openDesk('interleaved'));
    await pageB.evaluate(() => tl.openDesk('interleaved'));
    const phone = '+14155550100';
    const [a, b] = await Promise.all([
      pageA.evaluate((phone) => tl.burst('A', 30, phone, 3), phone),
      pageB.evaluate((phone) => tl.burst('B', 30, phone, 3), phone),
    ]);
    expect([...a.failed, ...b.failed]).toEqual([]);
    // The desk's own retries (with a random backoff) win every race: no delivery had to come again.
    expect(a.redelivered + b.redelivered).toBe(0);
    const stateA = await pageA.evaluate(() => tl.state());
    expect(stateA.externalIds).toEqual([...a.acked, ...b.acked].sort());
    expect(stateA).toMatchObject({ orphans: 0, positions: 60, conversations: 1, customers: 1 });
    expect(stateA.logMessageIds.sort()).toEqual(stateA.messageIds.sort());
    for (const page of [pageA, pageB]) await page.evaluate((ids) => tl.waitForEvents(ids), stateA.logIds);
    const stateB = await pageB.evaluate(() => tl.state());
    expect(stateA.conflicts + stateB.conflicts, 'the tabs raced and retried').toBeGreaterThan(0);
    for (const { emittedIds } of [await pageA.evaluate(() => tl.state()), stateB]) {
      expect(emittedIds.length, 'every event emitted once').toBe(new Set(emittedIds).size);
      expect([...emittedIds].sort()).toEqual([...stateA.logIds].sort());
    }
    await context.close();
  });

  it('a tab closed in the middle of a burst leaves the other tab consistent and keeps what it acknowledged', async () => {
    const context = await browser.newContext();
    const [pageA, pageB] = [await newPage(context), await newPage(context)];
    const acked: string[] = [];
    let closing: Promise<void> | undefined;
    await pageA.exposeFunction('tlAck', (id: string) => {
      acked.push(id);
      if (acked.length === 15) closing ??= pageA.close();
    });
    await pageA.evaluate(() => tl.openDesk('closing'));
    await pageB.evaluate(() => tl.openDesk('closing'));
    const phone = '+14155550100';
    const burstA = pageA.evaluate((phone) => tl.burst('A', 200, phone, 4), phone).catch(() => 'closed');
    const b = await pageB.evaluate((phone) => tl.burst('B', 40, phone, 1), phone);
    expect(await burstA).toBe('closed');
    await closing;
    expect(b.failed).toEqual([]);
    // The closed tab may have died between its last commit and its announcement: this tab's next
    // commit notices the gap in the log and catches up.
    const after = await pageB.evaluate((phone) => tl.burst('B-after', 1, phone, 1), phone);
    expect(after.failed).toEqual([]);
    b.acked.push(...after.acked);
    const state = await pageB.evaluate(() => tl.state());
    expect(state.orphans).toBe(0);
    expect(state.positions).toBe(state.messageIds.length);
    expect(state.externalIds).toEqual(expect.arrayContaining([...acked, ...b.acked]));
    expect(new Set(state.externalIds).size).toBe(state.externalIds.length);
    expect(state.logMessageIds.sort()).toEqual(state.messageIds.sort());
    // Every event the closed tab committed reached this tab (a missing one would hang the wait).
    await pageB.evaluate((ids) => tl.waitForEvents(ids), state.logIds);
    const { emittedIds } = await pageB.evaluate(() => tl.state());
    expect(emittedIds.length, 'every event emitted once').toBe(new Set(emittedIds).size);
    expect([...emittedIds].sort()).toEqual([...state.logIds].sort());
    const reopened = await newPage(context);
    await reopened.evaluate(() => tl.openDesk('closing'));
    expect((await reopened.evaluate(() => tl.state())).externalIds).toEqual(state.externalIds);
    await context.close();
  });

  it('a newer app version upgrading the database: the old tab and an old tab opened later get a StorageError, no hang', async () => {
    const context = await browser.newContext();
    const [oldTab, newTab] = [await newPage(context), await newPage(context)];
    await oldTab.evaluate(() => tl.openDesk('versions'));
    expect(await oldTab.evaluate(() => tl.tryReceive('SM-before'))).toMatch(/^ok: /);
    expect(await newTab.evaluate(() => tl.upgrade('versions', 2))).toBe('opened');
    expect(await oldTab.evaluate(() => tl.tryReceive('SM-after'))).toBe(
      'StorageError: IndexedDB store is unusable: another tab upgraded or deleted database "versions"; reload this page.',
    );
    // An old tab opened after the upgrade: its desk's first call fails, and nothing is left unhandled.
    const lateTab = await newPage(context);
    await lateTab.evaluate(() => tl.openDesk('versions').catch(() => undefined));
    expect(await lateTab.evaluate(() => tl.tryReceive('SM-late'))).toMatch(
      /^StorageError: IndexedDB opening database "versions" failed: the database was upgraded by a newer version of this app/,
    );
    await context.close();
  });

  it('an upgrade refused as blocked does not run once the old tab lets go', async () => {
    const context = await browser.newContext();
    const [oldTab, newTab] = [await newPage(context), await newPage(context)];
    await oldTab.evaluate(() => tl.holdOld('blocked'));
    expect(await newTab.evaluate(() => tl.upgrade('blocked', 2))).toMatch(
      /^StorageError: IndexedDB database "blocked" is blocked: another tab keeps an older version open/,
    );
    await oldTab.evaluate(() => tl.release());
    // Opens are served in order: this one runs after the refused upgrade had its turn.
    await oldTab.evaluate(() => tl.openDesk('blocked'));
    expect(await oldTab.evaluate(() => tl.tryReceive('SM-old'))).toMatch(/^ok: /);
    expect(await oldTab.evaluate(() => tl.versionOf('blocked'))).toBe(1);
    await context.close();
  });

  it('a full quota refuses commits whole with a StorageError in every tab, and the store works once space is freed', async () => {
    const context = await browser.newContext();
    const [pageA, pageB] = [await newPage(context), await newPage(context)];
    const cdp = await context.newCDPSession(pageA);
    const origin = new URL(server.url).origin;
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 2 * 1024 * 1024 });
    await pageA.evaluate(() => tl.ballast('ballast', 512 * 1024));
    await pageA.evaluate(() => tl.openDesk('quota'));
    await pageB.evaluate(() => tl.openDesk('quota'));
    const filled = await pageA.evaluate(() => tl.fillUntilRefused('Q'));
    const quotaError = /^StorageError: IndexedDB quota exceeded while committing a batch/;
    expect(filled.error).toMatch(quotaError);
    expect(await pageB.evaluate(() => tl.tryReceive('SM-B-full', 60_000))).toMatch(quotaError);
    const full = await pageB.evaluate(() => tl.state());
    expect(full.externalIds).toEqual([...filled.acked].sort());
    expect(full).toMatchObject({ orphans: 0, positions: filled.acked.length });
    expect(full.logMessageIds.sort()).toEqual(full.messageIds.sort());
    await pageA.evaluate(() => tl.drop('ballast'));
    expect(await pageB.evaluate(() => tl.tryReceive('SM-B-freed', 60_000))).toMatch(/^ok: /);
    expect(await pageA.evaluate((id) => tl.tryReceive(id, 60_000), filled.refused!)).toMatch(/^ok: /);
    const freed = await pageA.evaluate(() => tl.state());
    expect(freed.externalIds).toEqual([...filled.acked, filled.refused!, 'SM-B-freed'].sort());
    expect(freed).toMatchObject({ orphans: 0, positions: filled.acked.length + 2 });
    await context.close();
  });

  it('malformed announcements and announcements of another store are ignored', async () => {
    const context = await browser.newContext();
    const [pageA, pageB, other] = [await newPage(context), await newPage(context), await newPage(context)];
    await pageA.evaluate(() => tl.openDesk('announce'));
    await pageB.evaluate(() => tl.openDesk('announce'));
    await other.evaluate(() => tl.openDesk('announce-other'));
    await other.evaluate(() =>
      tl.post('threadline:announce', [
        null,
        'seq',
        42,
        [1, 2],
        {},
        { seq: 'NaN' },
        { seq: -1 },
        { seq: 1e308 },
        { seq: Number.MAX_SAFE_INTEGER, extra: 'x'.repeat(100_000) },
      ]),
    );
    expect(await other.evaluate(() => tl.tryReceive('SM-other'))).toMatch(/^ok: /);
    expect(await pageA.evaluate(() => tl.tryReceive('SM-A'))).toMatch(/^ok: /);
    const { logIds } = await pageA.evaluate(() => tl.state());
    await pageB.evaluate((ids) => tl.waitForEvents(ids), logIds);
    expect(await pageB.evaluate(() => tl.tryReceive('SM-B'))).toMatch(/^ok: /);
    const a = await pageA.evaluate(() => tl.state());
    await pageA.evaluate((ids) => tl.waitForEvents(ids), a.logIds);
    for (const page of [pageA, pageB]) {
      const { emittedIds, logIds } = await page.evaluate(() => tl.state());
      expect(emittedIds).toEqual(logIds);
    }
    expect((await other.evaluate(() => tl.state())).emittedIds).toHaveLength(3);
    await context.close();
  });
});
