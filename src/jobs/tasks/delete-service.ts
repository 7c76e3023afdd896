import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { runDeployment, type RunnerDeps } from '../../server/services/deploy-runner.js';

export const DELETE_SERVICE_TASK = 'delete-service';
export const zDeleteServicePayload = z.object({ deploymentId: z.string().min(1) });

/** Removes a service's containers and network (and volumes for a hard delete), then its row. */
export function deleteServiceTask(deps: RunnerDeps): Task {
  return async (payload, helpers) => {
    const { deploymentId } = zDeleteServicePayload.parse(payload);
    await runDeployment(deps, deploymentId, helpers.job.attempts, helpers.job.max_attempts);
  };
}
