import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

/**
 * The entries are derived from package.json `exports`, so the build and the exports map can
 * never disagree: `./stores/memory` -> `src/stores/memory.ts` (or `src/stores/memory/index.ts`),
 * built to `dist/stores/memory.{js,cjs,d.ts,d.cts}`.
 */
const pkg = JSON.parse(readFileSync('./package.json', 'utf8')) as { exports: Record<string, unknown> };

function sourceOf(subpath: string): string {
  if (subpath === '.') return 'src/index.ts';
  const base = `src/${subpath.slice(2)}`;
  try {
    readFileSync(`${base}.ts`);
    return `${base}.ts`;
  } catch {
    return `${base}/index.ts`;
  }
}

const entry = Object.fromEntries(
  Object.keys(pkg.exports)
    .filter((subpath) => subpath !== './package.json')
    .map((subpath) => [subpath === '.' ? 'index' : subpath.slice(2), sourceOf(subpath)]),
);

export default defineConfig({
  entry,
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  treeshake: true,
  splitting: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['pg', 'vitest', /^node:/],
});
