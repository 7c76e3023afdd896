import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { UpdateChecker } from '../../server/services/updates.js';

export const UPDATE_CHECK_TASK = 'update-check';
/** One key for the one pending check: a restart or a second Capstan on the queue replaces it, never adds one. */
export const UPDATE_CHECK_JOB_KEY = 'update-check';

export const zUpdateCheckPayload = z.looseObject({});

/** When the next check runs: `hours` from `from`. */
export const nextUpdateCheck = (hours: number, from = new Date()) => new Date(from.getTime() + hours * 3_600_000);

/**
 * Checks every image in use, then queues the next check `hours` later under
 * the same key. Never throws: a failed job would be retried beside the next
 * one it queued; a check that could not run is logged and tried next time.
 */
export function updateCheckTask(checker: UpdateChecker, hours: number, queueNext: (runAt: Date) => Promise<void>): Task {
  return async (payload, helpers) => {
    zUpdateCheckPayload.parse(payload ?? {});
    try {
      const images = await checker.check();
      const available = images.filter((i) => i.update_available).length;
      helpers.logger.info(`update check: ${images.length} images, ${available} with an update`);
    } catch (err) {
      helpers.logger.error(`update check failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if (hours > 0) await queueNext(nextUpdateCheck(hours));
    }
  };
}
