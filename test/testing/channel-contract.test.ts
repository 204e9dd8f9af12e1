import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { channelContractTests, describeChannelContract, tamper } from '../../src/testing/channel-contract.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

interface JsonReport {
  testResults: {
    assertionResults: { title: string; fullName: string; status: string; failureMessages: string[] }[];
  }[];
}

/** Runs the deliberately broken fixture through the contract in a separate vitest and returns its results. */
async function runFixture(): Promise<JsonReport['testResults'][number]['assertionResults']> {
  const out = path.join(await mkdtemp(path.join(tmpdir(), 'contract-')), 'report.json');
  const config = path.join(import.meta.dirname, 'fixtures/vitest.config.ts');
  const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
  await run(process.execPath, [vitest, 'run', '--config', config, '--reporter=json', `--outputFile=${out}`], {
    cwd: root,
  }).catch(
    () => undefined, // the fixture fails on purpose: the report says how
  );
  const report = JSON.parse(await readFile(out, 'utf8')) as JsonReport;
  return report.testResults.flatMap((file) => file.assertionResults);
}

describe('describeChannelContract', () => {
  it('fails every test for an adapter that breaks the contract, and skips by name with the reason', async () => {
    const results = await runFixture();
    const byName = new Map(results.map((result) => [result.fullName, result]));
    for (const test of channelContractTests) {
      expect(byName.get(`channel contract: broken ${test}`)?.status, test).toBe('failed');
    }
    const skipped = results.filter((result) => result.status === 'skipped').map((result) => result.title);
    expect(skipped.sort()).toEqual([
      'declares id, kind and capabilities (skipped: the fixture cannot)',
      'parses deterministically (skipped: the fixture cannot)',
    ]);
    const malformed = byName.get('channel contract: broken throws ValidationError for every malformed case');
    expect(malformed?.failureMessages.join('\n')).toMatch(
      /malformed\[0\]: expected ValidationError, got SyntaxError: /,
    );
  }, 60_000);

  it('refuses to skip a test that does not exist', () => {
    expect(() =>
      describeChannelContract(
        'x',
        () => ({}) as never,
        { signed: [] },
        { skip: [{ reason: 'r', tests: ['no such test'] }] },
      ),
    ).toThrow('describeChannelContract: unknown test to skip: "no such test"');
  });

  it('tampers exactly one byte of the body', () => {
    const raw = { method: 'POST', url: 'https://x.test/', headers: { a: '1' }, body: 'abcde' };
    expect(tamper(raw)).toEqual({ ...raw, body: 'abxde' });
    expect(tamper({ ...raw, body: 'x' }).body).toBe('y');
    expect(tamper({ ...raw, body: '' }).body).toBe('x');
  });
});
