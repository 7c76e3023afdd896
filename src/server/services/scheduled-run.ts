import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { ScheduleStatus, ScheduleSummary } from '../../shared/schedules.js';
import { checkComesUp, listComposeContainers, restartContainer } from '../docker/containers.js';
import type { EngineWatcher } from '../docker/events.js';
import { inspectImage, pullImage, removeImage } from '../docker/images.js';
import { CapstanError } from '../errors.js';
import type { Logger } from '../log.js';
import { belongsTo, recreate } from './apply.js';
import type { AuditLog } from './audit.js';
import type { DeploymentStore } from './deployment-store.js';
import type { Operation, OperationRun } from './operations.js';
import { planFor } from './project-loader.js';
import { nextOccurrence } from './schedule-time.js';
import { timeOf, type ScheduleStore } from './schedule-store.js';
import type { ScheduleQueue } from './schedules.js';
import type { ServiceRow, ServiceStore } from './service-store.js';
import type { JobQueue, ServiceManager } from './services.js';

export interface ScheduledRunDeps {
  docker: Docker;
  store: ServiceStore;
  schedules: ScheduleStore;
  deployments: DeploymentStore;
  services: ServiceManager;
  watcher: EngineWatcher;
  audit: AuditLog;
  log: Logger;
  queue: () => ScheduleQueue & JobQueue;
}

/** A recreated container must stay up this long (or become healthy) to count as updated. */
const GRACE_MS = 5000;
const HEALTH_TIMEOUT_MS = 120_000;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

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
 * The body of a scheduled deployment: pull every image of the service and
 * recreate exactly the containers whose image changed, one at a time in
 * depends_on order, rolling a container back to its old image when it does
 * not come up; or restart the containers. A retry finds the containers
 * already on the new image and leaves them. A rollback fails the deployment
 * (not retried); the schedule's outcome is recorded when the deployment ends.
 */
export const scheduledOperation: Operation = {
  needsService: true,
  async run(op) {
    const params = op.deployment.params as unknown as ScheduledParams;
    const summary: ScheduleSummary = { changed: [], rolled_back: [], restarted: [] };
    Object.assign(op.details, { schedule_id: params.schedule_id, action: params.action, manual: Boolean(op.deployment.params?.manual), summary });
    const status = params.action === 'restart' ? await restartAll(op, op.row!, summary) : await updateImages(op, op.row!, params.cleanup, summary);
    op.details.status = status;
    if (status === 'rolled_back') {
      throw new CapstanError('CONFLICT', 'Scheduled run rolled_back', { details: summary.rolled_back.map((r) => `${r.container}: ${r.reason}`).join('; ') });
    }
  },
  async settle(op, error) {
    const summary = (op.details.summary as ScheduleSummary | undefined) ?? { changed: [], rolled_back: [], restarted: [] };
    let status = op.details.status as ScheduleStatus | undefined;
    if (!status || (error && status !== 'rolled_back')) {
      status = 'failed';
      summary.error = error ? `${error.error}${error.details ? `: ${error.details}` : ''}` : 'unexpected error';
      Object.assign(op.details, { status, summary });
    }
    const scheduleId = String(op.deployment.params?.schedule_id ?? '');
    await op.deps.schedules.recordRun(scheduleId, { at: new Date(), status, summary, deploymentId: op.deployment.id });
  },
};

async function restartAll(op: OperationRun, row: ServiceRow, summary: ScheduleSummary): Promise<ScheduleStatus> {
  const mine = (await listComposeContainers(op.deps.docker)).filter((c) => belongsTo(c, row));
  for (const desired of planFor(row.id, row.project, row.dir).containers) {
    const c = mine.find((m) => m.name === desired.name);
    if (!c) continue;
    await restartContainer(op.deps.docker, c.id, c.name);
    summary.restarted.push(c.name);
    await op.step({ action: 'restart', target: c.name });
  }
  return 'restarted';
}

async function updateImages(op: OperationRun, row: ServiceRow, cleanup: boolean, summary: ScheduleSummary): Promise<ScheduleStatus> {
  const { docker } = op.deps;
  const step = (action: string, target: string) => op.step({ action, target });
  const plan = planFor(row.id, row.project, row.dir);
  const imageIds = new Map<string, string>();
  const { signal, pullInactivityMs } = op.apply;
  for (const ref of new Set(plan.containers.map((c) => c.image))) {
    await pullImage(docker, ref, undefined, { signal, ...(pullInactivityMs ? { inactivityMs: pullInactivityMs } : {}) });
    imageIds.set(ref, (await inspectImage(docker, ref)).Id);
    await step('pull', ref);
  }
  const mine = (await listComposeContainers(docker)).filter((c) => belongsTo(c, row));
  const replaced: string[] = [];
  for (const desired of plan.containers) {
    const current = mine.find((c) => c.name === desired.name);
    const target = imageIds.get(desired.image)!;
    if (!current || current.imageId === target) continue;
    try {
      await recreate(docker, current, desired, (id) => checkComesUp(docker, id, { graceMs: GRACE_MS, healthTimeoutMs: HEALTH_TIMEOUT_MS }));
      summary.changed.push({ container: desired.name, from: current.imageId, to: target });
      replaced.push(current.imageId);
      await step('recreate', `${desired.name} ${short(current.imageId)} -> ${short(target)}`);
    } catch (err) {
      if (!(err instanceof CapstanError) || err.code === 'SERVICE_UNAVAILABLE') throw err;
      summary.rolled_back.push({ container: desired.name, reason: err.details ?? err.message });
      await step('rollback', `${desired.name} stays on ${short(current.imageId)}`);
      // Containers that depend on this one are not updated against a rolled-back dependency.
      return 'rolled_back';
    }
  }
  if (cleanup) {
    for (const old of new Set(replaced)) {
      await removeImage(docker, old).then(
        () => step('remove-image', short(old)),
        () => step('keep-image', `${short(old)} (still in use)`),
      );
    }
  }
  return summary.changed.length ? 'updated' : 'unchanged';
}
