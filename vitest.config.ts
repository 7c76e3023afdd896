import { defineConfig } from 'vitest/config';

/** Files that must not share the engine with other files while they run. */
const ISOLATED = ['tests/integration/live.test.ts', 'tests/integration/images.test.ts'];

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
        // Alone on the engine: live.test counts the engine calls its server makes (another file's containers
        // make every view list again); images.test removes and prunes images other files pull and prune too.
        test: { name: 'isolated', include: ISOLATED, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        // After the server tests, one file at a time (each drives a real Chromium, which is heavy on two cores).
        // Chromium runs in a network namespace of its own (tests/helpers/browser.ts), so the engine's
        // interfaces coming and going do not cancel its requests. One retry: the reporter lists a retried test as flaky.
        test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], fileParallelism: false, retry: 1, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
