import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { entryName, listSubpaths, readPackage, sourceOf, targetsOf } from '../../scripts/exports-map.mjs';
import tsupConfig from '../../tsup.config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = readPackage(root);
const subpaths = listSubpaths(pkg);

/** Directories directly under `src/<dir>`, and `.ts` modules there, as subpath names. */
function modulesUnder(dir: string): string[] {
  const full = path.join(root, 'src', dir);
  if (!existsSync(full)) return [];
  return readdirSync(full, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return [`./${dir}/${entry.name}`];
    return entry.name.endsWith('.ts') ? [`./${dir}/${entry.name.slice(0, -'.ts'.length)}`] : [];
  });
}

/**
 * The source modules meant as public subpaths: every channel family (but the shared helpers),
 * every store driver, and the http, client and testing entry points when they exist.
 */
function expectedSubpaths(): string[] {
  const channels = modulesUnder('channels').filter((subpath) => subpath !== './channels/shared');
  const singles = ['http', 'client', 'testing']
    .filter((name) => existsSync(path.join(root, 'src', name)))
    .map((name) => `./${name}`);
  return ['.', ...channels, ...modulesUnder('stores'), ...singles];
}

describe('the exports map', () => {
  it('maps every subpath to an existing source file', () => {
    const missing = subpaths.filter((subpath) => sourceOf(root, subpath) === undefined);
    expect(missing, 'subpaths without src/<x>.ts or src/<x>/index.ts').toEqual([]);
  });

  it('exports every channel family, store driver, http, client and testing module', () => {
    const unexported = expectedSubpaths().filter((subpath) => !subpaths.includes(subpath));
    expect(unexported, 'source modules missing from package.json exports').toEqual([]);
  });

  it('gives every subpath import and require conditions, types first, in dist by its entry name', () => {
    for (const subpath of subpaths) {
      const base = `./dist/${entryName(subpath)}`;
      expect(targetsOf(pkg, subpath), subpath).toEqual([
        { condition: 'import.types', target: `${base}.d.ts` },
        { condition: 'import.default', target: `${base}.js` },
        { condition: 'require.types', target: `${base}.d.cts` },
        { condition: 'require.default', target: `${base}.cjs` },
      ]);
      const entry = pkg.exports[subpath] as Record<string, Record<string, string>>;
      expect(Object.keys(entry), subpath).toEqual(['import', 'require']);
      expect(Object.keys(entry.import ?? {}), subpath).toEqual(['types', 'default']);
      expect(Object.keys(entry.require ?? {}), subpath).toEqual(['types', 'default']);
    }
  });

  it('points main, module and types at the root export', () => {
    expect([pkg.main, pkg.module, pkg.types]).toEqual([
      './dist/index.cjs',
      './dist/index.js',
      './dist/index.d.cts',
    ]);
  });
});

describe('the tsup entries', () => {
  it('are exactly the exports map subpaths, each built from its source', () => {
    const config = Array.isArray(tsupConfig) ? tsupConfig[0] : tsupConfig;
    expect(typeof config).toBe('object');
    const { entry } = config as { entry?: unknown };
    const expected = Object.fromEntries(
      subpaths.map((subpath) => [entryName(subpath), sourceOf(root, subpath)]),
    );
    expect(entry).toEqual(expected);
  });

  it('build both module formats with declarations', () => {
    const config = (Array.isArray(tsupConfig) ? tsupConfig[0] : tsupConfig) as Record<string, unknown>;
    expect(config.format).toEqual(['esm', 'cjs']);
    expect(config.dts).toBe(true);
  });
});
