// `npm run check:package` (after `npm run build`): proves the package a user installs works.
//   1. dist/ matches the exports map (four files per subpath, nothing built that is not listed)
//   2. npm pack into a temp dir; publint (strict) and attw (node16 profile) on the tarball
//   3. a consumer project installs the tarball: ESM import and CJS require of every subpath,
//      TypeScript under moduleResolution bundler and node16 (ESM and CJS files)
//   4. esbuild browser bundles of the browser-facing subpaths: no pg/node:, under a gzip ceiling
// Set KEEP_TMP=1 to keep the temp dir for inspection.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listSubpaths, readPackage, specifierOf } from './exports-map.mjs';
import { checkBrowserBundles } from './package-bundle.mjs';
import { installConsumer, loadAll, typecheckConsumer } from './package-consumer.mjs';
import { checkDist } from './package-dist.mjs';
import { runAttw, runPublint } from './package-lint.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = readPackage(root);
const subpaths = listSubpaths(pkg);
const specifiers = subpaths.map((subpath) => specifierOf(pkg.name, subpath));
const peerNames = Object.keys(pkg.peerDependencies ?? {});
const started = Date.now();
/** @type {{ step: string, problems: string[] }[]} */
const failures = [];

/**
 * Runs one step under a banner and records its problems.
 * @param {string} step
 * @param {() => string[] | Promise<string[]>} run
 */
async function step(step, run) {
  console.log(`\n== check:package: ${step}`);
  let problems;
  try {
    problems = await run();
  } catch (error) {
    problems = [/** @type {Error} */ (error).message];
  }
  for (const problem of problems) console.log(`  FAIL ${problem}`);
  if (problems.length === 0) console.log('  ok');
  else failures.push({ step, problems });
}

/**
 * Packs the package into `dir` and returns the tarball's path.
 * @param {string} dir
 */
function pack(dir) {
  const args = ['pack', '--ignore-scripts', '--json', '--pack-destination', dir];
  const result = spawnSync('npm', args, { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm pack failed:\n${result.stderr}`);
  const [info] = JSON.parse(result.stdout);
  console.log(`  ${info.filename}: ${info.files.length} files, ${info.size} B packed`);
  return path.join(dir, info.filename);
}

/**
 * Compares what ESM import and CJS require give for every subpath. A CJS require may fail only
 * when a peer dependency itself refuses CommonJS (vitest does, for `threadline/testing`).
 * @param {ReturnType<typeof loadAll>} esm
 * @param {ReturnType<typeof loadAll>} cjs
 */
function compareLoads(esm, cjs) {
  const problems = [];
  for (const specifier of specifiers) {
    const [fromEsm, fromCjs] = [esm[specifier], cjs[specifier]];
    if (!fromEsm?.keys) problems.push(`import('${specifier}') failed: ${fromEsm?.error}`);
    const refusingPeer = peerNames.find((peer) => fromCjs?.stack?.includes(`/node_modules/${peer}/`));
    if (fromCjs?.error && refusingPeer) {
      console.log(`  note: require('${specifier}') refused by its peer ${refusingPeer}: ${fromCjs.error}`);
    } else if (!fromCjs?.keys) problems.push(`require('${specifier}') failed: ${fromCjs?.error}`);
    else if (fromEsm?.keys && fromEsm.keys.join() !== fromCjs.keys.join()) {
      problems.push(`${specifier} exports differ: ESM [${fromEsm.keys}] vs CJS [${fromCjs.keys}]`);
    }
    if (fromEsm?.keys) console.log(`  ${specifier}: ${fromEsm.keys.length} exports`);
  }
  return problems;
}

const tmp = mkdtempSync(path.join(tmpdir(), 'threadline-check-package-'));
const consumer = path.join(tmp, 'consumer');
try {
  await step('dist matches the exports map', () => checkDist(root, pkg));
  if (failures.length > 0) throw new Error('dist/ is wrong: fix the build before packing');
  let tarball = '';
  await step('npm pack', () => {
    tarball = pack(tmp);
    return [];
  });
  await step('publint --strict on the tarball', () => runPublint(tarball));
  await step('attw --profile node16 on the tarball', () => runAttw(root, tarball));
  await step('install the tarball into a consumer project', () => {
    const { peers, mode } = installConsumer({ root, dir: consumer, tarballPath: tarball, pkg });
    console.log(`  installed with ${mode}${peers.length > 0 ? `, peers ${peers.join(' ')}` : ''}`);
    return [];
  });
  /** @type {Record<string, string[]>} */
  const keysBySpecifier = {};
  await step('ESM import and CJS require of every subpath', () => {
    const esm = loadAll(consumer, 'esm', specifiers);
    for (const [specifier, { keys }] of Object.entries(esm)) if (keys) keysBySpecifier[specifier] = keys;
    return compareLoads(esm, loadAll(consumer, 'cjs', specifiers));
  });
  await step('TypeScript consumers (bundler; node16 ESM and CJS)', () =>
    typecheckConsumer({ root, dir: consumer, keysBySpecifier }),
  );
  await step('esbuild browser bundles', () =>
    checkBrowserBundles({ dir: consumer, name: pkg.name, subpaths }),
  );
} catch (error) {
  failures.push({ step: 'aborted', problems: [/** @type {Error} */ (error).message] });
} finally {
  if (process.env.KEEP_TMP) console.log(`\nkept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.error(`\ncheck:package FAILED in ${seconds}s:`);
  for (const { step, problems } of failures)
    for (const problem of problems) console.error(`- [${step}] ${problem}`);
  process.exit(1);
}
console.log(`\ncheck:package passed: ${subpaths.length} subpaths checked in ${seconds}s`);
