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
        // After the server tests, one file at a time: Chromium cancels in-flight requests
        // (ERR_NETWORK_CHANGED) whenever another test makes the engine create or remove a network.
        // One retry: Chromium on the Docker host cancels requests in flight whenever an interface appears or goes
        // (ERR_NETWORK_CHANGED: every container start adds a veth), so a flow can lose an answer to the host, not to
        // Capstan. A test that fails twice fails; the reporter shows a retried one as flaky.
        test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], fileParallelism: false, retry: 1, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
