import type Docker from 'dockerode';
import type { LastError } from '../../db/schema.js';
import { listComposeContainers, removeContainer, stopContainer } from '../docker/containers.js';
import type { EngineWatcher } from '../docker/events.js';
import { networkName } from '../docker/compose-plan.js';
import { LABEL_PROJECT } from '../docker/labels.js';
import { listVolumesByLabel, removeNetwork, removeVolume } from '../docker/resources.js';
import { CapstanError } from '../errors.js';
import type { Logger } from '../log.js';
import { applyPlan, belongsTo, type Step } from './apply.js';
import type { AuditLog } from './audit.js';
import type { DeploymentRow, DeploymentStore } from './deployment-store.js';
import { planFor, type ProjectLoader } from './project-loader.js';
import type { ServiceRow, ServiceStore } from './service-store.js';
import type { ScheduleService } from './schedules.js';
import type { ServiceManager } from './services.js';

export interface RunnerDeps {
  docker: Docker;
  store: ServiceStore;
  deployments: DeploymentStore;
  services: ServiceManager;
  watcher: EngineWatcher;
  audit: AuditLog;
  schedules: ScheduleService;
  log: Logger;
}

/** Worth another attempt: the engine was away, or something unexpected broke. Bad input is not. */
const RETRYABLE = new Set(['SERVICE_UNAVAILABLE', 'INTERNAL_SERVER_ERROR']);

function asLastError(err: unknown): LastError {
  const e = err instanceof CapstanError ? err : new CapstanError('INTERNAL_SERVER_ERROR', 'Deployment failed');
  return { error: e.message, ...(e.details ? { details: e.details } : {}), code: e.code, at: new Date().toISOString() };
}

/**
 * The body of a deployment job. Every step is idempotent, so a retry after a
 * crash (or a second delivery of the same job) converges to the same result.
 * Throws only to ask the queue for another attempt.
 */
export async function runDeployment(deps: RunnerDeps, id: string, attempt: number, maxAttempts: number): Promise<void> {
  const existing = await deps.deployments.get(id);
  if (existing.status === 'succeeded' || existing.status === 'failed') return;
  const d = await deps.deployments.markRunning(id, attempt);
  const target = `deployment:${d.id}`;
  const base = { service_id: d.serviceId, service: d.serviceName, kind: d.kind, attempt };
  await deps.audit.record({ actor: d.actor, action: 'deployment.start', target, outcome: 'success', details: base });
  const row = await deps.store.find(d.serviceId);
  try {
    const onStep = (s: Step) => deps.deployments.addStep(d.id, s);
    if (d.kind === 'delete') {
      if (row) await deleteService(deps, row, d.params?.mode === 'hard' ? 'hard' : 'soft', d.id, onStep);
    } else if (!row || row.deleting) {
      await onStep({ action: 'skip', target: 'the service is deleted or being deleted' });
    } else {
      // The folder as it is now: a file edited on the host since the request is what is applied, and recorded.
      await deps.deployments.recordSource(d.id, row.project.yaml ?? null, row.project.envHash);
      await applyPlan(deps.docker, row, planFor(row.id, row.project, row.dir), onStep);
      await deps.store.setLastError(row.id, null);
    }
    await deps.watcher.resync().catch(() => {});
    await deps.deployments.finish(d.id, {});
    deps.services.notify(d.serviceId);
    await deps.audit.record({ actor: d.actor, action: 'deployment.finish', target, outcome: 'success', details: base });
  } catch (err) {
    const lastError = asLastError(err);
    if (!(err instanceof CapstanError)) deps.log.error('deployment failed unexpectedly', { deployment: d.id, error: String(err) });
    const retry = RETRYABLE.has(lastError.code) && attempt < maxAttempts;
    if (retry) {
      await deps.deployments.markRetrying(d.id, lastError);
    } else {
      await deps.deployments.finish(d.id, { error: lastError });
      if (row && d.kind !== 'delete') await deps.store.setLastError(row.id, lastError);
    }
    deps.services.notify(d.serviceId);
    await deps.audit.record({
      actor: d.actor,
      action: 'deployment.finish',
      target,
      outcome: 'failure',
      details: { ...base, error: lastError.error, code: lastError.code, will_retry: retry },
    });
    if (retry) throw err;
  }
}

/**
 * Stops and removes the containers in reverse order, the networks, and for a
 * hard delete the volumes and the project folder; then the row. A soft delete
 * keeps the folder (it may hold bind-mounted data), renamed
 * `<name>.deleted-<deployment id>` so a new service of the same name starts
 * from its own files.
 */
async function deleteService(
  deps: RunnerDeps,
  row: ServiceRow,
  mode: 'soft' | 'hard',
  deploymentId: string,
  onStep: (s: Step) => Promise<unknown>,
): Promise<void> {
  const mine = (await listComposeContainers(deps.docker)).filter((c) => belongsTo(c, row));
  for (const c of mine.reverse()) {
    await stopContainer(deps.docker, c.id, c.name);
    await removeContainer(deps.docker, c.id, c.name);
    await onStep({ action: 'remove', target: c.name });
  }
  for (const network of projectNetworks(row)) {
    await removeNetwork(deps.docker, network);
    await onStep({ action: 'remove-network', target: network });
  }
  if (mode === 'hard') {
    for (const v of await listVolumesByLabel(deps.docker, `${LABEL_PROJECT}=${row.name}`)) {
      await removeVolume(deps.docker, v);
      await onStep({ action: 'remove-volume', target: v });
    }
  }
  await deps.schedules.removeForService(row.id);
  // Before the row: a retry after a crash finds the row and finishes; the folder step is idempotent.
  await onStep(removeFolder(deps.store.projects, row.name, mode, deploymentId));
  await deps.store.delete(row.id);
}

/** The networks the project creates (not external ones), and the default one of older definitions. */
function projectNetworks(row: ServiceRow): string[] {
  const names = new Set([networkName(row.name)]);
  if (row.project.ok) for (const n of Object.values(row.project.project.networks)) if (!n.external) names.add(n.name);
  return [...names];
}

function removeFolder(projects: ProjectLoader, name: string, mode: 'soft' | 'hard', deploymentId: string): Step {
  projects.forget(name);
  try {
    if (mode === 'hard') {
      projects.folders.removeFolder(name);
      return { action: 'remove-folder', target: projects.dir(name) };
    }
    const kept = projects.folders.retire(name, deploymentId);
    return { action: 'keep-folder', target: kept ?? projects.dir(name) };
  } catch (err) {
    // Files a container wrote as another user: the service is gone; say what is left behind.
    return { action: 'keep-folder', target: `${projects.dir(name)} (${(err as NodeJS.ErrnoException).code ?? 'not removed'})` };
  }
}

export type { DeploymentRow };
