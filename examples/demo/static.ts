/**
 * Static files of the demo (plain HTML, CSS and JS modules, no build step) and the chat widget,
 * bundled once at start with esbuild from `src/client/widget.ts`.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const publicDir = fileURLToPath(new URL('./public/', import.meta.url));
const widgetEntry = fileURLToPath(new URL('../../src/client/widget.ts', import.meta.url));

const pages: Record<string, string> = {
  '/': 'shop.html',
  '/inbox': 'inbox.html',
  '/simulator': 'inbox.html',
};

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Bundles the `<threadline-chat>` widget for the browser (ES2022 module, minified). */
export async function bundleWidget(): Promise<string> {
  const result = await build({
    entryPoints: [widgetEntry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** A Fetch handler for GET requests of pages, `/assets/*` and `/widget.js`. */
export function createStaticHandler(widget: string) {
  return async (request: Request): Promise<Response | undefined> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    const { pathname } = new URL(request.url);
    if (pathname === '/widget.js') return file(widget, '.js');
    const page = pages[pathname];
    const relative =
      page ?? (pathname.startsWith('/assets/') ? pathname.slice('/assets/'.length) : undefined);
    if (relative === undefined) return undefined;
    const path = normalize(join(publicDir, relative));
    if (!path.startsWith(publicDir)) return undefined;
    try {
      return file(await readFile(path), extname(path));
    } catch {
      return undefined;
    }
  };
}

function file(content: string | Buffer, extension: string): Response {
  return new Response(typeof content === 'string' ? content : new Uint8Array(content), {
    headers: { 'content-type': types[extension] ?? 'application/octet-stream', 'cache-control': 'no-cache' },
  });
}
