import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { triggerSchedule, type ScheduledRunDeps } from '../../server/services/scheduled-run.js';

export const SCHEDULED_RUN_TASK = 'scheduled-run';
export const zScheduledRunPayload = z.object({
  scheduleId: z.string().min(1),
  /** "Run now": does not move the schedule's next occurrence. */
  manual: z.boolean().default(false),
  actor: z.string().default('scheduler'),
});

/** One occurrence of a schedule: queues its deployment (run by the one runner), then the next occurrence. */
export function scheduledRunTask(deps: ScheduledRunDeps): Task {
  return async (payload, helpers) => {
    const { scheduleId, manual, actor } = zScheduledRunPayload.parse(payload);
    await triggerSchedule(deps, helpers.job, scheduleId, manual, actor);
  };
}
