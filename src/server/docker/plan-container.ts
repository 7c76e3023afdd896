import type Docker from 'dockerode';
import type { ComposeHealthcheck, ComposeService } from '../../shared/compose/model.js';
import { CapstanError } from '../errors.js';
import {
  COMPOSE_VERSION,
  LABEL_COMPOSE_SERVICE,
  LABEL_COMPOSE_VERSION,
  LABEL_CONFIG_FILES,
  LABEL_CONTAINER_NUMBER,
  LABEL_DEPENDS_ON,
  LABEL_ENVIRONMENT_FILE,
  LABEL_ONEOFF,
  LABEL_PROJECT,
  LABEL_SERVICE_ID,
  LABEL_WORKING_DIR,
} from './labels.js';

/** What every part of a container's plan needs to know about where it sits. */
export interface PlanContext {
  project: string;
  serviceId: string;
  workingDir: string;
  configFiles: string[];
  environmentFile?: string;
}

/**
 * compose's ToMobyEnv: a variable without a value is written as its bare name,
 * which makes the engine leave it unset (and drop an image default of that name).
 */
export function toEnv(environment: ComposeService['environment']): string[] | undefined {
  if (!environment) return undefined;
  return Object.entries(environment).map(([k, v]) => (v === null ? k : `${k}=${v}`));
}

/** compose's ToMobyHealthCheck: fields left out stay the image's (zero means inherit to the engine). */
export function toHealthcheck(h: ComposeHealthcheck | undefined, path: (string | number)[]): Docker.HealthConfig | undefined {
  if (!h) return undefined;
  if (h.start_interval !== undefined && h.start_period === undefined) {
    throw new CapstanError('BAD_REQUEST', 'healthcheck.start_interval requires healthcheck.start_period to be set', {
      details: `${path.join('.')}.start_interval`,
    });
  }
  const config: Docker.HealthConfig & { StartInterval?: number } = {};
  const test = h.disable ? ['NONE'] : h.test;
  if (test) config.Test = test;
  if (h.interval !== undefined) config.Interval = h.interval;
  if (h.timeout !== undefined) config.Timeout = h.timeout;
  if (h.start_period !== undefined) config.StartPeriod = h.start_period;
  if (h.start_interval !== undefined) config.StartInterval = h.start_interval;
  if (h.retries !== undefined) config.Retries = h.retries;
  return config;
}

/** "8000-8010/udp" → ["8000/udp", …, "8010/udp"]; the protocol defaults to tcp, as the engine's. */
export function expandExpose(spec: string): string[] {
  const [range, proto = 'tcp'] = spec.split('/');
  const [start, end = start] = range!.split('-');
  const a = Number(start);
  const b = Number(end);
  if (!Number.isInteger(a) || !Number.isInteger(b) || b < a) return [`${range}/${proto}`];
  const out: string[] = [];
  for (let p = a; p <= b; p++) out.push(`${p}/${proto}`);
  return out;
}

export function exposedPorts(s: ComposeService): Record<string, object> | undefined {
  const exposed: Record<string, object> = {};
  for (const p of s.ports ?? []) exposed[`${p.target}/${p.protocol}`] = {};
  for (const e of s.expose ?? []) for (const port of expandExpose(e)) exposed[port] = {};
  return Object.keys(exposed).length ? exposed : undefined;
}

/** compose's depends_on label: "svc:condition:restart", comma-separated. */
export function dependsOnLabel(s: ComposeService): string {
  return Object.entries(s.depends_on ?? {})
    .map(([dep, d]) => `${dep}:${d.condition}:${d.restart}`)
    .join(',');
}

/** The user's labels, then compose's and Capstan's (which win, as compose's custom labels win). */
export function containerLabels(ctx: PlanContext, s: ComposeService, number: number): Record<string, string> {
  return {
    ...s.labels,
    [LABEL_PROJECT]: ctx.project,
    [LABEL_COMPOSE_SERVICE]: s.name,
    [LABEL_COMPOSE_VERSION]: COMPOSE_VERSION,
    [LABEL_WORKING_DIR]: ctx.workingDir,
    [LABEL_CONFIG_FILES]: ctx.configFiles.join(','),
    ...(ctx.environmentFile ? { [LABEL_ENVIRONMENT_FILE]: ctx.environmentFile } : {}),
    [LABEL_ONEOFF]: 'False',
    [LABEL_CONTAINER_NUMBER]: String(number),
    [LABEL_DEPENDS_ON]: dependsOnLabel(s),
    [LABEL_SERVICE_ID]: ctx.serviceId,
  };
}

/** container.Config as compose v2's getCreateConfigs fills it (the fields that do not depend on other objects). */
export function containerConfig(ctx: PlanContext, s: ComposeService, number: number): Docker.ContainerCreateOptions {
  const config: Docker.ContainerCreateOptions & { StopTimeout?: number } = {
    Image: s.image,
    Labels: containerLabels(ctx, s, number),
    AttachStdout: true,
    AttachStderr: true,
  };
  const env = toEnv(s.environment);
  if (env) config.Env = env;
  // Absent: the image's. [] is sent as [] (compose's `command: []` / `entrypoint: []`), which clears it.
  if (s.command) config.Cmd = s.command;
  if (s.entrypoint) config.Entrypoint = s.entrypoint;
  if (s.user !== undefined) config.User = s.user;
  if (s.working_dir !== undefined) config.WorkingDir = s.working_dir;
  if (s.hostname !== undefined) config.Hostname = s.hostname;
  if (s.domainname !== undefined) config.Domainname = s.domainname;
  const exposed = exposedPorts(s);
  if (exposed) config.ExposedPorts = exposed;
  if (s.tty) config.Tty = true;
  if (s.stdin_open) config.OpenStdin = true;
  if (s.stop_signal !== undefined) config.StopSignal = s.stop_signal;
  if (s.stop_grace_period !== undefined) config.StopTimeout = Math.floor(s.stop_grace_period / 1e9);
  const health = toHealthcheck(s.healthcheck, ['services', s.name, 'healthcheck']);
  if (health) config.Healthcheck = health;
  return config;
}
