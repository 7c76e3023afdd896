import type { HealthStatus } from '../../shared/schemas.js';
import type { ServiceManager } from './services.js';

/** The at-a-glance status of every service, from the read view (no engine call). */
export async function getHealthStatus(services: ServiceManager): Promise<HealthStatus> {
  const { list } = await services.view.current();
  return { services: list.map((s) => ({ id: s.id, name: s.name, engine_id: s.engine_id, status: s.status })) };
}
