import { defineConfig } from 'vitest/config';

/** Files that must not share the engine with other files while they run. */
const ISOLATED = ['tests/integration/live.test.ts'];

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
        test: {
          name: 'server',
          include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
          exclude: ISOLATED,
          fileParallelism: true,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        // Alone on the engine: these count the engine calls their server makes, and another file's
        // containers make every server's event-fed view list again.
        test: { name: 'isolated', include: ISOLATED, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        // After the server tests, one file at a time: Chromium cancels in-flight requests
        // (ERR_NETWORK_CHANGED) whenever another test makes the engine create or remove a network.
        test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
