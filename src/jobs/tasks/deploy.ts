import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { runDeployment, type RunnerDeps } from '../../server/services/deploy-runner.js';

/** The one runner's task: every deployment, of any kind, is one job of it on the service's queue. */
export const DEPLOY_TASK = 'deploy';
/** Deletes were their own task before the one runner; jobs queued under that name still run. */
export const LEGACY_DELETE_TASK = 'delete-service';
export const zDeployPayload = z.object({ deploymentId: z.string().min(1) });

/** Runs one deployment (its kind says what it does: see services/operations.ts). */
export function deployTask(deps: RunnerDeps): Task {
  return async (payload, helpers) => {
    const { deploymentId } = zDeployPayload.parse(payload);
    await runDeployment(deps, deploymentId, helpers.job.attempts, helpers.job.max_attempts);
  };
}
