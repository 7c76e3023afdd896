import { readProjectDefinition } from '../docker/adopt-read.js';
import { listComposeContainers, type ContainerInfo } from '../docker/containers.js';
import { LABEL_CONTAINER_NUMBER } from '../docker/labels.js';
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
 * (started by compose, or by hand with its labels). A project of the name of
 * a service on another engine is listed (it is not that service's), unless
 * that engine is the same daemon under another entry and the service an
 * adopted one (whose containers carry no Capstan label to tell them by).
 * Its adoption is refused while the name is taken, as service names are one namespace.
 */
export async function discoverProjects(engines: EnginePool, engineId: string, store: ServiceStore): Promise<DiscoveredProject[]> {
  const docker = await engines.docker(engineId);
  const rows = await store.list();
  const taken = new Set(rows.filter((r) => r.engineId === engineId).map((r) => r.name));
  const byProject = new Map<string, ContainerInfo[]>();
  for (const c of await listComposeContainers(docker)) {
    if (c.serviceId || taken.has(c.project)) continue;
    byProject.set(c.project, [...(byProject.get(c.project) ?? []), c]);
  }
  for (const name of await adoptedOnSameDaemon(engines, engineId, rows.filter((r) => r.adopted && r.engineId !== engineId && byProject.has(r.name)))) {
    byProject.delete(name);
  }
  return [...byProject.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([project, list]) => ({
      project,
      containers: list.map((c) => ({ name: c.name, service: c.key, image: c.image, status: c.state })),
    }));
}

/** The names of those adopted services whose engine is this engine's daemon under another entry (asked only when there are any). */
async function adoptedOnSameDaemon(engines: EnginePool, engineId: string, candidates: ServiceRow[]): Promise<string[]> {
  if (candidates.length === 0) return [];
  const idOf = async (id: string) => (engines.isAvailable(id) ? (await (await engines.link(id)).engine.identity().catch(() => undefined))?.daemonId : undefined);
  const mine = await idOf(engineId);
  if (!mine) return [];
  const ids = new Map<string, string | undefined>();
  for (const id of new Set(candidates.map((r) => r.engineId))) ids.set(id, await idOf(id));
  return candidates.filter((r) => ids.get(r.engineId) === mine).map((r) => r.name);
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
  const byKey = new Map<string, ContainerInfo[]>();
  for (const c of containers) {
    if (!c.key) warnings.push(`container "${c.name}" has no compose service label and was left out`);
    else byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
  }
  // A scaled service: its first replica stands for all, and the count becomes `scale`.
  const number = (c: ContainerInfo) => Number(c.labels[LABEL_CONTAINER_NUMBER] ?? 1);
  const first = [...byKey.values()].map((list) => [...list].sort((a, b) => number(a) - number(b))[0]!);
  const scale = Object.fromEntries([...byKey].map(([key, list]) => [key, list.length]));
  const read = await readProjectDefinition(docker, project, first, scale);
  warnings.push(...read.warnings);
  const services = read.services;
  for (const def of Object.values(services)) {
    const deps = (def.depends_on as string[] | undefined)?.filter((d) => d in services);
    if (deps?.length) def.depends_on = deps;
    else delete def.depends_on;
  }
  const document = {
    services,
    ...(Object.keys(read.networks).length ? { networks: read.networks } : {}),
    ...(Object.keys(read.volumes).length ? { volumes: read.volumes } : {}),
  };
  // The rebuilt document becomes the project folder's compose.yaml, as for any service, once
  // the compose pipeline reads it. Its values are what the containers run with: literal, never interpolated.
  const loaded = store.projects.check(project, { yaml: composeYaml(document, { literal: true }), env: '' }, false);
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
