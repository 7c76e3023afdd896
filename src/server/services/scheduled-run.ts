import { createHash } from 'node:crypto';
import type { ScheduleStatus, ScheduleSummary } from '../../shared/schedules.js';
import { listComposeContainers, restartContainer } from '../docker/containers.js';
import type { Logger } from '../log.js';
import { belongsTo } from './apply.js';
import type { AuditLog } from './audit.js';
import type { DeploymentStore } from './deployment-store.js';
import { emptySummary, runUpdate, settleUpdate } from './image-update.js';
import type { Operation, OperationRun } from './operations.js';
import { planFor } from './project-loader.js';
import { nextOccurrence } from './schedule-time.js';
import { timeOf, type ScheduleStore } from './schedule-store.js';
import type { ScheduleQueue } from './schedules.js';
import type { ServiceRow, ServiceStore } from './service-store.js';
import type { JobQueue, ServiceManager } from './services.js';

export interface ScheduledRunDeps {
  store: ServiceStore;
  schedules: ScheduleStore;
  deployments: DeploymentStore;
  services: ServiceManager;
  audit: AuditLog;
  log: Logger;
  queue: () => ScheduleQueue & JobQueue;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** The same id for every attempt of one schedule job, so a retried job finds the deployment its first attempt made. */
export function scheduledDeploymentId(scheduleId: string, job: { id: string; created_at: Date }): string {
  const digest = createHash('sha256').update(`${scheduleId}:${job.id}:${job.created_at.toISOString()}`).digest();
  return Array.from(digest.subarray(0, 12), (b) => ALPHABET[b % ALPHABET.length]).join('');
}

/**
 * A schedule's job, when its time comes (or "run now"): it only queues a
 * deployment of kind `scheduled`, which the one runner then runs on the
 * service's queue like any other operation; then the next occurrence is
 * queued, unless it was a manual run. Idempotent: a retry of this job (after
 * a crash) creates no second deployment.
 */
export async function triggerSchedule(deps: ScheduledRunDeps, job: { id: string; created_at: Date }, scheduleId: string, manual: boolean, actor: string): Promise<void> {
  const schedule = await deps.schedules.find(scheduleId);
  if (!schedule) return; // deleted since the job was queued
  const row = await deps.store.find(schedule.serviceId);
  if (!row) return;
  if (!row.deleting) {
    const deployment = await deps.deployments.createOnce(scheduledDeploymentId(schedule.id, job), {
      serviceId: row.id,
      serviceName: row.name,
      kind: 'scheduled',
      actor,
      params: { schedule_id: schedule.id, action: schedule.action, cleanup: schedule.cleanup, manual },
      composeYaml: row.project.yaml ?? null,
      envHash: row.project.envHash,
    });
    await deps.queue().enqueueDeployment(deployment);
    deps.services.notify(row.id);
  }
  if (!manual) {
    const next = nextOccurrence(timeOf(schedule), new Date());
    await deps.queue().scheduleRun(schedule, next);
    await deps.schedules.setNextRun(schedule.id, next);
  }
}

interface ScheduledParams {
  schedule_id: string;
  action: 'update' | 'restart';
  cleanup: boolean;
}

/**
 * The body of a scheduled deployment: the update of its images (the same
 * body the one-click update runs, image-update.ts), or a restart of its
 * containers. The schedule's outcome is recorded when the deployment ends.
 */
export const scheduledOperation: Operation = {
  needsService: true,
  async run(op) {
    const params = op.deployment.params as unknown as ScheduledParams;
    Object.assign(op.details, { schedule_id: params.schedule_id, action: params.action, manual: Boolean(op.deployment.params?.manual) });
    if (params.action !== 'restart') return runUpdate(op, params.cleanup, 'Scheduled run');
    const summary = emptySummary();
    op.details.summary = summary;
    op.details.status = await restartAll(op, op.row!, summary);
  },
  settle: (op, error) => settleUpdate(op, error, op.deployment.params?.action !== 'restart'),
};

async function restartAll(op: OperationRun, row: ServiceRow, summary: ScheduleSummary): Promise<ScheduleStatus> {
  const mine = (await listComposeContainers(op.docker)).filter((c) => belongsTo(c, row));
  for (const desired of planFor(row.id, row.project, row.dir).containers) {
    const c = mine.find((m) => m.name === desired.name);
    if (!c) continue;
    await restartContainer(op.docker, c.id, c.name);
    summary.restarted.push(c.name);
    await op.step({ action: 'restart', target: c.name });
  }
  return 'restarted';
}
