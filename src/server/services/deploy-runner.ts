import type Docker from 'dockerode';
import type { LastError } from '../../db/schema.js';
import type { EngineWatcher } from '../docker/events.js';
import { CapstanError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AuditLog } from './audit.js';
import type { DeploymentRow, DeploymentStore } from './deployment-store.js';
import { OPERATIONS, type Operation, type OperationRun } from './operations.js';
import type { ServiceStore } from './service-store.js';
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
 * The one operation runner: every change to a service is a deployment row,
 * and this is the body of its job on the service's queue (so operations on
 * one service never overlap). It owns the row's status and steps, the audit
 * entries, retries (of retryable errors only: otherwise the job succeeds with
 * the deployment failed) and the kind's settle step; the kind's own work is
 * OPERATIONS[kind]. Every body is idempotent, so a retry after a crash (or a
 * second delivery of the same job) converges. Throws only to ask the queue
 * for another attempt.
 */
export async function runDeployment(deps: RunnerDeps, id: string, attempt: number, maxAttempts: number): Promise<void> {
  const existing = await deps.deployments.find(id);
  if (!existing) return void deps.log.warn('deployment job without its row', { deployment: id });
  if (existing.status === 'succeeded' || existing.status === 'failed') return;
  const operation = OPERATIONS[existing.kind];
  const d = await deps.deployments.markRunning(id, attempt);
  const target = `deployment:${d.id}`;
  const base = { service_id: d.serviceId, service: d.serviceName, kind: d.kind, attempt };
  await deps.audit.record({ actor: d.actor, action: 'deployment.start', target, outcome: 'success', details: base });
  const row = await deps.store.find(d.serviceId);
  const run: OperationRun = { deps, deployment: d, row, step: (s) => deps.deployments.addStep(d.id, s), details: {} };
  const skipped = operation.needsService && (!row || row.deleting);
  try {
    if (skipped) await run.step({ action: 'skip', target: 'the service is deleted or being deleted' });
    else await operation.run(run);
    await deps.watcher.resync().catch(() => {});
    if (!skipped) await settle(deps, operation, run, undefined);
    await deps.deployments.finish(d.id, {});
    deps.services.notify(d.serviceId);
    await deps.audit.record({ actor: d.actor, action: 'deployment.finish', target, outcome: 'success', details: { ...base, ...run.details } });
  } catch (err) {
    const lastError = asLastError(err);
    if (!(err instanceof CapstanError)) deps.log.error('deployment failed unexpectedly', { deployment: d.id, error: String(err) });
    const retry = RETRYABLE.has(lastError.code) && attempt < maxAttempts;
    if (retry) {
      await deps.deployments.markRetrying(d.id, lastError);
    } else {
      await deps.watcher.resync().catch(() => {});
      await settle(deps, operation, run, lastError);
      await deps.deployments.finish(d.id, { error: lastError });
    }
    deps.services.notify(d.serviceId);
    await deps.audit.record({
      actor: d.actor,
      action: 'deployment.finish',
      target,
      outcome: 'failure',
      details: { ...base, ...run.details, error: lastError.error, code: lastError.code, will_retry: retry },
    });
    if (retry) throw err;
  }
}

/** A settle step that fails is logged: the deployment's own outcome is still recorded. */
async function settle(deps: RunnerDeps, operation: Operation, run: OperationRun, error: LastError | undefined): Promise<void> {
  try {
    await operation.settle?.(run, error);
  } catch (err) {
    deps.log.error('deployment settle step failed', { deployment: run.deployment.id, error: String(err) });
  }
}

export type { DeploymentRow };
