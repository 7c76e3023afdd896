import type { LastError } from '../../db/schema.js';
import type { ScheduleStatus, ScheduleSummary } from '../../shared/schedules.js';
import { checkComesUp, listComposeContainers } from '../docker/containers.js';
import { inspectImage, pullImage, removeImage } from '../docker/images.js';
import { CapstanError } from '../errors.js';
import { belongsTo, recreate } from './apply.js';
import type { Operation, OperationRun } from './operations.js';
import { planFor } from './project-loader.js';
import type { ServiceRow } from './service-store.js';
import { checkImage, LOCAL_ONLY } from './updates.js';

/** A recreated container must stay up this long (or become healthy) to count as updated. */
const GRACE_MS = 5000;
const HEALTH_TIMEOUT_MS = 120_000;
const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

export const emptySummary = (): ScheduleSummary => ({ changed: [], rolled_back: [], restarted: [] });

/**
 * The update of a service's images, for a schedule and for the one-click
 * update alike: every image whose registry digest differs from the local one
 * is pulled (one the registry cannot be asked about is pulled as before; one
 * that did not change is not), then exactly the containers whose image
 * changed are recreated, one at a time in depends_on order, a container that
 * does not come up rolled back to its old image. A retry finds the containers
 * already on the new image and leaves them.
 */
export async function updateImages(op: OperationRun, row: ServiceRow, cleanup: boolean, summary: ScheduleSummary): Promise<ScheduleStatus> {
  const { docker } = op;
  const step = (action: string, target: string) => op.step({ action, target });
  const plan = planFor(row.id, row.project, row.dir);
  const imageIds = new Map<string, string>();
  const { signal, pullInactivityMs } = op.apply;
  for (const ref of new Set(plan.containers.map((c) => c.image))) {
    const check = await checkImage(docker, ref);
    if (!check.error && !check.updateAvailable && check.localId && check.remoteDigest) {
      imageIds.set(ref, check.localId);
      await step('pull-skipped', `${ref} (the registry has the same ${short(check.remoteDigest)})`);
      continue;
    }
    if (check.error === LOCAL_ONLY && check.localId) {
      // Built or imported on this engine: no registry has it, and a pull would ask whatever registry its name seems to name.
      imageIds.set(ref, check.localId);
      await step('pull-skipped', `${ref} (built or imported on this engine: not pulled from a registry)`);
      continue;
    }
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

/** Runs the update and records its outcome in the attempt's details; a rollback fails the deployment (not retried). */
export async function runUpdate(op: OperationRun, cleanup: boolean, what: string): Promise<void> {
  const summary = emptySummary();
  op.details.summary = summary;
  const status = await updateImages(op, op.row!, cleanup, summary);
  op.details.status = status;
  if (status === 'rolled_back') {
    throw new CapstanError('CONFLICT', `${what} rolled_back`, { details: summary.rolled_back.map((r) => `${r.container}: ${r.reason}`).join('; ') });
  }
}

/**
 * After the last attempt of an update: its outcome (failed when it threw for
 * another reason than a rollback) goes to its schedule when it has one, and
 * the service's images are checked again, so their badges show what the
 * engine runs now.
 */
export async function settleUpdate(op: OperationRun, error: LastError | undefined, recheck: boolean): Promise<void> {
  const summary = (op.details.summary as ScheduleSummary | undefined) ?? emptySummary();
  let status = op.details.status as ScheduleStatus | undefined;
  if (!status || (error && status !== 'rolled_back')) {
    status = 'failed';
    summary.error = error ? `${error.error}${error.details ? `: ${error.details}` : ''}` : 'unexpected error';
    Object.assign(op.details, { status, summary });
  }
  const scheduleId = op.deployment.params?.schedule_id;
  if (typeof scheduleId === 'string' && scheduleId) {
    await op.deps.schedules.recordRun(scheduleId, { at: new Date(), status, summary, deploymentId: op.deployment.id });
  }
  if (recheck && op.row) {
    await op.deps.updates?.checkService(op.row.id).catch((err: unknown) => op.deps.log.warn('update re-check failed', { service: op.row!.id, error: String(err) }));
  }
}

/** The one-click update (POST /api/services/{id}/update): the body a schedule's update runs, without a schedule. */
export const imageUpdateOperation: Operation = {
  needsService: true,
  async run(op) {
    await runUpdate(op, false, 'Image update');
  },
  settle: (op, error) => settleUpdate(op, error, true),
};
