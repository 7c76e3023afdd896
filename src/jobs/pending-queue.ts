import { CapstanError } from '../server/errors.js';
import type { JobQueue } from '../server/services/services.js';
import type { NotifyQueue } from '../server/services/notifications.js';
import type { ScheduleQueue } from '../server/services/schedules.js';

/**
 * The job queue while it starts (the embedded PostgreSQL's initdb takes a
 * second or more): every call waits for it, so the HTTP server answers a login
 * or a read before PostgreSQL is up, and a deploy asked for meanwhile is queued
 * once it is. A deployment row made in that window is also found by the start's
 * recovery; both add the same job key, so it runs once. A start that fails
 * answers 503, as a stopped queue does.
 */
export function pendingQueue(starting: Promise<JobQueue & ScheduleQueue & NotifyQueue>): JobQueue & ScheduleQueue & NotifyQueue {
  const ready = () =>
    starting.catch((err: unknown) => {
      throw new CapstanError('SERVICE_UNAVAILABLE', 'The job queue is not running', { details: 'it did not start', cause: err });
    });
  return {
    enqueueDeployment: async (d) => (await ready()).enqueueDeployment(d),
    scheduleRun: async (s, runAt, keepRunAt) => (await ready()).scheduleRun(s, runAt, keepRunAt),
    unscheduleRun: async (id) => (await ready()).unscheduleRun(id),
    runNow: async (s, actor) => (await ready()).runNow(s, actor),
    enqueueNotification: async (channelId, message, key) => (await ready()).enqueueNotification(channelId, message, key),
  };
}
