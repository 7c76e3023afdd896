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
import { planFor } from './project-loader.js';
import { nextOccurrence } from './schedule-time.js';
import { timeOf, type ScheduleRow, type ScheduleStore } from './schedule-store.js';
import type { ScheduleQueue } from './schedules.js';
import type { ServiceRow, ServiceStore } from './service-store.js';
import type { ServiceManager } from './services.js';

export interface ScheduledRunDeps {
  docker: Docker;
  store: ServiceStore;
  schedules: ScheduleStore;
  deployments: DeploymentStore;
  services: ServiceManager;
  watcher: EngineWatcher;
  audit: AuditLog;
  log: Logger;
  queue: () => ScheduleQueue;
}

/** A recreated container must stay up this long (or become healthy) to count as updated. */
const GRACE_MS = 5000;
const HEALTH_TIMEOUT_MS = 120_000;
const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/**
 * One run of a schedule, as its job: pull every image of the service and
 * recreate exactly the containers whose image changed, one at a time in
 * depends_on order, rolling a container back to its old image when it does not
 * come up; or restart the containers. Re-queues the next occurrence unless it
 * was a manual run. Every step is idempotent: a retry after a crash finds the
 * containers already on the new image and leaves them.
 */
export async function runSchedule(deps: ScheduledRunDeps, scheduleId: string, manual: boolean, actor: string): Promise<void> {
  const schedule = await deps.schedules.find(scheduleId);
  if (!schedule) return; // deleted since the job was queued
  const row = await deps.store.find(schedule.serviceId);
  if (!row || row.deleting) return;
  const deployment = await deps.deployments.create({
    serviceId: row.id,
    serviceName: row.name,
    kind: 'scheduled',
    actor,
    params: { schedule_id: schedule.id, action: schedule.action },
    composeYaml: row.project.yaml ?? null,
    envHash: row.project.envHash,
  });
  await deps.deployments.markRunning(deployment.id, 1);
  const step = (action: string, target: string) => deps.deployments.addStep(deployment.id, { action, target });
  const summary: ScheduleSummary = { changed: [], rolled_back: [], restarted: [] };
  let status: ScheduleStatus;
  try {
    status = schedule.action === 'restart' ? await restartAll(deps, row, summary, step) : await updateImages(deps, row, schedule, summary, step);
  } catch (err) {
    status = 'failed';
    summary.error = err instanceof CapstanError ? `${err.message}${err.details ? `: ${err.details}` : ''}` : 'unexpected error';
    if (!(err instanceof CapstanError)) deps.log.error('scheduled run failed unexpectedly', { schedule: schedule.id, error: String(err) });
  }
  await deps.watcher.resync().catch(() => {});
  const failed = status === 'failed' || status === 'rolled_back';
  // The schedule's outcome first: a client reacting to the deployment's end then reads it.
  await deps.schedules.recordRun(schedule.id, { at: new Date(), status, summary, deploymentId: deployment.id });
  await deps.deployments.finish(deployment.id, failed ? { error: { error: `Scheduled run ${status}`, details: summary.error ?? summary.rolled_back.map((r) => `${r.container}: ${r.reason}`).join('; '), code: 'CONFLICT', at: new Date().toISOString() } } : {});
  deps.services.notify(row.id);
  await deps.audit.record({
    actor,
    action: 'schedule.run',
    target: `schedule:${schedule.id}`,
    outcome: failed ? 'failure' : 'success',
    details: { service_id: row.id, service: row.name, action: schedule.action, manual, status, summary, deployment_id: deployment.id },
  });
  if (!manual) {
    const next = nextOccurrence(timeOf(schedule), new Date());
    await deps.queue().scheduleRun(schedule, next);
    await deps.schedules.setNextRun(schedule.id, next);
  }
}

type Step = (action: string, target: string) => Promise<unknown>;

async function restartAll(deps: ScheduledRunDeps, row: ServiceRow, summary: ScheduleSummary, step: Step): Promise<ScheduleStatus> {
  const mine = (await listComposeContainers(deps.docker)).filter((c) => belongsTo(c, row));
  for (const desired of planFor(row.id, row.project, row.dir).containers) {
    const c = mine.find((m) => m.name === desired.name);
    if (!c) continue;
    await restartContainer(deps.docker, c.id, c.name);
    summary.restarted.push(c.name);
    await step('restart', c.name);
  }
  return 'restarted';
}

async function updateImages(
  deps: ScheduledRunDeps,
  row: ServiceRow,
  schedule: ScheduleRow,
  summary: ScheduleSummary,
  step: Step,
): Promise<ScheduleStatus> {
  const plan = planFor(row.id, row.project, row.dir);
  const imageIds = new Map<string, string>();
  for (const ref of new Set(plan.containers.map((c) => c.image))) {
    await pullImage(deps.docker, ref);
    imageIds.set(ref, (await inspectImage(deps.docker, ref)).Id);
    await step('pull', ref);
  }
  const mine = (await listComposeContainers(deps.docker)).filter((c) => belongsTo(c, row));
  const replaced: string[] = [];
  for (const desired of plan.containers) {
    const current = mine.find((c) => c.name === desired.name);
    const target = imageIds.get(desired.image)!;
    if (!current || current.imageId === target) continue;
    try {
      await recreate(deps.docker, current, desired, (id) => checkComesUp(deps.docker, id, { graceMs: GRACE_MS, healthTimeoutMs: HEALTH_TIMEOUT_MS }));
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
  if (schedule.cleanup) {
    for (const old of new Set(replaced)) {
      await removeImage(deps.docker, old).then(
        () => step('remove-image', short(old)),
        () => step('keep-image', `${short(old)} (still in use)`),
      );
    }
  }
  return summary.changed.length ? 'updated' : 'unchanged';
}
