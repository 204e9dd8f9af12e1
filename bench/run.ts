/**
 * Runs every `bench/*.bench.ts` (or those named on the command line) and writes
 * `docs/benchmarks.md`. Usage: `npm run bench [-- core file-store ...]`.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { type BenchSection, renderSection } from './report.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => wanted.length === 0 || wanted.includes(file.replace('.bench.ts', '')))
  .sort((a, b) => (a === 'core.bench.ts' ? -1 : b === 'core.bench.ts' ? 1 : a.localeCompare(b)));

const sections: string[] = [];
for (const file of files) {
  console.log(`bench: ${file}`);
  const module = (await import(new URL(file, import.meta.url).href)) as { run(): Promise<BenchSection> };
  const section = await module.run();
  const text = renderSection(section);
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
