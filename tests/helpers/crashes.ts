import { afterAll, beforeAll } from 'vitest';

/**
 * What the process would have died of while this file runs (unhandled
 * rejections, uncaught exceptions), collected so that a test can say "none".
 */
export function collectCrashes(): unknown[] {
  const crashes: unknown[] = [];
  const onCrash = (err: unknown) => crashes.push(err);
  beforeAll(() => {
    process.on('unhandledRejection', onCrash);
    process.on('uncaughtExceptionMonitor', onCrash);
  });
  afterAll(() => {
    process.off('unhandledRejection', onCrash);
    process.off('uncaughtExceptionMonitor', onCrash);
  });
  return crashes;
}
