import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { type RunningDemo, startDemo } from '../../../examples/demo/server.js';
import { launchChromium } from '../indexeddb/chromium.js';

/** What {@link useDemoInChromium} sets up: read its fields inside hooks and tests. */
export interface DemoInChromium {
  browser: Browser;
  /** The demo on a memory store, shared by the suite's tests. */
  demo: RunningDemo;
  /** A fresh browser context for each test. */
  context: BrowserContext;
}

/**
 * Registers a suite's setup: Chromium and a demo on a memory store started once and closed after
 * the suite, and a fresh browser context (with `contextOptions`) for each test, closed after it.
 */
export function useDemoInChromium(contextOptions: BrowserContextOptions = {}): DemoInChromium {
  const suite = {} as DemoInChromium;
  beforeAll(async () => {
    suite.browser = await launchChromium();
    suite.demo = await startDemo({ port: 0, memory: true });
  });
  afterAll(async () => {
    await suite.demo?.close();
    await suite.browser?.close();
  });
  beforeEach(async () => {
    suite.context = await suite.browser.newContext(contextOptions);
  });
  afterEach(async () => {
    await suite.context?.close();
  });
  return suite;
}
