import type { DeploymentObject } from '../../shared/schemas.js';
import type { DeploymentRow } from './deployment-store.js';

export function toDeploymentObject(d: DeploymentRow): DeploymentObject {
  return {
    id: d.id,
    service_id: d.serviceId,
    service_name: d.serviceName,
    kind: d.kind,
    status: d.status,
    actor: d.actor,
    steps: d.steps,
    error: d.error ?? null,
    attempts: d.attempts,
    env_hash: d.envHash ?? null,
    created_at: d.createdAt.toISOString(),
    started_at: d.startedAt?.toISOString() ?? null,
    finished_at: d.finishedAt?.toISOString() ?? null,
  };
}

export const isFinished = (d: DeploymentRow) => d.status === 'succeeded' || d.status === 'failed';
