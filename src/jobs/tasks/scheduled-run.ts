import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { runSchedule, type ScheduledRunDeps } from '../../server/services/scheduled-run.js';

export const SCHEDULED_RUN_TASK = 'scheduled-run';
export const zScheduledRunPayload = z.object({
  scheduleId: z.string().min(1),
  /** "Run now": does not move the schedule's next occurrence. */
  manual: z.boolean().default(false),
  actor: z.string().default('scheduler'),
});

/** Runs one occurrence of a schedule (update or restart), then queues the next. */
export function scheduledRunTask(deps: ScheduledRunDeps): Task {
  return async (payload) => {
    const { scheduleId, manual, actor } = zScheduledRunPayload.parse(payload);
    await runSchedule(deps, scheduleId, manual, actor);
  };
}
