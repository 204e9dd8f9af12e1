import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = fileURLToPath(new URL('./src/', import.meta.url));

export default defineConfig({
  resolve: {
    // Examples and tests may import the package by name, as users do; it resolves to the source.
    alias: [
      { find: /^threadline$/, replacement: `${src}index.ts` },
      { find: /^threadline\/(.*)$/, replacement: `${src}$1` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // A condition polled for is waited on this long at most: long enough for a 2-core CI machine
    // that runs Chromium beside the suite (the default, 1 s, is not); a passing poll returns early.
    expect: { poll: { timeout: 5_000 } },
    pool: 'forks',
  },
});
