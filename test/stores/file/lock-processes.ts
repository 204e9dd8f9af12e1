import { type ChildProcessByStdio, execFileSync, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, it } from 'vitest';

/** What lock-child.ts prints: one JSON object per line. */
export interface ChildLine {
  pid: number;
  holding?: boolean;
  opened?: boolean;
  committed?: boolean;
  /** The message a `commit` stored. */
  id?: string;
  error?: string;
  warnings?: string[];
}

const CHILD = fileURLToPath(new URL('./lock-child.ts', import.meta.url));

/** Whether this machine lets us make pid namespaces (root, or a runtime that allows `unshare`). */
function canUnshare(): boolean {
  try {
    execFileSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the suite `what`, which runs processes in pid namespaces of their own, can run here.
 * Without `unshare` a local run skips it with a loud warning, and CI registers a failing test in
 * its place: CI runs as root on Linux, where it must work.
 */
export function requireUnshare(what: string): boolean {
  if (canUnshare()) return true;
  if (!process.env.CI) {
    console.warn(`\n!!! unshare --pid is not permitted here: ${what} is SKIPPED. CI fails instead.\n`);
    return false;
  }
  describe(`${what} (required in CI)`, () => {
    it('can run processes in pid namespaces of their own', () => {
      throw new Error(
        '`unshare --pid --fork --mount-proc` failed: CI runs as root on Linux, where it must work',
      );
    });
  });
  return false;
}

/** A running lock-child.ts: its process and its output lines as they come. */
export interface LockChild {
  child: ChildProcessByStdio<Writable, Readable, null>;
  /** The next line it prints (rejects if it exits first). */
  next(): Promise<ChildLine>;
  /** Writes a command line to its stdin (`commit`) and resolves with its answer. */
  ask(command: string): Promise<ChildLine>;
}

const running: LockChild['child'][] = [];

/** Kills the children a test left running. Call once per test file. */
export function killChildrenAfterEach(): void {
  afterEach(() => {
    for (const child of running.splice(0)) child.kill('SIGKILL');
  });
}

/**
 * Runs lock-child.ts on `dir` in `mode`: in a pid namespace of its own (as a container's process)
 * when `namespace`, else as a plain child process. Resolves once it printed its first line.
 */
export async function runLockChild(
  mode: 'hold' | 'leave' | 'open',
  dir: string,
  namespace: boolean,
): Promise<LockChild & { line: ChildLine }> {
  const node = [process.execPath, '--import', 'tsx', CHILD, mode, dir];
  const [command, ...args] = namespace ? ['unshare', '--pid', '--fork', '--mount-proc', ...node] : node;
  const child = spawn(command!, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  running.push(child);
  const lines: ChildLine[] = [];
  const waiting: { resolve(line: ChildLine): void; reject(error: Error): void }[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
      const line = JSON.parse(buffered.slice(0, at)) as ChildLine;
      buffered = buffered.slice(at + 1);
      const waiter = waiting.shift();
      if (waiter) waiter.resolve(line);
      else lines.push(line);
    }
  });
  child.on('exit', (code) => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`lock-child ${mode} exited (${code})`));
  });
  const next = () => {
    const line = lines.shift();
    if (line) return Promise.resolve(line);
    if (child.exitCode !== null) return Promise.reject(new Error(`lock-child ${mode} has exited`));
    return new Promise<ChildLine>((resolve, reject) => waiting.push({ resolve, reject }));
  };
  const ask = (command: string) => {
    child.stdin.write(`${command}\n`);
    return next();
  };
  return { child, next, ask, line: await next() };
}

/** Resolves once the child has exited (at once if it already has). */
export async function exited(child: LockChild['child']): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}
