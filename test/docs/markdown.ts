/** One fenced ```ts (or ```typescript) block of a guide. */
export interface Snippet {
  /** Where it is, `docs/http.md:12`: the file, relative to the repository, and its opening fence's line. */
  name: string;
  /** The file, relative to the repository. */
  file: string;
  /** 1-based line of the opening fence; the code starts on the next line. */
  line: number;
  /** Columns of indentation removed from every line (a block inside a list item is indented). */
  indent: number;
  code: string;
  /** The reason given by a `<!-- snippet: skip (reason) -->` marker on the line before the fence. */
  skip?: string;
}

/** A marker that is malformed or does not stand right before a ts block. */
export interface MarkerProblem {
  name: string;
  message: string;
}

const opening = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)/;
const tsLanguages = new Set(['ts', 'typescript']);
const marker = /^\s*<!--\s*snippet:\s*skip\s*\((.*\S.*)\)\s*-->\s*$/;
const anyMarker = /<!--\s*snippet\b/;

/** How a fence ends: the same character, at least as many times, and nothing after it. */
function closes(line: string, fence: string): boolean {
  const trimmed = line.trim();
  return trimmed.length >= fence.length && trimmed === fence[0]!.repeat(trimmed.length);
}

/** Removes up to `indent` leading spaces, as CommonMark does for the content of an indented fence. */
function dedent(line: string, indent: number): string {
  let cut = 0;
  while (cut < indent && line[cut] === ' ') cut++;
  return line.slice(cut);
}

/**
 * The ts blocks of one markdown file, with their skip markers, and the markers that are malformed
 * or stand anywhere but on the line right before a ts block's fence (so a stale one is noticed).
 * Fences of other languages are skipped whole, so a ```` ```ts ```` line inside them is not a block.
 */
export function extractSnippets(
  file: string,
  markdown: string,
): { snippets: Snippet[]; problems: MarkerProblem[] } {
  const lines = markdown.split(/\r?\n/);
  const snippets: Snippet[] = [];
  const problems: MarkerProblem[] = [];
  const usedMarkers = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    const open = opening.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const fence = open[2]!;
    let end = i + 1;
    while (end < lines.length && !closes(lines[end]!, fence)) end++;
    if (tsLanguages.has(open[3]!.toLowerCase())) {
      const name = `${file}:${i + 1}`;
      const before = i > 0 ? lines[i - 1]! : '';
      const skip = marker.exec(before)?.[1]?.trim();
      if (skip !== undefined) usedMarkers.add(i - 1);
      const code = lines
        .slice(i + 1, end)
        .map((line) => dedent(line, indent))
        .join('\n');
      snippets.push({ name, file, line: i + 1, indent, code, ...(skip === undefined ? {} : { skip }) });
    }
    i = end;
  }
  lines.forEach((line, index) => {
    if (!anyMarker.test(line) || usedMarkers.has(index)) return;
    problems.push({
      name: `${file}:${index + 1}`,
      message: marker.test(line)
        ? 'a snippet marker must stand on the line right before a ```ts fence'
        : 'malformed snippet marker: write <!-- snippet: skip (reason) -->',
    });
  });
  return { snippets, problems };
}
