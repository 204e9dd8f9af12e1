/**
 * Runs every `bench/*.bench.ts` (or those named on the command line), each in its own process,
 * and writes `docs/benchmarks.md`. Usage: `npm run bench [-- core file-store ...]`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { type BenchSection, renderSection } from './report.js';

const MARKER = 'bench-section:';
const dir = fileURLToPath(new URL('.', import.meta.url));

/** Runs one bench module in this process and prints its section after MARKER (the child's side). */
async function runSection(file: string): Promise<void> {
  const module = (await import(new URL(file, import.meta.url).href)) as { run(): Promise<BenchSection> };
  console.log(MARKER + JSON.stringify(await module.run()));
}

/**
 * Runs one bench module in a fresh process with this one's flags: a section then never pays for
 * the heap an earlier one left behind (the core bench keeps a 100k-message desk alive).
 */
function sectionInChild(file: string): BenchSection {
  const script = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, [...process.execArgv, script, '--section', file], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  const line = result.stdout.split('\n').find((text) => text.startsWith(MARKER));
  if (result.status !== 0 || line === undefined) {
    process.stdout.write(result.stdout);
    throw new Error(`bench: ${file} failed (exit ${result.status})`);
  }
  return JSON.parse(line.slice(MARKER.length)) as BenchSection;
}

const args = process.argv.slice(2);
if (args[0] === '--section') {
  await runSection(args[1]!);
  process.exit(0);
}

const wanted = args;
const files = readdirSync(dir)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => wanted.length === 0 || wanted.includes(file.replace('.bench.ts', '')))
  .sort((a, b) => (a === 'core.bench.ts' ? -1 : b === 'core.bench.ts' ? 1 : a.localeCompare(b)));

const sections: string[] = [];
for (const file of files) {
  console.log(`bench: ${file}`);
  const text = renderSection(sectionInChild(file));
  console.log(`${text}\n`);
  sections.push(text);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const header = [
  '# Benchmarks',
  '',
  `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB.`,
  'Each figure stands beside a floor measured in the same run, so the ratio survives a noisy machine.',
  '',
].join('\n');
if (wanted.length === 0)
  writeFileSync(new URL('../docs/benchmarks.md', import.meta.url), `${header}\n${sections.join('\n\n')}\n`);
else console.log('(a partial run: docs/benchmarks.md left unchanged)');
