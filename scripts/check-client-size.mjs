#!/usr/bin/env node
// Bundles the browser client and the widget as a browser app would (esbuild, minified ESM), gzips
// them, prints the sizes and fails when one grows past its ceiling or pulls in Node built-ins or
// classic zod. Run: node scripts/check-client-size.mjs
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** Ceilings in gzipped bytes. The client's is the documented budget (10 KB, ky and idb-keyval included). */
const BUNDLES = [
  { name: 'client', entry: 'src/client/index.ts', ceiling: 10_240 },
  // Measured at 13.8 KB (the client included) when it was introduced; ceiling = measured + 20%.
  { name: 'widget', entry: 'src/client/widget.ts', ceiling: 16_600 },
];

/** Node built-ins, and zod's classic API (zod/mini shares only `v4/core` with it). */
const FORBIDDEN = /^node:|(^|\/)node_modules\/zod\/(v3|v4\/classic)\//;

async function measure({ name, entry, ceiling }) {
  let result;
  try {
    result = await bundle(entry);
  } catch (error) {
    console.log(`FAIL ${name.padEnd(7)} does not bundle for the browser:\n${error.message}`);
    return false;
  }
  const code = result.outputFiles[0].contents;
  const inputs = Object.keys(result.metafile.inputs);
  const problems = [];
  const forbidden = inputs.filter((input) => FORBIDDEN.test(input));
  if (forbidden.length) problems.push(`imports a Node built-in or classic zod: ${forbidden.join(', ')}`);
  if (/\bfrom\s*["']node:|require\(["']node:/.test(new TextDecoder().decode(code)))
    problems.push('the output references node: modules');
  const gzipped = gzipSync(code, { level: 9 }).length;
  if (gzipped > ceiling) problems.push(`${gzipped} B gzipped is over the ${ceiling} B ceiling`);
  console.log(
    `${problems.length ? 'FAIL' : 'ok  '} ${name.padEnd(7)} ${String(code.length).padStart(7)} B min  ${String(gzipped).padStart(6)} B gz  (ceiling ${ceiling} B)${problems.map((p) => `\n     - ${p}`).join('')}`,
  );
  return problems.length === 0;
}

function bundle(entry) {
  return build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
}

const results = [];
for (const bundle of BUNDLES) results.push(await measure(bundle));
if (results.includes(false)) process.exit(1);
