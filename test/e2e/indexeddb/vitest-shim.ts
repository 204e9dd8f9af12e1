/**
 * Just enough of vitest's API (describe, it, it.skip, beforeEach, afterEach, expect) for the store
 * contract suite to run unchanged inside a browser page: esbuild aliases `vitest` to this file.
 * `expect` is vitest's own (`@vitest/expect` on chai), so matchers behave exactly as in Node.
 */

import {
  type ExpectStatic,
  getState,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  setState,
} from '@vitest/expect';
import * as chai from 'chai';

type Hook = () => unknown;
interface Scope {
  name: string;
  before: Hook[];
  after: Hook[];
}
interface Case {
  name: string;
  fn: Hook | undefined;
  scopes: Scope[];
}
/** The outcome of one registered test. */
export interface CaseResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  error?: string;
}

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

const cases: Case[] = [];
const stack: Scope[] = [{ name: '', before: [], after: [] }];

export function describe(name: string, body: () => void): void {
  stack.push({ name, before: [], after: [] });
  try {
    body();
  } finally {
    stack.pop();
  }
}

function title(name: string): string {
  return [...stack.slice(1).map((scope) => scope.name), name].join(' > ');
}

export const it = Object.assign(
  (name: string, fn: Hook) => void cases.push({ name: title(name), fn, scopes: [...stack] }),
  {
    skip: (name: string) => void cases.push({ name: title(name), fn: undefined, scopes: [] }),
  },
);
export const test = it;
export const beforeEach = (fn: Hook): void => void stack[stack.length - 1]!.before.push(fn);
export const afterEach = (fn: Hook): void => void stack[stack.length - 1]!.after.push(fn);

export const expect = ((value: unknown, message?: string) => {
  const { assertionCalls } = getState(expect);
  setState({ assertionCalls: assertionCalls + 1 }, expect);
  return chai.expect(value, message);
}) as unknown as ExpectStatic;
Object.assign(expect, chai.expect);
setState({ assertionCalls: 0, isExpectingAssertions: false, expectedAssertionsNumber: null }, expect);

async function runCase(entry: Case): Promise<CaseResult> {
  if (!entry.fn) return { name: entry.name, status: 'skipped' };
  try {
    for (const scope of entry.scopes) for (const hook of scope.before) await hook();
    try {
      await entry.fn();
    } finally {
      for (const scope of [...entry.scopes].reverse()) for (const hook of scope.after) await hook();
    }
    return { name: entry.name, status: 'passed' };
  } catch (error) {
    return {
      name: entry.name,
      status: 'failed',
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
}

/** Runs every registered test in order and reports each outcome. */
export async function runRegistered(): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const entry of cases.splice(0)) results.push(await runCase(entry));
  return results;
}
