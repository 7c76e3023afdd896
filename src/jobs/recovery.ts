import type { WorkerUtils } from 'graphile-worker';
import type { DeploymentRow } from '../server/services/deployment-store.js';
import { DEPLOY_TASK } from './tasks/deploy.js';

/**
 * At start, every deployment still queued or running gets a job that will
 * finish it. A lost job (a crash between the row and the job) is added
 * again. A job that used up its attempts without ending its deployment (the
 * process was killed during its last one) is never picked up again, and its
 * key made a plain re-queue a no-op: it is replaced by a one-attempt job that
 * fails the deployment with that reason, through the runner (so its settle
 * step, audit and status feed run as for any failure).
 */
export async function recoverDeployments(
  utils: WorkerUtils,
  active: DeploymentRow[],
  enqueue: (d: DeploymentRow) => Promise<void>,
): Promise<void> {
  for (const d of active) {
    const key = `deployment:${d.id}`;
    const { rows } = await utils.withPgClient((client) =>
      client.query<{ spent: boolean }>(
        'SELECT attempts >= max_attempts AS spent FROM graphile_worker._private_jobs WHERE key = $1 AND locked_at IS NULL',
        [key],
      ),
    );
    if (rows[0]?.spent) {
      await utils.addJob(DEPLOY_TASK, { deploymentId: d.id, abandoned: true }, {
        queueName: `service:${d.serviceId}`,
        jobKey: key,
        jobKeyMode: 'replace',
        maxAttempts: 1,
      });
    } else {
      await enqueue(d);
    }
  }
}
