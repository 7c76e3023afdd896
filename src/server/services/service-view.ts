import type { ContainerInfo } from '../docker/containers.js';
import { expectedContainers } from '../docker/compose-plan.js';
import { LABEL_CONTAINER_NUMBER } from '../docker/labels.js';
import type { ContainerObject, ServiceObject } from '../../shared/schemas.js';
import { belongsTo } from './apply.js';
import type { ServiceRow } from './service-store.js';

const KNOWN_STATES = new Set(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);

function portsOf(c: ContainerInfo): string[] {
  return c.ports
    .filter((p) => p.publicPort)
    .map((p) => `${p.ip ?? ''}${p.ip ? ':' : ''}${p.publicPort}->${p.privatePort}/${p.type}`);
}

function toObject(name: string, key: string, image: string, info: ContainerInfo | undefined): ContainerObject {
  return {
    name,
    service: key,
    image,
    container_id: info?.id ?? null,
    status: info ? ((KNOWN_STATES.has(info.state) ? info.state : 'dead') as ContainerObject['status']) : 'missing',
    health: info?.health ?? 'none',
    ports: info ? portsOf(info) : [],
  };
}

/**
 * The containers of a service as its project names them (replicas included,
 * dependencies first), matched with what the engine reports. When the folder
 * does not load, the containers that run are shown as they are.
 */
export function containersOf(row: ServiceRow, all: ContainerInfo[]): { objects: ContainerObject[]; infos: (ContainerInfo | undefined)[] } {
  const mine = all.filter((c) => belongsTo(c, row));
  if (!row.project.ok) {
    return { objects: mine.map((c) => toObject(c.name, c.key, c.image, c)), infos: mine };
  }
  const project = row.project.project;
  const objects: ContainerObject[] = [];
  const infos: (ContainerInfo | undefined)[] = [];
  for (const { key, name, number } of expectedContainers(project)) {
    const info =
      mine.find((c) => c.name === name) ??
      (number === 1 ? mine.find((c) => c.key === key && (c.labels[LABEL_CONTAINER_NUMBER] ?? '1') === '1') : undefined);
    infos.push(info);
    objects.push(toObject(name, key, project.services[key]!.image, info));
  }
  return { objects, infos };
}

/** A service's status; `unknown` while its engine does not answer (what the view holds of it is not current). */
export function serviceStatus(row: ServiceRow, containers: ContainerObject[], busy: boolean, engineUp = true): ServiceObject['status'] {
  if (!engineUp) return 'unknown';
  if (busy) return 'deploying';
  if (row.lastError) return 'error';
  const up = containers.filter((c) => c.status === 'running').length;
  if (up === 0) return 'stopped';
  return up === containers.length ? 'running' : 'partial';
}

export function toServiceObject(row: ServiceRow, all: ContainerInfo[], busy: boolean, engineUp = true): ServiceObject {
  const { objects } = containersOf(row, all);
  return {
    id: row.id,
    name: row.name,
    engine_id: row.engineId,
    status: serviceStatus(row, objects, busy, engineUp),
    containers: objects,
    definition: row.project.ok ? (row.project.project as unknown as Record<string, unknown>) : null,
    definition_errors: row.project.ok ? [] : row.project.issues.map((i) => ({ path: i.path, line: i.line ?? null, message: i.message })),
    adopted: row.adopted,
    last_error: row.lastError ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
