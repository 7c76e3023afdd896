import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { runDeployment, type RunnerDeps } from '../../server/services/deploy-runner.js';

export const DEPLOY_TASK = 'deploy';
export const zDeployPayload = z.object({ deploymentId: z.string().min(1) });

/** Applies a service's current definition (create, update, env change, redeploy) as one deployment. */
export function deployTask(deps: RunnerDeps): Task {
  return async (payload, helpers) => {
    const { deploymentId } = zDeployPayload.parse(payload);
    await runDeployment(deps, deploymentId, helpers.job.attempts, helpers.job.max_attempts);
  };
}
