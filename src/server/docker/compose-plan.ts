import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { ComposeDependsOn, ComposeProject, ComposeService } from '../../shared/compose/model.js';
import { CapstanError } from '../errors.js';
import { LABEL_COMPOSE_CONFIG_HASH, LABEL_CONFIG_HASH } from './labels.js';
import { containerConfig, type PlanContext } from './plan-container.js';
import { hostConfig } from './plan-host.js';
import { planMounts, type FileInject } from './plan-mounts.js';
import { planNetwork, planNetworking, planVolume, type EndpointSettings, type PlannedNetwork, type PlannedVolume } from './plan-network.js';

export type { FileInject } from './plan-mounts.js';
export type { PlannedNetwork, PlannedVolume } from './plan-network.js';

/** A HostConfig/Config field naming another service's container: its id is put in at apply time, as compose does. */
export interface ContainerRef {
  field: 'NetworkMode' | 'IpcMode' | 'PidMode';
  service: string;
  container: string;
}

/**
 * The pure half of applying a compose project: what Docker objects it asks
 * for, as compose v2's create.go would build them. The executor compares this
 * with what runs.
 */
export interface DesiredContainer {
  /** The compose service key ("web"). */
  key: string;
  name: string;
  /** com.docker.compose.container-number. */
  number: number;
  image: string;
  /** Services this one needs first (depends_on plus links, volumes_from and shared namespaces). */
  dependsOn: string[];
  /** Hash of everything that defines the container; a different hash means recreate. */
  hash: string;
  create: Docker.ContainerCreateOptions;
  /** Networks beyond the primary one, connected after create, before start. */
  connect: { network: string; endpoint: EndpointSettings }[];
  /** Secrets/configs copied in before start. Their content never goes into a step, log or error. */
  files: FileInject[];
  refs: ContainerRef[];
  platform?: string;
}

export interface PlannedService {
  key: string;
  scale: number;
  image: string;
  pullPolicy: NonNullable<ComposeService['pull_policy']>;
  dependsOn: Record<string, ComposeDependsOn>;
  containers: string[];
}

export interface ServicePlan {
  project: string;
  networks: PlannedNetwork[];
  volumes: PlannedVolume[];
  /** In dependency order: dependencies first. */
  services: PlannedService[];
  /** In dependency order; replicas by number. */
  containers: DesiredContainer[];
  /** Services left out by profiles: a depends_on on them is not waited for. */
  disabled: string[];
  warnings: string[];
}

export interface PlanMeta {
  workingDir: string;
  configFiles: string[];
  environmentFile?: string;
  /** The project's variables (.env): what `secrets/configs.*.environment` read. Never stored in the plan but as file content. */
  env?: Record<string, string | undefined>;
}

export const networkName = (project: string, key = 'default') => `${project}_${key}`;
export const volumeName = (project: string, volume: string) => `${project}_${volume}`;
export const defaultContainerName = (project: string, key: string, number = 1) => `${project}-${key}-${number}`;

/** scale, or deploy.replicas; absent: 1. */
export const scaleOf = (s: Pick<ComposeService, 'scale' | 'deploy'>) => s.scale ?? s.deploy?.replicas ?? 1;

export const containerNameOf = (project: string, key: string, c: { container_name?: string | undefined }, number = 1) =>
  c.container_name ?? defaultContainerName(project, key, number);

/** The containers a project runs, in dependency order (for the service view and planning). */
export function expectedContainers(project: ComposeProject): { key: string; name: string; number: number }[] {
  return serviceOrder(project).flatMap((key) => {
    const s = project.services[key]!;
    return Array.from({ length: scaleOf(s) }, (_, i) => ({ key, name: containerNameOf(project.name, key, s, i + 1), number: i + 1 }));
  });
}

/** JSON with sorted keys, so equal configurations hash equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const serviceOf = (mode: string | undefined) => (mode?.startsWith('service:') ? mode.slice('service:'.length) : undefined);

/** Every service another must wait for: depends_on, and what compose-go adds implicitly (links, volumes_from, namespaces). */
export function dependenciesOf(s: ComposeService): string[] {
  const deps = new Set(Object.keys(s.depends_on ?? {}));
  for (const l of s.links ?? []) deps.add(l.split(':')[0]!);
  for (const v of s.volumes_from ?? []) if (!v.startsWith('container:')) deps.add(v.split(':')[0]!);
  for (const mode of [s.network_mode, s.ipc, s.pid]) {
    const dep = serviceOf(mode);
    if (dep) deps.add(dep);
  }
  return [...deps];
}

/** Services dependencies first; ties by key, so the order is stable. A cycle is a 400. */
export function serviceOrder(project: ComposeProject): string[] {
  const keys = Object.keys(project.services).sort();
  const deps = new Map(keys.map((k) => [k, dependenciesOf(project.services[k]!).filter((d) => d in project.services)]));
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < keys.length) {
    const ready = keys.filter((k) => !done.has(k) && deps.get(k)!.every((d) => done.has(d)));
    if (ready.length === 0) {
      const stuck = keys.filter((k) => !done.has(k));
      throw new CapstanError('BAD_REQUEST', 'Dependency cycle between services', { details: `services: ${stuck.join(', ')}` });
    }
    for (const k of ready) {
      done.add(k);
      order.push(k);
    }
  }
  return order;
}

/** compose's getLinks: each container of the linked service, under the alias and its numbered names. */
function linksOf(project: ComposeProject, s: ComposeService, number: number): string[] {
  const links: string[] = [];
  for (const raw of s.links ?? []) {
    const [svc, alias = svc] = raw.split(':') as [string, string?];
    const linked = project.services[svc];
    if (!linked) continue;
    for (let n = 1; n <= scaleOf(linked); n++) {
      const name = containerNameOf(project.name, svc, linked, n);
      links.push(`${name}:${alias}`, `${name}:${svc}-${number}`, `${name}:${project.name}-${svc}-${number}`);
    }
  }
  for (const raw of s.external_links ?? []) {
    const [ext, alias = ext] = raw.split(':') as [string, string?];
    links.push(`${ext}:${alias}`);
  }
  return links;
}

function firstContainerOf(project: ComposeProject, key: string): string {
  const s = project.services[key];
  if (!s || scaleOf(s) < 1) throw new CapstanError('BAD_REQUEST', `Service ${key} has no container to share`, { details: `services.${key}` });
  return containerNameOf(project.name, key, s, 1);
}

function volumesFrom(project: ComposeProject, s: ComposeService): string[] | undefined {
  if (!s.volumes_from) return undefined;
  return s.volumes_from.map((spec) => {
    const parts = spec.split(':');
    if (parts[0] === 'container') return parts.slice(1).join(':');
    const [svc, mode] = parts as [string, string?];
    return `${firstContainerOf(project, svc)}${mode ? `:${mode}` : ''}`;
  });
}

function planContainer(project: ComposeProject, ctx: PlanContext, meta: PlanMeta, s: ComposeService, number: number, warnings: string[]): DesiredContainer {
  const name = containerNameOf(project.name, s.name, s, number);
  const config = containerConfig(ctx, s, number);
  const host = hostConfig(s, meta.workingDir);
  const mounts = planMounts(project, s, meta.env ?? {});
  if (number === 1) warnings.push(...mounts.warnings);
  if (mounts.binds.length) host.Binds = mounts.binds;
  if (mounts.mounts.length) host.Mounts = mounts.mounts as unknown as Docker.MountSettings[];
  const links = linksOf(project, s, number);
  if (links.length) host.Links = links;
  const vf = volumesFrom(project, s);
  if (vf) host.VolumesFrom = vf;
  const refs: ContainerRef[] = [];
  const net = planNetworking(project, s, name, links, (dep) => firstContainerOf(project, dep));
  host.NetworkMode = net.mode;
  if (net.modeService) refs.push({ field: 'NetworkMode', service: net.modeService, container: firstContainerOf(project, net.modeService) });
  for (const [field, value] of [['IpcMode', s.ipc], ['PidMode', s.pid]] as const) {
    if (value === undefined) continue;
    const dep = serviceOf(value);
    if (dep) {
      const container = firstContainerOf(project, dep);
      host[field] = `container:${container}`;
      refs.push({ field, service: dep, container });
    } else host[field] = value;
  }
  const create: Docker.ContainerCreateOptions = {
    name,
    ...config,
    ...(net.macAddress ? { MacAddress: net.macAddress } : {}),
    HostConfig: host,
    ...(net.endpoints ? { NetworkingConfig: { EndpointsConfig: net.endpoints } } : {}),
  };
  const hashed = {
    create,
    connect: net.connect,
    files: mounts.files.map((f) => ({ ...f, content: sha256(f.content) })),
    platform: s.platform,
  };
  const hash = sha256(canonicalJson(hashed)).slice(0, 32);
  create.Labels = { ...create.Labels, [LABEL_CONFIG_HASH]: hash, [LABEL_COMPOSE_CONFIG_HASH]: composeServiceHash(s) };
  return {
    key: s.name,
    name,
    number,
    image: s.image,
    dependsOn: dependenciesOf(s).filter((d) => d in project.services),
    hash,
    create,
    connect: net.connect,
    files: mounts.files,
    refs,
    ...(s.platform ? { platform: s.platform } : {}),
  };
}

/** compose's ServiceHash leaves out what does not define a container: scale, replicas, depends_on, profiles, pull_policy. */
function composeServiceHash(s: ComposeService): string {
  const { scale: _scale, depends_on: _deps, profiles: _profiles, pull_policy: _pull, ...rest } = s;
  const deploy = rest.deploy ? { ...rest.deploy, replicas: undefined } : undefined;
  return sha256(canonicalJson({ ...rest, deploy }));
}

export function planProject(serviceId: string, project: ComposeProject, meta: PlanMeta): ServicePlan {
  const ctx: PlanContext = {
    project: project.name,
    serviceId,
    workingDir: meta.workingDir,
    configFiles: meta.configFiles,
    ...(meta.environmentFile ? { environmentFile: meta.environmentFile } : {}),
  };
  const warnings: string[] = [];
  const order = serviceOrder(project);
  const services: PlannedService[] = [];
  const containers: DesiredContainer[] = [];
  for (const key of order) {
    const s = project.services[key]!;
    const scale = scaleOf(s);
    if (scale > 1 && s.container_name) {
      throw new CapstanError('BAD_REQUEST', `Service ${key} sets container_name and has ${scale} replicas: container names must be unique`, {
        details: `services.${key}.container_name`,
      });
    }
    const planned = Array.from({ length: scale }, (_, i) => planContainer(project, ctx, meta, s, i + 1, warnings));
    containers.push(...planned);
    services.push({
      key,
      scale,
      image: s.image,
      pullPolicy: s.pull_policy ?? 'missing',
      dependsOn: s.depends_on ?? {},
      containers: planned.map((c) => c.name),
    });
  }
  // As compose-go drops resources no service uses, only those are created (or, external, checked).
  const usedNetworks = new Set<string>();
  const usedVolumes = new Set<string>();
  for (const s of Object.values(project.services)) {
    if (s.network_mode === undefined) for (const k of Object.keys(s.networks ?? { default: {} })) usedNetworks.add(k);
    for (const v of s.volumes ?? []) if (v.type === 'volume' && v.source !== undefined) usedVolumes.add(v.source);
  }
  const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : 1);
  return {
    project: project.name,
    networks: Object.entries(project.networks)
      .filter(([key]) => usedNetworks.has(key))
      .sort(byKey)
      .map(([key, n]) => planNetwork(project.name, serviceId, key, n)),
    volumes: Object.entries(project.volumes)
      .filter(([key]) => usedVolumes.has(key))
      .sort(byKey)
      .map(([key, v]) => planVolume(project.name, serviceId, key, v)),
    services,
    containers,
    disabled: project.disabled_services ?? [],
    warnings,
  };
}
