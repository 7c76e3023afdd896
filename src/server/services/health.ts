import type { HealthStatus } from '../../shared/schemas.js';
import type { ServiceManager } from './services.js';

/** The at-a-glance status of every service, from the read view (no engine call). */
export async function getHealthStatus(services: ServiceManager): Promise<HealthStatus> {
  return (await services.view.current()).healthStatus;
}
