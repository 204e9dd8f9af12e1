import path from 'node:path';
import ts from 'typescript';
import { listSubpaths, readPackage, sourceOf, specifierOf } from '../../scripts/exports-map.mjs';
import type { Snippet } from './markdown.js';

/** What is wrong with a snippet, at a line of its markdown file. */
export interface SnippetProblem {
  /** The snippet's name, `docs/http.md:12`. */
  snippet: string;
  /** `docs/http.md:14:3`: file, line and column in the markdown file. */
  at: string;
  /** `TS2304: Cannot find name 'handler'.`, or a deep import. */
  message: string;
}

/** The package's public import specifiers (`threadline`, `threadline/http`, ...) and their source files. */
export function publicEntryPoints(root: string): Map<string, string> {
  const pkg = readPackage(root);
  const entries = new Map<string, string>();
  for (const subpath of listSubpaths(pkg)) {
    const source = sourceOf(root, subpath);
    if (source !== undefined) entries.set(specifierOf(pkg.name, subpath), source);
  }
  return entries;
}

/** Every module specifier a file names: imports, re-exports, `import()` calls and `import('x')` types. */
function specifiersOf(source: ts.SourceFile): { specifier: string; node: ts.Node }[] {
  const found: { specifier: string; node: ts.Node }[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier))
        found.push({ specifier: node.moduleSpecifier.text, node });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [first] = node.arguments;
      if (first && ts.isStringLiteralLike(first)) found.push({ specifier: first.text, node });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) found.push({ specifier: literal.text, node });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * Why an import is not one a user can write, or undefined when it is: a snippet imports the package
 * by its public subpaths (package.json `exports`), `node:` built-ins and other packages, never a
 * relative path, a `src/` file or a subpath the package does not export.
 */
export function importProblem(
  specifier: string,
  publicSpecifiers: ReadonlySet<string>,
  name: string,
): string | undefined {
  const subpaths = [...publicSpecifiers].join(', ');
  if (specifier === name || specifier.startsWith(`${name}/`)) {
    if (publicSpecifiers.has(specifier)) return undefined;
    return `deep import '${specifier}': not in package.json exports; use one of ${subpaths}`;
  }
  if (/^\.{0,2}\//.test(specifier) || /(^|\/)src\//.test(specifier)) {
    return `import of '${specifier}': users import the package by its public subpaths (${subpaths}), not its files`;
  }
  return undefined;
}

/** The markdown position of an offset in a snippet. */
function positionOf(snippet: Snippet, source: ts.SourceFile, offset: number): string {
  const { line, character } = source.getLineAndCharacterOfPosition(offset);
  return `${snippet.file}:${snippet.line + 1 + line}:${character + 1 + snippet.indent}`;
}

function describeDiagnostic(diagnostic: ts.Diagnostic): string {
  return `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
}

/**
 * Compiler options of the repository's tsconfig.json, with every snippet a module (so each has its
 * own scope and may `await` at the top) and `paths` mapping exactly the public specifiers to their
 * sources: a deep import does not resolve, as it would not from the published package.
 */
function compilerOptions(root: string, entries: Map<string, string>): ts.CompilerOptions {
  const configPath = path.join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  if (config.error) throw new Error(describeDiagnostic(config.error));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, undefined, configPath);
  const paths = Object.fromEntries([...entries].map(([specifier, source]) => [specifier, [`./${source}`]]));
  return { ...parsed.options, paths, moduleDetection: ts.ModuleDetectionKind.Force, noEmit: true };
}

/** The imports of a snippet that a user could not write (it is parsed, not type-checked). */
function importProblems(
  snippet: Snippet,
  publicSpecifiers: ReadonlySet<string>,
  name: string,
): SnippetProblem[] {
  const source = ts.createSourceFile(
    'snippet.ts',
    snippet.code,
    ts.ScriptTarget.Latest,
    true,
    ts.ScriptKind.TS,
  );
  return specifiersOf(source).flatMap(({ specifier, node }) => {
    const message = importProblem(specifier, publicSpecifiers, name);
    return message
      ? [{ snippet: snippet.name, at: positionOf(snippet, source, node.getStart()), message }]
      : [];
  });
}

/** A compiler host that serves `files` from memory and everything else from disk. */
function hostWith(options: ts.CompilerOptions, files: ReadonlyMap<string, string>): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (file) => files.has(path.resolve(file)) || fileExists.call(host, file);
  host.readFile = (file) => files.get(path.resolve(file)) ?? readFile.call(host, file);
  host.getSourceFile = (file, languageVersion, ...rest) => {
    const text = files.get(path.resolve(file));
    if (text !== undefined) return ts.createSourceFile(file, text, languageVersion, true, ts.ScriptKind.TS);
    return getSourceFile.call(host, file, languageVersion, ...rest);
  };
  return host;
}

/** The syntax and type errors of one file of the program: a snippet, or the prelude when none is given. */
function diagnosticsOf(program: ts.Program, file: string, snippet: Snippet | undefined): SnippetProblem[] {
  const source = program.getSourceFile(file)!;
  const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
  return diagnostics.map((diagnostic) => {
    const message = describeDiagnostic(diagnostic);
    const offset = diagnostic.start ?? 0;
    if (snippet) return { snippet: snippet.name, at: positionOf(snippet, source, offset), message };
    const { line } = source.getLineAndCharacterOfPosition(offset);
    return { snippet: 'prelude', at: `test/docs/prelude.ts (line ${line + 1} of the prelude)`, message };
  });
}

/**
 * Checks every snippet: its imports (skipped snippets too), and, unless it is skipped, its types,
 * each snippet as its own module, in one program with the package's sources and `prelude` (a module
 * of `declare global` names the snippets may assume). Returns every problem of the snippets and
 * every diagnostic of the prelude.
 */
export function checkSnippets(root: string, snippets: Snippet[], prelude: string): SnippetProblem[] {
  const entries = publicEntryPoints(root);
  const publicSpecifiers = new Set(entries.keys());
  const name = readPackage(root).name;
  const problems = snippets.flatMap((snippet) => importProblems(snippet, publicSpecifiers, name));

  const options = compilerOptions(root, entries);
  const virtualDir = path.join(root, 'test/docs/.snippets');
  const preludePath = path.join(virtualDir, 'prelude.ts');
  const checked = new Map(
    snippets
      .filter((snippet) => snippet.skip === undefined)
      .map((snippet, index) => [path.join(virtualDir, `snippet-${index}.ts`), snippet] as const),
  );
  const texts = new Map([
    [preludePath, prelude],
    ...[...checked].map(([file, s]) => [file, s.code] as const),
  ]);
  const program = ts.createProgram({ rootNames: [...texts.keys()], options, host: hostWith(options, texts) });

  for (const diagnostic of [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]) {
    problems.push({ snippet: 'compiler', at: 'tsconfig.json', message: describeDiagnostic(diagnostic) });
  }
  for (const file of texts.keys()) problems.push(...diagnosticsOf(program, file, checked.get(file)));
  return problems;
}
