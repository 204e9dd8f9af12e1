import { fileURLToPath } from 'node:url';
import {
  bundle,
  CHROMIUM_PATH,
  chromiumInstalled,
  launchChromium,
  servePage,
} from '../test/e2e/indexeddb/chromium.js';
import type { BenchSection } from './report.js';

const TITLE = 'IndexedDB store in Chromium';

interface Figures {
  n: number;
  floor: number;
  strict: number;
  relaxed: number;
  append: { intoEmpty: number; intoLong: number };
  open: { firstPage: number; hydrate: number; count: number };
  desk: number;
  userAgent: string;
}

async function measure(): Promise<Figures> {
  const server = await servePage(
    await bundle(fileURLToPath(new URL('./indexeddb.browser.ts', import.meta.url))),
  );
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => 'bench' in window);
    return (await page.evaluate('window.bench()')) as Figures;
  } finally {
    await browser.close();
    await server.close();
  }
}

/**
 * Runs the IndexedDB benchmark in the system Chromium: receive throughput beside idb-keyval's
 * own `setMany` of the same records, append cost into a 10,000-message conversation vs an empty
 * one, and open/hydrate time. Without Chromium the section says so instead of failing the run.
 */
export async function run(): Promise<BenchSection> {
  if (!chromiumInstalled()) {
    return {
      title: TITLE,
      rows: [],
      notes: [
        `Not measured: Chromium is not installed at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH).`,
      ],
    };
  }
  const f = await measure();
  const rate = (ms: number, count = f.n) => (count / ms) * 1000;
  const floor = rate(f.floor);
  const appendRatio = f.append.intoLong / f.append.intoEmpty;
  return {
    title: TITLE,
    rows: [
      {
        name: `receive commits, durability strict (${f.n.toLocaleString('en-US')} msgs, 100 in flight)`,
        value: rate(f.strict),
        unit: 'msg/s',
        higherIsBetter: true,
        floor,
        floorName: 'idb-keyval setMany, 100 per call',
      },
      {
        name: 'receive commits, durability relaxed',
        value: rate(f.relaxed),
        unit: 'msg/s',
        higherIsBetter: true,
        floor,
        floorName: 'idb-keyval setMany, 100 per call',
      },
      {
        name: 'desk.receive end to end (2,000 msgs, 100 senders)',
        value: rate(f.desk, 2000),
        unit: 'msg/s',
        higherIsBetter: true,
      },
      { name: 'append into an empty conversation', value: f.append.intoEmpty, unit: 'ms' },
      {
        name: `append into a ${f.n.toLocaleString('en-US')}-message conversation`,
        value: f.append.intoLong,
        unit: 'ms',
        floor: f.append.intoEmpty,
        floorName: 'into an empty one',
        target: '< 1.5x (no history rewrite)',
        met: appendRatio < 1.5,
      },
      {
        name: `open + first page + count (${f.open.count.toLocaleString('en-US')} msgs)`,
        value: f.open.firstPage,
        unit: 'ms',
      },
      {
        name: `open + hydrate every message (${f.open.count.toLocaleString('en-US')} msgs)`,
        value: f.open.hydrate,
        unit: 'ms',
      },
    ],
    notes: [
      `Measured in ${f.userAgent}. Receive commits are store-level batches shaped like desk.receive (message, conversation version bump, event); concurrent commits share transactions (group commit). The floor is idb-keyval's setMany of the same message and event records with its default (relaxed) durability.`,
    ],
  };
}
