import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Examples import the package by its name, as a user's code does; in the repository the
  // name means the source (tsconfig.json's `paths` says the same to tsc and tsx).
  resolve: {
    alias: [
      { find: /^tributary-log$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
      { find: /^tributary-log\/testing$/, replacement: fileURLToPath(new URL('./src/testing.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    // Crash and corruption tests spawn child processes and touch real files; on a
    // 2-core machine two test files at a time is the useful ceiling.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
