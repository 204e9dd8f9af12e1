// `npm run docs`: API docs for every public subpath. The entry points are read from the
// package.json exports map (the same derivation as tsup.config.ts), so the docs cannot miss a
// subpath; every other option is in typedoc.json (warnings are errors, every export documented).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listSubpaths, readPackage, sourceOf } from './exports-map.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const subpaths = listSubpaths(readPackage(root));
const missing = subpaths.filter((subpath) => sourceOf(root, subpath) === undefined);
if (missing.length > 0) {
  console.error(
    `docs: no source file for the exports ${missing.join(', ')} (src/<x>.ts or src/<x>/index.ts)`,
  );
  process.exit(1);
}
const entryPoints = subpaths.map((subpath) => /** @type {string} */ (sourceOf(root, subpath)));
const typedoc = path.join(root, 'node_modules/typedoc/bin/typedoc');
const args = [
  typedoc,
  '--options',
  'typedoc.json',
  ...entryPoints.flatMap((entry) => ['--entryPoints', entry]),
];
console.log(`docs: typedoc on ${entryPoints.join(' ')}`);
const result = spawnSync(process.execPath, [...args, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
