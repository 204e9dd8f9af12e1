// publint and @arethetypeswrong/cli on the packed tarball.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

/**
 * Runs publint in strict mode (warnings count as errors) on the tarball. Suggestions are
 * printed but do not fail. Returns one message per problem.
 * @param {string} tarballPath
 * @returns {Promise<string[]>}
 */
export async function runPublint(tarballPath) {
  const bytes = readFileSync(tarballPath);
  const tarball = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const { messages, pkg } = await publint({ pack: { tarball }, strict: true, level: 'suggestion' });
  const problems = [];
  for (const message of messages) {
    const text = `publint ${message.type} ${message.code}: ${formatMessage(message, pkg, { color: false })}`;
    if (message.type === 'suggestion') console.log(`  ${text}`);
    else problems.push(text);
  }
  return problems;
}

/**
 * Runs attw on the tarball with the `node16` profile: node16 (ESM and CJS) and bundler
 * resolution must be right; only the `node10` resolution is ignored, as we do not support it.
 * @param {string} root the repository root (where attw is installed)
 * @param {string} tarballPath
 * @returns {string[]}
 */
export function runAttw(root, tarballPath) {
  const bin = path.join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js');
  const args = [bin, tarballPath, '--profile', 'node16', '--format', 'table', '--no-color', '--no-emoji'];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const output = `${result.stdout}${result.stderr}`.trim();
  console.log(output.replace(/^/gm, '  '));
  return result.status === 0 ? [] : [`attw found problems (exit ${result.status}); see its table above`];
}
