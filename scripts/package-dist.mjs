// Checks dist/ against the exports map: every subpath has its four files, and tsup built nothing
// that no subpath reaches (an entry the exports map does not list, or a stale file).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { listSubpaths, targetsOf } from './exports-map.mjs';

const RELATIVE_SPECIFIER =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

/** Declaration files name their siblings by the JavaScript extension. */
const DECLARATION_OF = { '.js': ['.d.ts'], '.cjs': ['.d.cts', '.d.ts'], '.mjs': ['.d.mts', '.d.ts'] };

/**
 * Lists every file under `dir`, as paths relative to `root` with forward slashes.
 * @param {string} root
 * @param {string} dir
 * @returns {string[]}
 */
function listFiles(root, dir) {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${dir}/${entry.name}`;
    return entry.isDirectory() ? listFiles(root, relative) : [relative];
  });
}

/**
 * The files a relative specifier in `from` may name, most likely first.
 * @param {string} from
 * @param {string} specifier
 */
function candidatesOf(from, specifier) {
  const target = path.posix.join(path.posix.dirname(from), specifier);
  const ext = path.posix.extname(target);
  const stem = target.slice(0, target.length - ext.length);
  const declarations = DECLARATION_OF[/** @type {keyof typeof DECLARATION_OF} */ (ext)] ?? [];
  return [target, ...declarations.map((declaration) => stem + declaration), `${target}.js`];
}

/**
 * Every file reachable from `starts` by relative imports, requires and type references.
 * @param {string} root
 * @param {string[]} starts paths relative to root
 */
function reachableFrom(root, starts) {
  const seen = new Set();
  const queue = starts.filter((file) => existsSync(path.join(root, file)));
  while (queue.length > 0) {
    const file = /** @type {string} */ (queue.pop());
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(path.join(root, file), 'utf8');
    for (const match of text.matchAll(RELATIVE_SPECIFIER)) {
      const next = candidatesOf(file, /** @type {string} */ (match[1])).find((candidate) =>
        existsSync(path.join(root, candidate)),
      );
      if (next !== undefined) queue.push(next);
    }
  }
  return seen;
}

/**
 * Checks dist/ in `root` against the exports map of `pkg`; returns one message per problem.
 * @param {string} root
 * @param {{ exports: Record<string, unknown>, [key: string]: unknown }} pkg
 * @returns {string[]}
 */
export function checkDist(root, pkg) {
  if (!existsSync(path.join(root, 'dist'))) return ['dist/ does not exist: run `npm run build` first'];
  const problems = [];
  const starts = [];
  for (const subpath of listSubpaths(pkg)) {
    for (const { condition, target } of targetsOf(pkg, subpath)) {
      if (target === undefined) problems.push(`exports["${subpath}"].${condition} is missing`);
      else if (!existsSync(path.join(root, target))) {
        problems.push(`exports["${subpath}"].${condition} -> ${target} does not exist in the build`);
      } else starts.push(path.posix.normalize(target));
    }
  }
  for (const field of ['main', 'module', 'types']) {
    const target = pkg[field];
    if (typeof target === 'string' && !existsSync(path.join(root, target))) {
      problems.push(`package.json "${field}" -> ${target} does not exist in the build`);
    }
  }
  const reached = reachableFrom(root, starts);
  for (const file of listFiles(root, 'dist')) {
    const owner = file.endsWith('.map') ? file.slice(0, -'.map'.length) : file;
    if (!reached.has(owner)) {
      problems.push(`${file} was built but no exports entry reaches it (a tsup entry missing from exports?)`);
    }
  }
  return problems;
}
