import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { runDeployment, type RunnerDeps } from '../../server/services/deploy-runner.js';

/** The one runner's task: every deployment, of any kind, is one job of it on the service's queue. */
export const DEPLOY_TASK = 'deploy';
/** Deletes were their own task before the one runner; jobs queued under that name still run. */
export const LEGACY_DELETE_TASK = 'delete-service';
export const zDeployPayload = z.object({
  deploymentId: z.string().min(1),
  /** Set by start-up recovery when the job's attempts ran out with the deployment unfinished. */
  abandoned: z.boolean().default(false),
});

/** Runs one deployment (its kind says what it does: see services/operations.ts). */
export function deployTask(deps: RunnerDeps): Task {
  return async (payload, helpers) => {
    const { deploymentId, abandoned } = zDeployPayload.parse(payload);
    // The worker's signal aborts at shutdown: a stalled attempt is released then, not waited for.
    await runDeployment(deps, deploymentId, helpers.job.attempts, helpers.job.max_attempts, { signal: helpers.abortSignal, abandoned });
  };
}
