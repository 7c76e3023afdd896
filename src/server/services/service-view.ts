import type { ContainerInfo } from '../docker/containers.js';
import { containerNameOf } from '../docker/compose-plan.js';
import { dependencyOrder } from '../../shared/definition.js';
import type { ContainerObject, ServiceObject } from '../../shared/schemas.js';
import { belongsTo } from './apply.js';
import type { ServiceRow } from './service-store.js';

const KNOWN_STATES = new Set(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);

function portsOf(c: ContainerInfo): string[] {
  return c.ports
    .filter((p) => p.publicPort)
    .map((p) => `${p.ip ?? ''}${p.ip ? ':' : ''}${p.publicPort}->${p.privatePort}/${p.type}`);
}

/** The containers of a service as the definition names them, matched with what the engine reports. */
export function containersOf(row: ServiceRow, all: ContainerInfo[]): { objects: ContainerObject[]; infos: (ContainerInfo | undefined)[] } {
  const mine = all.filter((c) => belongsTo(c, row));
  const def = row.definition;
  const objects: ContainerObject[] = [];
  const infos: (ContainerInfo | undefined)[] = [];
  for (const key of dependencyOrder(def.services)) {
    const spec = def.services[key]!;
    const name = containerNameOf(def.name, key, spec);
    const info = mine.find((c) => c.name === name) ?? mine.find((c) => c.key === key);
    infos.push(info);
    objects.push({
      name,
      service: key,
      image: spec.image,
      container_id: info?.id ?? null,
      status: info ? ((KNOWN_STATES.has(info.state) ? info.state : 'dead') as ContainerObject['status']) : 'missing',
      health: info?.health ?? 'none',
      ports: info ? portsOf(info) : [],
    });
  }
  return { objects, infos };
}

export function serviceStatus(row: ServiceRow, containers: ContainerObject[], busy: boolean): ServiceObject['status'] {
  if (busy) return 'deploying';
  if (row.lastError) return 'error';
  const up = containers.filter((c) => c.status === 'running').length;
  if (up === 0) return 'stopped';
  return up === containers.length ? 'running' : 'partial';
}

export function toServiceObject(row: ServiceRow, all: ContainerInfo[], busy: boolean): ServiceObject {
  const { objects } = containersOf(row, all);
  return {
    id: row.id,
    name: row.name,
    status: serviceStatus(row, objects, busy),
    containers: objects,
    definition: row.definition as unknown as Record<string, unknown>,
    adopted: row.adopted,
    last_error: row.lastError ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
