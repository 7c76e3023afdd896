import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters: ['default', './tests/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        // Each integration file starts its own server on port 0 with its own data dir.
        test: { name: 'server', include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'], fileParallelism: true, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        // After the server tests, one file at a time: Chromium cancels in-flight requests
        // (ERR_NETWORK_CHANGED) whenever another test makes the engine create or remove a network.
        test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
