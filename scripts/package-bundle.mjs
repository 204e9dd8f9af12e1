// esbuild browser bundles of the browser-facing subpaths, built from the installed tarball as
// a consumer's bundler would: no `pg`, no Node built-in, and under a gzip byte ceiling.
import { builtinModules } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { specifierOf } from './exports-map.mjs';

/**
 * Gzip ceilings in bytes for the browser-facing subpaths, ~25% over the size measured when the
 * ceiling was set (see the comment on each). A browser subpath in the exports map without a
 * ceiling fails the check, so a new one gets measured and listed here.
 */
export const BUNDLE_CEILINGS = {
  '.': 93_000, // measured 74_167 B on 2026-11-25 (libphonenumber-js 121 KB + zod 100 KB minified)
  './stores/indexeddb': 7_600, // measured 6_057 B on 2026-11-25
  './channels/webchat': 36_000, // measured 28_712 B on 2026-11-25 (zod classic 93 KB minified)
  './client': 10_240, // the budget; measured 9_294 B on 2026-11-25 (ky and idb-keyval included)
  './client/widget': 16_600, // measured 14_053 B on 2026-11-25 (the client included)
};

/** Packages a subpath's bundle must not contain (the issue keeps the phone library out of the client). */
const KEPT_OUT = { './client': ['libphonenumber-js'], './client/widget': ['libphonenumber-js'] };

const FORBIDDEN = new Set(['pg', ...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);

/**
 * Bundles `export * from '<specifier>'` for the browser (esm, minified) with `pg` and Node
 * built-ins left external, so that any import of them shows up in the metafile by name.
 * @param {string} dir the consumer directory that has the tarball installed
 * @param {string} specifier
 */
async function bundle(dir, specifier) {
  const result = await build({
    stdin: { contents: `export * from '${specifier}';`, resolveDir: dir, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: path.join(dir, 'bundle.js'),
    external: ['pg', 'pg/*', 'node:*', ...builtinModules],
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild produced no output for ${specifier}`);
  const imports = Object.values(result.metafile.outputs).flatMap((meta) => meta.imports);
  const forbidden = imports.filter((entry) => FORBIDDEN.has(entry.path) || entry.path.startsWith('pg/'));
  const packages = new Set(
    Object.keys(result.metafile.inputs).flatMap((input) => {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      return match?.[1] === undefined ? [] : [match[1]];
    }),
  );
  const gzip = gzipSync(output.contents, { level: 9 }).byteLength;
  return { bytes: output.contents.byteLength, gzip, forbidden, packages };
}

/**
 * Bundles each browser-facing subpath present in `subpaths` and checks it; prints the sizes.
 * @param {{ dir: string, name: string, subpaths: string[] }} options
 * @returns {Promise<string[]>} one message per problem
 */
export async function checkBrowserBundles({ dir, name, subpaths }) {
  const problems = [];
  for (const [subpath, ceiling] of Object.entries(BUNDLE_CEILINGS)) {
    if (!subpaths.includes(subpath)) continue;
    const specifier = specifierOf(name, subpath);
    let measured;
    try {
      measured = await bundle(dir, specifier);
    } catch (error) {
      problems.push(`esbuild browser bundle of ${specifier} failed: ${/** @type {Error} */ (error).message}`);
      continue;
    }
    const { bytes, gzip, forbidden, packages } = measured;
    const limit = ceiling === undefined ? 'no ceiling' : `ceiling ${ceiling} B`;
    console.log(`  ${specifier}: ${bytes} B minified, ${gzip} B gzip (${limit})`);
    for (const entry of forbidden) {
      problems.push(`browser bundle of ${specifier} imports "${entry.path}" (${entry.kind})`);
    }
    for (const banned of KEPT_OUT[/** @type {keyof typeof KEPT_OUT} */ (subpath)] ?? []) {
      if (packages.has(banned)) problems.push(`browser bundle of ${specifier} contains ${banned}`);
    }
    if (ceiling === undefined) {
      problems.push(`no gzip ceiling for ${subpath}: set one (~25% over ${gzip} B) in BUNDLE_CEILINGS`);
    } else if (gzip > ceiling) {
      problems.push(`browser bundle of ${specifier} is ${gzip} B gzip, over its ceiling of ${ceiling} B`);
    }
  }
  return problems;
}
