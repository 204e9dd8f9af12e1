import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { describe, it } from 'vitest';

/** Debian's Chromium (CI installs it with apt); override with CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Whether the Chromium binary is installed. */
export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/**
 * Whether the Chromium suite `what` can run. Without Chromium a local run skips it with a loud
 * warning, and CI registers a failing test in its place: a browser suite never skips silently there.
 */
export function requireChromium(what: string): boolean {
  const installed = chromiumInstalled();
  if (installed) return true;
  if (!process.env.CI) {
    console.warn(
      `\n!!! ${CHROMIUM_PATH} is missing: ${what} is SKIPPED (apt install chromium). CI fails instead.\n`,
    );
    return false;
  }
  describe(`${what} (required in CI)`, () => {
    it('has Chromium installed', () => {
      throw new Error(
        `Chromium is required in CI but ${CHROMIUM_PATH} does not exist; install it (apt-get install chromium) or set CHROMIUM_PATH.`,
      );
    });
  });
  return false;
}

/** Launches the system Chromium through playwright-core. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true });
}

/** Bundles a browser entry as one ESM file, with `vitest` replaced by the in-page shim. */
export async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    alias: { vitest: fileURLToPath(new URL('./vitest-shim.ts', import.meta.url)) },
    define: { 'process.env.NODE_ENV': '"test"' },
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** A page server on 127.0.0.1 (a secure context, so IndexedDB and crypto behave as on https). */
export interface PageServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `/` (an HTML page loading the bundle as a module) and `/bundle.js`. */
export async function servePage(script: string): Promise<PageServer> {
  const html =
    '<!doctype html><meta charset="utf-8"><title>threadline</title><script type="module" src="/bundle.js"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/bundle.js') {
      res
        .writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' })
        .end(script);
    } else if (req.url === '/' || req.url?.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
