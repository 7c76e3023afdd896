import type Docker from 'dockerode';
import { readContainerDefinition, type AdoptedService } from '../docker/adopt-read.js';
import { listComposeContainers, type ContainerInfo } from '../docker/containers.js';
import { CapstanError } from '../errors.js';
import { composeYaml } from './definitions.js';
import { invalidProject } from './project-loader.js';
import { COMPOSE_FILE, ENV_FILE } from './project-files.js';
import type { ServiceRow, ServiceStore } from './service-store.js';

export interface DiscoveredProject {
  project: string;
  containers: { name: string; service: string; image: string; status: string }[];
}

/** Compose projects that run on the engine but are no Capstan service (started by compose, or by hand with its labels). */
export async function discoverProjects(docker: Docker, store: ServiceStore): Promise<DiscoveredProject[]> {
  const taken = new Set((await store.list()).map((r) => r.name));
  const byProject = new Map<string, ContainerInfo[]>();
  for (const c of await listComposeContainers(docker)) {
    if (c.serviceId || taken.has(c.project)) continue;
    byProject.set(c.project, [...(byProject.get(c.project) ?? []), c]);
  }
  return [...byProject.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([project, list]) => ({
      project,
      containers: list.map((c) => ({ name: c.name, service: c.key, image: c.image, status: c.state })),
    }));
}

/**
 * Turns a compose project into a Capstan service without touching its
 * containers: the definition is rebuilt from their configuration.
 */
export async function adoptProject(docker: Docker, store: ServiceStore, project: string): Promise<{ row: ServiceRow; warnings: string[] }> {
  if (await store.findByName(project)) {
    throw new CapstanError('CONFLICT', 'Service name already used', { details: `project: a service named "${project}" exists` });
  }
  const containers = (await listComposeContainers(docker)).filter((c) => c.project === project && !c.serviceId);
  if (containers.length === 0) {
    throw new CapstanError('NOT_FOUND', 'Compose project not found', { details: `project: no unmanaged containers labelled with project "${project}"` });
  }
  const warnings: string[] = [];
  const services: Record<string, AdoptedService> = {};
  for (const c of containers) {
    if (!c.key) {
      warnings.push(`container "${c.name}" has no compose service label and was left out`);
      continue;
    }
    if (services[c.key]) {
      warnings.push(`service "${c.key}" has more than one container; only one was adopted`);
      continue;
    }
    const read = await readContainerDefinition(docker, project, c);
    services[c.key] = read.definition;
    warnings.push(...read.warnings);
  }
  for (const def of Object.values(services)) {
    if (def.depends_on) def.depends_on = def.depends_on.filter((d) => d in services);
    if (def.depends_on?.length === 0) delete def.depends_on;
  }
  // The rebuilt document becomes the project folder's compose.yaml, as for any service, once
  // the compose pipeline reads it. Its values are what the containers run with: literal, never interpolated.
  const loaded = store.projects.check(project, { yaml: composeYaml({ services }, { literal: true }), env: '' }, false);
  if (!loaded.ok) {
    throw invalidProject(loaded.issues, 'This project cannot be expressed as a Capstan service');
  }
  const dir = store.projects.dir(project);
  store.projects.folders.writeFiles(dir, {
    [COMPOSE_FILE]: loaded.yaml,
    ...(store.projects.folders.read(dir, ENV_FILE) === undefined ? { [ENV_FILE]: '' } : {}),
  });
  store.projects.forget(project);
  return { row: await store.insert(project, true), warnings };
}
