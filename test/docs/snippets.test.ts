// Docs move with code: every ```ts block of README.md and docs/ (but the generated docs/api) must
// compile against the package's public API and import it by its public subpaths only. A fragment
// may use the names of ./prelude.ts without declaring them. A block that cannot compile on its own
// opts out with `<!-- snippet: skip (reason) -->` on the line before its fence; it is reported here
// as a skipped test naming it and the reason, and its imports are still checked.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractSnippets, type Snippet } from './markdown.js';
import { prelude } from './prelude.js';
import { checkSnippets, type SnippetProblem } from './typecheck.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** README.md and every markdown file under docs/, but the typedoc output in docs/api. */
function guides(): string[] {
  const docs = readdirSync(path.join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .map((file) => path.posix.join('docs', file.split(path.sep).join('/')))
    .filter((file) => file.endsWith('.md') && !file.startsWith('docs/api/'));
  return ['README.md', ...docs.sort()];
}

const extracted = guides().map((file) => extractSnippets(file, readFileSync(path.join(root, file), 'utf8')));
const snippets = extracted.flatMap((result) => result.snippets);
const markerProblems = extracted.flatMap((result) => result.problems);
const filesWithChecked = [...new Set(snippets.filter((s) => s.skip === undefined).map((s) => s.file))];

/** Snippets the checker must fail, so that a green run means the docs compile, not a blind checker. */
const canaries: Snippet[] = [
  {
    name: 'canary.md:1',
    file: 'canary.md',
    line: 1,
    indent: 0,
    code: "await desk.recieve({ channel: 'sms', from: { kind: 'phone', value: '+14155550100' }, text: 'Hi' });",
  },
  {
    name: 'canary.md:10',
    file: 'canary.md',
    line: 10,
    indent: 2,
    code: "import { assembleDesk } from 'threadline/core/desk.js';\nimport { memoryStore } from '../src/stores/memory/index.js';",
  },
];

const format = (problem: SnippetProblem) => `${problem.at} ${problem.message}`;
let problems: SnippetProblem[] = [];

beforeAll(() => {
  problems = checkSnippets(root, [...snippets, ...canaries], prelude);
});

describe('the ts snippets of README.md and docs/', () => {
  it('are found, and every skip marker is well-formed and right before a ts block', () => {
    expect(snippets.filter((s) => s.file === 'README.md').length).toBeGreaterThan(0);
    expect(markerProblems.map((p) => `${p.name} ${p.message}`)).toEqual([]);
  });

  it('have a prelude and compiler options without errors', () => {
    const own = problems.filter((p) => p.snippet === 'prelude' || p.snippet === 'compiler');
    expect(own.map(format)).toEqual([]);
  });

  it('are checked by a checker that catches a misspelled method, a deep import and a src import', () => {
    const caught = problems.filter((p) => p.snippet.startsWith('canary.md:')).map(format);
    expect(caught).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^canary\.md:2:12 TS2551: Property 'recieve' does not exist on type 'Desk'/),
        expect.stringMatching(
          /^canary\.md:11:3 deep import 'threadline\/core\/desk\.js': not in package\.json exports/,
        ),
        expect.stringMatching(/^canary\.md:12:3 import of '\.\.\/src\/stores\/memory\/index\.js'/),
      ]),
    );
  });

  it.each(filesWithChecked)(
    'in %s compile against the public API and import public subpaths only',
    (file) => {
      const own = problems.filter((p) => p.snippet.startsWith(`${file}:`));
      expect(own.map(format), `snippets of ${file} that do not compile`).toEqual([]);
    },
  );

  for (const snippet of snippets.filter((s) => s.skip !== undefined)) {
    it.skip(`${snippet.name} (skipped: ${snippet.skip})`, () => {});
  }

  it('in skipped blocks import public subpaths only', () => {
    const skipped = new Set(snippets.filter((s) => s.skip !== undefined).map((s) => s.name));
    expect(problems.filter((p) => skipped.has(p.snippet)).map(format)).toEqual([]);
  });
});
