import type Docker from 'dockerode';
import { defaultContainerName, volumeName } from './compose-plan.js';
import type { ContainerInfo } from './containers.js';
import { inspectContainer } from './containers.js';
import { inspectImage } from './images.js';
import { LABEL_DEPENDS_ON } from './labels.js';

/**
 * The compose service that adoption reads back from a container: the keys it
 * can rebuild from inspect, in compose's short forms.
 */
export interface AdoptedService {
  image: string;
  container_name?: string;
  environment?: Record<string, string>;
  entrypoint?: string[];
  command?: string[];
  ports?: string[];
  volumes?: string[];
  restart?: string;
  depends_on?: string[];
  labels?: Record<string, string>;
  healthcheck?: { test: string[]; disable?: boolean; interval?: string; timeout?: string; start_period?: string; retries?: number };
}

/**
 * Rebuilds a compose service from a running container, keeping only what
 * differs from its image's defaults (inspect's Config mixes both).
 */
export interface ReadContainer {
  key: string;
  definition: AdoptedService;
  warnings: string[];
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function nsToDuration(ns: number | undefined): string | undefined {
  if (!ns) return undefined;
  return ns % 1e9 === 0 ? `${ns / 1e9}s` : `${Math.round(ns / 1e6)}ms`;
}

function isReservedLabel(k: string): boolean {
  return k.startsWith('com.docker.compose.') || k.startsWith('io.capstan.');
}

export async function readContainerDefinition(docker: Docker, project: string, info: ContainerInfo): Promise<ReadContainer> {
  const warnings: string[] = [];
  const c = await inspectContainer(docker, info.id);
  const image = await inspectImage(docker, c.Image).catch(() => undefined);
  const imageConfig = (image?.Config ?? {}) as Partial<Docker.ImageInspectInfo['Config']>;
  const cfg = c.Config;
  const def: AdoptedService = { image: cfg.Image };

  const name = c.Name.replace(/^\//, '');
  if (name !== defaultContainerName(project, info.key)) def.container_name = name;

  const imageEnv = new Set(imageConfig.Env ?? []);
  const env = (cfg.Env ?? []).filter((e) => !imageEnv.has(e));
  if (env.length) {
    def.environment = Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  }
  if (!sameJson(cfg.Entrypoint, imageConfig.Entrypoint) && Array.isArray(cfg.Entrypoint)) def.entrypoint = cfg.Entrypoint;
  if ((def.entrypoint || !sameJson(cfg.Cmd, imageConfig.Cmd)) && Array.isArray(cfg.Cmd)) def.command = cfg.Cmd;

  const ports: string[] = [];
  for (const [port, bindings] of Object.entries(c.HostConfig.PortBindings ?? {})) {
    const [containerPort, proto] = port.split('/');
    const suffix = proto === 'udp' ? '/udp' : '';
    for (const b of (bindings as { HostIp?: string; HostPort?: string }[] | null) ?? []) {
      const ip = b.HostIp && b.HostIp !== '0.0.0.0' ? (b.HostIp.includes(':') ? `[${b.HostIp}]:` : `${b.HostIp}:`) : '';
      ports.push(b.HostPort ? `${ip}${b.HostPort}:${containerPort}${suffix}` : `${containerPort}${suffix}`);
    }
  }
  if (ports.length) def.ports = ports;

  const volumes: string[] = [];
  for (const m of c.Mounts ?? []) {
    const mode = m.RW ? '' : ':ro';
    if (m.Type === 'bind') {
      volumes.push(`${m.Source}:${m.Destination}${mode}`);
    } else if (m.Type === 'volume' && m.Name) {
      const prefix = volumeName(project, '');
      if (m.Name.startsWith(prefix)) {
        volumes.push(`${m.Name.slice(prefix.length)}:${m.Destination}${mode}`);
      } else {
        warnings.push(`volume "${m.Name}" at ${m.Destination} is not named ${prefix}<name>; a redeploy would use a new volume ${prefix}${m.Name}`);
        volumes.push(`${m.Name}:${m.Destination}${mode}`);
      }
    }
  }
  if (volumes.length) def.volumes = volumes;

  const policy = c.HostConfig.RestartPolicy;
  if (policy?.Name && policy.Name !== 'no') {
    def.restart = policy.Name === 'on-failure' && policy.MaximumRetryCount ? `on-failure:${policy.MaximumRetryCount}` : policy.Name;
  }

  const dependsOn = (cfg.Labels?.[LABEL_DEPENDS_ON] ?? '')
    .split(',')
    .map((d) => d.split(':')[0] ?? '')
    .filter(Boolean);
  if (dependsOn.length) def.depends_on = dependsOn;

  const imageLabels = imageConfig.Labels ?? {};
  const labels = Object.fromEntries(
    Object.entries(cfg.Labels ?? {}).filter(([k, v]) => !isReservedLabel(k) && imageLabels[k] !== v),
  );
  if (Object.keys(labels).length) def.labels = labels;

  const hc = (cfg as { Healthcheck?: Docker.HealthConfig }).Healthcheck;
  if (hc?.Test && !sameJson(hc, (imageConfig as { Healthcheck?: unknown }).Healthcheck)) {
    def.healthcheck = hc.Test[0] === 'NONE'
      ? { test: ['NONE'], disable: true }
      : {
          test: hc.Test,
          ...(nsToDuration(hc.Interval) ? { interval: nsToDuration(hc.Interval)! } : {}),
          ...(nsToDuration(hc.Timeout) ? { timeout: nsToDuration(hc.Timeout)! } : {}),
          ...(nsToDuration(hc.StartPeriod) ? { start_period: nsToDuration(hc.StartPeriod)! } : {}),
          ...(hc.Retries ? { retries: hc.Retries } : {}),
        };
  }
  return { key: info.key, definition: def, warnings };
}
