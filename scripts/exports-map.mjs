// Reads package.json `exports` the same way tsup.config.ts derives its entries, so the package
// check, the API docs and the exports test all work from one list that cannot drift.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The four files every subpath must publish, keyed by condition. */
export const CONDITION_KEYS = /** @type {const} */ ([
  ['import', 'types'],
  ['import', 'default'],
  ['require', 'types'],
  ['require', 'default'],
]);

/**
 * Reads and parses `package.json` in `root`.
 * @param {string} root
 * @returns {{ name: string, exports: Record<string, unknown>, [key: string]: unknown }}
 */
export function readPackage(root) {
  return JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
}

/**
 * The public subpaths (`.`, `./stores/memory`, ...), without `./package.json`.
 * @param {{ exports: Record<string, unknown> }} pkg
 * @returns {string[]}
 */
export function listSubpaths(pkg) {
  return Object.keys(pkg.exports).filter((subpath) => subpath !== './package.json');
}

/**
 * The tsup entry name of a subpath: `index` for `.`, else the subpath without `./`.
 * @param {string} subpath
 */
export function entryName(subpath) {
  return subpath === '.' ? 'index' : subpath.slice(2);
}

/**
 * The import specifier a consumer writes for a subpath (`threadline`, `threadline/testing`).
 * @param {string} name the package name
 * @param {string} subpath
 */
export function specifierOf(name, subpath) {
  return subpath === '.' ? name : `${name}/${subpath.slice(2)}`;
}

/**
 * The source file of a subpath, relative to `root` (`src/x.ts` or else `src/x/index.ts`),
 * or undefined when neither exists.
 * @param {string} root
 * @param {string} subpath
 * @returns {string | undefined}
 */
export function sourceOf(root, subpath) {
  if (subpath === '.') return existsSync(path.join(root, 'src/index.ts')) ? 'src/index.ts' : undefined;
  const base = `src/${subpath.slice(2)}`;
  for (const candidate of [`${base}.ts`, `${base}/index.ts`]) {
    if (existsSync(path.join(root, candidate))) return candidate;
  }
  return undefined;
}

/**
 * The `import`/`require` × `types`/`default` targets of a subpath; a missing one is undefined.
 * @param {{ exports: Record<string, unknown> }} pkg
 * @param {string} subpath
 * @returns {{ condition: string, target: string | undefined }[]}
 */
export function targetsOf(pkg, subpath) {
  const entry = /** @type {Record<string, Record<string, unknown>> | undefined} */ (pkg.exports[subpath]);
  return CONDITION_KEYS.map(([mode, kind]) => {
    const value = typeof entry === 'object' && entry !== null ? entry[mode]?.[kind] : undefined;
    return { condition: `${mode}.${kind}`, target: typeof value === 'string' ? value : undefined };
  });
}
