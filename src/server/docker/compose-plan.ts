import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import {
  dependencyOrder,
  parseDuration,
  parsePort,
  parseVolume,
  type ContainerDefinition,
  type ServiceDefinition,
} from '../../shared/definition.js';
import {
  LABEL_COMPOSE_NETWORK,
  LABEL_COMPOSE_SERVICE,
  LABEL_COMPOSE_VOLUME,
  LABEL_CONFIG_HASH,
  LABEL_CONTAINER_NUMBER,
  LABEL_DEPENDS_ON,
  LABEL_ONEOFF,
  LABEL_PROJECT,
  LABEL_SERVICE_ID,
} from './labels.js';

/**
 * The pure half of applying a definition: what Docker objects the definition
 * asks for. The executor compares this with what runs.
 */
export interface DesiredContainer {
  /** The compose service key ("web"). */
  key: string;
  name: string;
  image: string;
  dependsOn: string[];
  /** Hash of everything that defines the container; a different hash means recreate. */
  hash: string;
  create: Docker.ContainerCreateOptions;
}

export interface ServicePlan {
  project: string;
  network: { name: string; labels: Record<string, string> };
  volumes: { name: string; labels: Record<string, string> }[];
  /** In depends_on order: dependencies first. */
  containers: DesiredContainer[];
}

export const networkName = (project: string) => `${project}_default`;
export const volumeName = (project: string, volume: string) => `${project}_${volume}`;
export const defaultContainerName = (project: string, key: string) => `${project}-${key}-1`;

export const containerNameOf = (project: string, key: string, c: ContainerDefinition) =>
  c.container_name ?? defaultContainerName(project, key);

function baseLabels(project: string, serviceId: string): Record<string, string> {
  return { [LABEL_PROJECT]: project, [LABEL_SERVICE_ID]: serviceId };
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

function restartPolicy(restart: string | undefined): Docker.HostRestartPolicy {
  if (!restart || restart === 'no') return { Name: 'no' };
  const [name, count] = restart.split(':');
  return count ? { Name: name!, MaximumRetryCount: Number(count) } : { Name: name! };
}

function healthcheck(h: ContainerDefinition['healthcheck']): Docker.HealthConfig | undefined {
  if (!h) return undefined;
  if (h.disable) return { Test: ['NONE'] };
  const config: Docker.HealthConfig = { Test: h.test };
  if (h.interval) config.Interval = parseDuration(h.interval);
  if (h.timeout) config.Timeout = parseDuration(h.timeout);
  if (h.start_period) config.StartPeriod = parseDuration(h.start_period);
  if (h.retries !== undefined) config.Retries = h.retries;
  return config;
}

function containerCreateOptions(project: string, serviceId: string, key: string, c: ContainerDefinition): Docker.ContainerCreateOptions {
  const name = containerNameOf(project, key, c);
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp?: string; HostPort?: string }[]> = {};
  for (const spec of c.ports ?? []) {
    const p = parsePort(spec);
    const port = `${p.containerPort}/${p.protocol}`;
    exposed[port] = {};
    (bindings[port] ??= []).push({
      ...(p.hostIp ? { HostIp: p.hostIp } : {}),
      HostPort: p.hostPort ? String(p.hostPort) : '',
    });
  }
  const mounts: Docker.MountSettings[] = (c.volumes ?? []).map((spec) => {
    const v = parseVolume(spec);
    return v.type === 'volume'
      ? { Type: 'volume', Source: volumeName(project, v.source), Target: v.target, ReadOnly: v.readOnly }
      : { Type: 'bind', Source: v.source, Target: v.target, ReadOnly: v.readOnly };
  });
  const network = networkName(project);
  return {
    name,
    Image: c.image,
    Env: Object.entries(c.environment ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(c.command ? { Cmd: c.command } : {}),
    ...(c.entrypoint ? { Entrypoint: c.entrypoint } : {}),
    ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
    ...(c.healthcheck ? { Healthcheck: healthcheck(c.healthcheck) } : {}),
    Labels: {
      ...c.labels,
      ...baseLabels(project, serviceId),
      [LABEL_COMPOSE_SERVICE]: key,
      [LABEL_CONTAINER_NUMBER]: '1',
      [LABEL_ONEOFF]: 'False',
      [LABEL_DEPENDS_ON]: (c.depends_on ?? []).map((d) => `${d}:service_started:false`).join(','),
    },
    HostConfig: {
      NetworkMode: network,
      RestartPolicy: restartPolicy(c.restart),
      ...(Object.keys(bindings).length ? { PortBindings: bindings } : {}),
      ...(mounts.length ? { Mounts: mounts } : {}),
    },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [key, name] } } },
  };
}

export function planService(serviceId: string, def: ServiceDefinition): ServicePlan {
  const project = def.name;
  const volumes = new Set<string>();
  for (const c of Object.values(def.services)) {
    for (const spec of c.volumes ?? []) {
      const v = parseVolume(spec);
      if (v.type === 'volume') volumes.add(v.source);
    }
  }
  const containers = dependencyOrder(def.services).map((key): DesiredContainer => {
    const c = def.services[key]!;
    const create = containerCreateOptions(project, serviceId, key, c);
    const hash = createHash('sha256').update(canonicalJson(create)).digest('hex').slice(0, 32);
    create.Labels = { ...create.Labels, [LABEL_CONFIG_HASH]: hash };
    return { key, name: create.name!, image: c.image, dependsOn: c.depends_on ?? [], hash, create };
  });
  return {
    project,
    network: { name: networkName(project), labels: { ...baseLabels(project, serviceId), [LABEL_COMPOSE_NETWORK]: 'default' } },
    volumes: [...volumes].sort().map((v) => ({
      name: volumeName(project, v),
      labels: { ...baseLabels(project, serviceId), [LABEL_COMPOSE_VOLUME]: v },
    })),
    containers,
  };
}
