import type { HealthStatus } from '../../shared/schemas.js';
import type { Engine } from '../docker/engine.js';

/**
 * The at-a-glance status of every service. Asking the engine first makes an
 * unreachable engine a 503 rather than a stale answer.
 */
export async function getHealthStatus(engine: Engine): Promise<HealthStatus> {
  await engine.listManagedContainers();
  // The services table arrives with the services issue; until then there is nothing to report.
  return { services: [] };
}
