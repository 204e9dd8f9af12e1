// A throwaway consumer project that installs the packed tarball and proves every subpath loads
// from ESM and CJS and type-checks under `moduleResolution: bundler` and `node16`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The exact version of `name` installed in the repository, so the consumer install hits the
 * npm cache; falls back to `range` when the repository does not have it.
 * @param {string} root
 * @param {string} name
 * @param {string} range
 */
function pinnedVersion(root, name, range) {
  const manifest = path.join(root, 'node_modules', name, 'package.json');
  return existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).version : range;
}

/**
 * Creates `dir` as a consumer project and installs the tarball, the package's peer
 * dependencies (a consumer of `threadline/testing` has vitest) and @types/node, trying the npm
 * cache alone first and the registry second.
 * @param {{ root: string, dir: string, tarballPath: string, pkg: Record<string, any> }} options
 */
export function installConsumer({ root, dir, tarballPath, pkg }) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  const peers = Object.entries(pkg.peerDependencies ?? {}).map(
    ([name, range]) => `${name}@${pinnedVersion(root, name, range)}`,
  );
  const specs = [tarballPath, ...peers, `@types/node@${pinnedVersion(root, '@types/node', '20')}`];
  const base = ['install', ...specs, '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'];
  for (const mode of ['--offline', '--prefer-offline']) {
    const result = spawnSync('npm', [...base, mode], { cwd: dir, encoding: 'utf8' });
    if (result.status === 0) return { peers, mode };
    if (mode === '--prefer-offline') {
      throw new Error(`npm install in the consumer failed:\n${result.stdout}${result.stderr}`);
    }
  }
  throw new Error('unreachable');
}

const LOADER = `
const results = {};
for (const specifier of SPECIFIERS) {
  try {
    results[specifier] = { keys: Object.keys(await LOAD(specifier)).filter((k) => k !== '__esModule').sort() };
  } catch (error) {
    results[specifier] = { error: String(error && error.message).split('\\n')[0], stack: String(error && error.stack) };
  }
}
console.log(JSON.stringify(results));
`;

/**
 * Loads every specifier in a fresh Node process, by `import()` from an `.mjs` file or by
 * `require()` from a `.cjs` file; returns each module's export names or its error.
 * @param {string} dir
 * @param {'esm' | 'cjs'} mode
 * @param {string[]} specifiers
 * @returns {Record<string, { keys?: string[], error?: string, stack?: string }>}
 */
export function loadAll(dir, mode, specifiers) {
  const file = mode === 'esm' ? 'load.mjs' : 'load.cjs';
  const load = mode === 'esm' ? '(s) => import(s)' : '(s) => require(s)';
  const body = `const SPECIFIERS = ${JSON.stringify(specifiers)};\nconst LOAD = ${load};\n${LOADER}`;
  const wrapped = mode === 'esm' ? body : `(async () => {${body}})();`;
  writeFileSync(path.join(dir, file), wrapped);
  const result = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node ${file} crashed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

/**
 * A consumer source file that imports every subpath and checks, through the types, that the
 * value exports the types declare are exactly the ones the runtime has.
 * @param {Record<string, string[]>} keysBySpecifier
 * @param {'esm' | 'cjs'} style
 */
function consumerSource(keysBySpecifier, style) {
  return Object.entries(keysBySpecifier)
    .map(([specifier, keys], index) => {
      const name = `m${index}`;
      const importLine =
        style === 'esm'
          ? `import * as ${name} from '${specifier}';`
          : `import ${name} = require('${specifier}');`;
      const record = keys.map((key) => `  ${JSON.stringify(key)}: true,`).join('\n');
      return `${importLine}\nexport const exports${index}: Record<keyof typeof ${name}, true> = {\n${record}\n};\n`;
    })
    .join('\n');
}

const COMPILER_OPTIONS = {
  target: 'es2022',
  lib: ['es2022', 'dom', 'dom.iterable'],
  strict: true,
  noEmit: true,
  skipLibCheck: false,
};

/**
 * Writes the consumer sources and tsconfigs: `bundler.ts` under `moduleResolution: bundler`,
 * and `node16-esm.mts` plus `node16-cjs.cts` under `module`/`moduleResolution: node16`.
 * @param {string} dir
 * @param {Record<string, string[]>} keysBySpecifier
 */
function writeTypeProjects(dir, keysBySpecifier) {
  writeFileSync(path.join(dir, 'bundler.ts'), consumerSource(keysBySpecifier, 'esm'));
  writeFileSync(path.join(dir, 'node16-esm.mts'), consumerSource(keysBySpecifier, 'esm'));
  writeFileSync(path.join(dir, 'node16-cjs.cts'), consumerSource(keysBySpecifier, 'cjs'));
  const projects = {
    bundler: { module: 'esnext', moduleResolution: 'bundler', files: ['bundler.ts'] },
    node16: { module: 'node16', moduleResolution: 'node16', files: ['node16-esm.mts', 'node16-cjs.cts'] },
  };
  for (const [name, { files, ...options }] of Object.entries(projects)) {
    const config = { compilerOptions: { ...COMPILER_OPTIONS, ...options }, files };
    writeFileSync(path.join(dir, `tsconfig.${name}.json`), JSON.stringify(config, null, 2));
  }
  return Object.keys(projects);
}

/**
 * Splits tsc output into diagnostics in our package or the consumer files (which fail the
 * check) and diagnostics inside a third-party declaration file (printed only: the consumer
 * runs with `skipLibCheck: false` to check our declarations, which also checks theirs).
 * @param {string} output
 */
function splitDiagnostics(output) {
  const diagnostics = output
    .split(/\n(?=\S)/)
    .map((text) => text.trim())
    .filter(Boolean);
  const isTheirs = (/** @type {string} */ text) =>
    text.startsWith('node_modules/') && !text.startsWith('node_modules/threadline/');
  return { ours: diagnostics.filter((text) => !isTheirs(text)), theirs: diagnostics.filter(isTheirs) };
}

/**
 * Type-checks the consumer under each resolution mode in parallel with the repository's tsc;
 * returns one message per failing mode, with the compiler output.
 * @param {{ root: string, dir: string, keysBySpecifier: Record<string, string[]> }} options
 * @returns {Promise<string[]>}
 */
export async function typecheckConsumer({ root, dir, keysBySpecifier }) {
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const runs = writeTypeProjects(dir, keysBySpecifier).map(
    (name) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [tsc, '-p', `tsconfig.${name}.json`], { cwd: dir });
        let output = '';
        child.stdout.on('data', (chunk) => {
          output += chunk;
        });
        child.stderr.on('data', (chunk) => {
          output += chunk;
        });
        child.on('close', (code) => {
          const { ours, theirs } = splitDiagnostics(output);
          if (code !== 0 && ours.length + theirs.length === 0) ours.push(`tsc exited ${code} with no output`);
          for (const diagnostic of theirs) console.log(`  note: ignored in a dependency: ${diagnostic}`);
          console.log(`  TypeScript moduleResolution ${name}: ${ours.length === 0 ? 'OK' : 'FAILED'}`);
          resolve(ours.map((diagnostic) => `tsc under moduleResolution ${name}: ${diagnostic}`));
        });
      }),
  );
  return (await Promise.all(runs)).flat();
}
