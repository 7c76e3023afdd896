import type { LastError } from '../../db/schema.js';
import { LOCAL_ENGINE_ID } from '../../shared/engines.js';
import type { EngineLink, EnginePool } from './engines.js';
import { CapstanError } from '../errors.js';
import type { Logger } from '../log.js';
import { audited, type AuditLog } from './audit.js';
import type { DeploymentRow, DeploymentStore } from './deployment-store.js';
import { OPERATIONS, type Operation, type OperationRun } from './operations.js';
import type { ServiceStore } from './service-store.js';
import type { ScheduleService } from './schedules.js';
import type { ServiceManager } from './services.js';
import type { UpdateChecker } from './updates.js';

/** How a deployment ended: its error when it failed, and what its kind recorded (an update's status and summary). */
export interface FinishedOutcome {
  error: LastError | undefined;
  details: Record<string, unknown>;
}

export interface RunnerDeps {
  /** The engines: each deployment acts on its service's. */
  engines: EnginePool;
  store: ServiceStore;
  deployments: DeploymentStore;
  services: ServiceManager;
  audit: AuditLog;
  schedules: ScheduleService;
  log: Logger;
  /** The update badges: an update deployment checks its service's images again when it ends. */
  updates?: UpdateChecker;
  /** Told once a deployment has ended for good (not before a retry); must not throw. */
  finished?: (d: DeploymentRow, outcome: FinishedOutcome) => void;
  /** Internal bounds (tests shorten them); no environment variable sets these. */
  limits?: RunnerLimits;
}

export interface RunnerLimits {
  /** One attempt of a deployment may take this long (JOB_DEADLINE_MS by default). */
  jobDeadlineMs?: number;
  /** A pull with no progress for this long is abandoned (PULL_INACTIVITY_MS by default). */
  pullInactivityMs?: number;
}

/** Long enough for big pulls and slow healthchecks (each wait is capped at 10 min); a stuck job still ends. */
export const JOB_DEADLINE_MS = 30 * 60_000;

/** What the runner knows about the attempt from its queue. */
export interface AttemptOptions {
  /** The worker's: aborts when it shuts down. */
  signal?: AbortSignal;
  /** The job was lost on its last attempt (a kill): the deployment is failed, not run. */
  abandoned?: boolean;
}

/** Why the attempt's signal aborted: the runner's own deadline, or the worker going away. */
class DeadlineExceeded extends CapstanError {
  constructor(ms: number) {
    super('SERVICE_UNAVAILABLE', 'Deployment deadline exceeded', {
      details: `deadline exceeded: the attempt ran longer than ${Math.round(ms / 1000)} s and was stopped`,
    });
  }
}
class ShuttingDown extends CapstanError {
  constructor() {
    super('SERVICE_UNAVAILABLE', 'Deployment interrupted by a shutdown', { details: 'the server stopped during this attempt; it runs again at the next start' });
  }
}

/**
 * Settles with the work, or rejects with the signal's reason as soon as it
 * aborts: work that ignores the signal (an engine call with no way to cancel)
 * cannot hold the queue or the shutdown; its late outcome is dropped.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => {});
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
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
export async function runDeployment(
  deps: RunnerDeps,
  id: string,
  attempt: number,
  maxAttempts: number,
  opts: AttemptOptions = {},
): Promise<void> {
  const existing = await deps.deployments.find(id);
  if (!existing) return void deps.log.warn('deployment job without its row', { deployment: id });
  if (existing.status === 'succeeded' || existing.status === 'failed') return;
  const operation = OPERATIONS[existing.kind];
  const d = await deps.deployments.markRunning(id, attempt);
  const target = `deployment:${d.id}`;
  const base = { service_id: d.serviceId, service: d.serviceName, kind: d.kind, attempt };
  await deps.audit.record({ actor: d.actor, action: 'deployment.start', target, outcome: 'success', details: base });
  const row = await deps.store.find(d.serviceId);
  const deadlineMs = deps.limits?.jobDeadlineMs ?? JOB_DEADLINE_MS;
  const own = new AbortController();
  const timer = setTimeout(() => own.abort(new DeadlineExceeded(deadlineMs)), deadlineMs);
  timer.unref();
  const onShutdown = () => own.abort(new ShuttingDown());
  if (opts.signal?.aborted) onShutdown();
  opts.signal?.addEventListener('abort', onShutdown, { once: true });
  const signal = own.signal;
  const apply = { signal, ...(deps.limits?.pullInactivityMs ? { pullInactivityMs: deps.limits.pullInactivityMs } : {}) };
  // The service's engine; one this process cannot find fails the deployment below (NOT_FOUND: not retried).
  const engineId = row?.engineId ?? LOCAL_ENGINE_ID;
  const engine = await deps.engines.link(engineId).catch((err: unknown) => err as Error);
  const link = engine instanceof Error ? undefined : (engine as EngineLink);
  // The engines whose views list again once the attempt ends: the service's, and a move's target too.
  const touched = [...new Set([engineId, ...(d.kind === 'move' && typeof d.params?.to === 'string' ? [d.params.to] : [])])];
  const resync = () => Promise.all(touched.map((id) => deps.engines.resync(id))).then(() => {}, () => {});
  const run: OperationRun = {
    deps,
    // Only read by a body, and a body runs only with the link (the throw below comes first).
    docker: link?.docker ?? (undefined as never),
    deployment: d,
    row,
    step: (s) => deps.deployments.addStep(d.id, s),
    details: {},
    apply,
  };
  const skipped = operation.needsService && (!row || row.deleting);
  // One audited() entry for the attempt's end: success, or the failure with whether it is retried.
  let failure: LastError | undefined;
  let retry = false;
  const scope = { actor: d.actor, target, details: base, describeError: () => ({ error: failure!.error, code: failure!.code }) };
  try {
    await audited(deps.audit, 'deployment.finish', scope, async (note) => {
      try {
        if (opts.abandoned) {
          throw new CapstanError('INTERNAL_SERVER_ERROR', 'Deployment interrupted on its last attempt', {
            details: 'the server stopped or was killed during its last attempt; run it again to retry',
          });
        }
        if (skipped) await run.step({ action: 'skip', target: 'the service is deleted or being deleted' });
        else if (!link) throw engine;
        else await untilAborted(operation.run(run), signal);
        await resync();
        if (!skipped) await settle(deps, operation, run, undefined);
        await deps.deployments.finish(d.id, {});
        deps.services.notify(d.serviceId);
        note.details = run.details;
        if (!skipped) deps.finished?.(d, { error: undefined, details: run.details });
      } catch (caught) {
        // Whatever the work threw once its signal aborted, the abort is the reason.
        const err = signal.aborted && signal.reason instanceof CapstanError ? signal.reason : caught;
        const lastError = asLastError(err);
        failure = lastError;
        if (!(err instanceof CapstanError)) deps.log.error('deployment failed unexpectedly', { deployment: d.id, error: String(err) });
        if (err instanceof DeadlineExceeded || err instanceof ShuttingDown || opts.abandoned) {
          await deps.deployments.addStep(d.id, { action: 'error', target: lastError.details ?? lastError.error }).catch(() => {});
        }
        // An attempt that used up its deadline is not given another: it would most likely hang again.
        retry = !(err instanceof DeadlineExceeded) && !opts.abandoned && RETRYABLE.has(lastError.code) && attempt < maxAttempts;
        if (retry) {
          await deps.deployments.markRetrying(d.id, lastError);
        } else {
          await resync();
          await settle(deps, operation, run, lastError);
          await deps.deployments.finish(d.id, { error: lastError });
          deps.finished?.(d, { error: lastError, details: run.details });
        }
        deps.services.notify(d.serviceId);
        note.details = { ...run.details, will_retry: retry };
        throw err;
      }
    });
  } catch (err) {
    // Only a retryable failure goes back to the queue; any other has been recorded as final.
    if (retry || failure === undefined) throw err;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onShutdown);
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
