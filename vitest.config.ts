import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each integration file starts its own server on port 0 with its own data dir.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default', './tests/summary-reporter.ts'],
  },
});
