import { readContainerDefinition, type AdoptedService } from '../docker/adopt-read.js';
import { listComposeContainers, type ContainerInfo } from '../docker/containers.js';
import { CapstanError } from '../errors.js';
import { composeYaml } from './definitions.js';
import type { EnginePool } from './engines.js';
import { invalidProject } from './project-loader.js';
import { COMPOSE_FILE, ENV_FILE } from './project-files.js';
import type { ServiceRow, ServiceStore } from './service-store.js';

export interface DiscoveredProject {
  project: string;
  containers: { name: string; service: string; image: string; status: string }[];
}

/**
 * Compose projects that run on one engine but are no Capstan service there
 * (started by compose, or by hand with its labels). A project of the name
 * of a service on another engine is listed (it is not that service's); its
 * adoption is refused while the name is taken, as service names are one namespace.
 */
export async function discoverProjects(engines: EnginePool, engineId: string, store: ServiceStore): Promise<DiscoveredProject[]> {
  const docker = await engines.docker(engineId);
  const taken = new Set((await store.list()).filter((r) => r.engineId === engineId).map((r) => r.name));
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
 * Turns a compose project on one engine into a Capstan service on that
 * engine without touching its containers: the definition is rebuilt from
 * their configuration.
 */
export async function adoptProject(engines: EnginePool, store: ServiceStore, project: string, engineId: string): Promise<{ row: ServiceRow; warnings: string[] }> {
  const docker = await engines.docker(engineId);
  const existing = await store.findByName(project);
  if (existing) {
    const where = existing.engineId === engineId ? '' : ` on engine "${existing.engineId}"`;
    throw new CapstanError('CONFLICT', 'Service name already used', { details: `project: a service named "${project}" exists${where}` });
  }
  const containers = (await listComposeContainers(docker)).filter((c) => c.project === project && !c.serviceId);
  if (containers.length === 0) {
    throw new CapstanError('NOT_FOUND', 'Compose project not found', { details: `project: no unmanaged containers labelled with project "${project}" on engine "${engineId}"` });
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
  return { row: await store.insert(project, true, engineId), warnings };
}
