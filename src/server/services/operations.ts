import type Docker from 'dockerode';
import type { LastError } from '../../db/schema.js';
import { applyPlan, type ApplyOptions, type Step } from './apply.js';
import type { RunnerDeps } from './deploy-runner.js';
import type { DeploymentKind, DeploymentRow } from './deployment-store.js';
import { imageUpdateOperation } from './image-update.js';
import { moveOperation } from './operation-move.js';
import { deleteOperation } from './operation-delete.js';
import { recordLastError, restartOperation, startOperation, stopOperation } from './operation-lifecycle.js';
import { planFor } from './project-loader.js';
import { scheduledOperation } from './scheduled-run.js';
import type { ServiceRow } from './service-store.js';

/** What one attempt of a deployment works with. */
export interface OperationRun {
  deps: RunnerDeps;
  /** The client of the service's engine (of `local` once the service is gone). */
  docker: Docker;
  deployment: DeploymentRow;
  /** The service as the attempt starts; undefined once deleted. */
  row: ServiceRow | undefined;
  step(s: Step): Promise<unknown>;
  /** Added to the deployment.finish audit entry (never secrets). */
  details: Record<string, unknown>;
  /** The attempt's bounds: aborts at its deadline or the worker's shutdown; pass it to whatever waits. */
  apply: ApplyOptions & { signal: AbortSignal };
}

/** The body of one kind of deployment. The runner owns everything around it (status, audit, retries). */
export interface Operation {
  /** Skipped (not failed) when the service is gone or being deleted: what it would change is going away. */
  needsService: boolean;
  /** Idempotent: a retry after a crash converges. Throws a CapstanError to fail. */
  run(op: OperationRun): Promise<void>;
  /** After the last attempt, before the deployment is marked finished (so a reader of its end sees this). */
  settle?(op: OperationRun, error: LastError | undefined): Promise<void>;
}

/** Create, update, env change and redeploy: apply the folder as it is now. */
const applyOperation: Operation = {
  needsService: true,
  async run({ deps, docker, deployment, row, step, apply }) {
    // The folder as it is now: a file edited on the host since the request is what is applied, and recorded.
    await deps.deployments.recordSource(deployment.id, row!.project.yaml ?? null, row!.project.envHash);
    await applyPlan(docker, row!, planFor(row!.id, row!.project, row!.dir), step, apply);
  },
  settle: recordLastError,
};

/** Every kind, explicitly: a new kind does not compile until it has its body here. */
export const OPERATIONS: Record<DeploymentKind, Operation> = {
  create: applyOperation,
  update: applyOperation,
  env: applyOperation,
  redeploy: applyOperation,
  start: startOperation,
  stop: stopOperation,
  restart: restartOperation,
  scheduled: scheduledOperation,
  'image-update': imageUpdateOperation,
  move: moveOperation,
  delete: deleteOperation,
};
