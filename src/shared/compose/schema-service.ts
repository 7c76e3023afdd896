// One service of a compose file: every key of the specification's service
// definition, validated and read into the model's long form. What needs the
// whole project (references, files, variables) is left to the normalizer.
import { z } from 'zod';
import type { ComposePort } from './model.js';
import { parseLongPort, parseShortPort } from './parse-ports.js';
import { zServiceVolumes } from './parse-volumes.js';
import {
  attempt,
  compact,
  custom,
  delegate,
  isRecord,
  issue,
  strictMap,
  zLabels,
  zListOrDict,
  zNonEmpty,
  zString,
  zStringList,
  zStringMap,
  zStringOrList,
} from './schema-kit.js';
import { imageReferenceProblem } from './image-ref.js';
import { zBlkio, zDeploy, zDevices, zGpus } from './schema-resources.js';
import { zBool, zBytes, zDuration, zInt, zMemory, zNumber } from './schema-scalars.js';
import {
  zDependsOn,
  zEnvFile,
  zExtraHosts,
  zFileRefs,
  zHealthcheck,
  zLogging,
  zServiceNetworks,
  zUlimits,
} from './schema-service-parts.js';

export const SERVICE_KEY_RE = /^[a-zA-Z0-9._-]+$/;
const CONTAINER_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const BUILD_REFUSED = 'build is not supported: the image must come from a registry; set image: to a pushed image';

/** `user: 1000` is written unquoted often enough that a number is read as its text. */
const zStringOrNumber = custom<string>((v, ctx) => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  return void issue(ctx, 'must be a string');
}, ['string', 'integer']);

/** By the engine's reference grammar: a name it cannot read must not reach it (see image-ref.ts). */
function checkImage(v: string, ctx: z.core.$RefinementCtx<string>): void {
  const problem = imageReferenceProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}

/** A spec key Capstan cannot apply: refused by name rather than dropped. */
const refused = (message: string) => custom((_v, ctx) => void issue(ctx, message)).optional();
const notSupported = (key: string, why = '') => refused(`"${key}" is not supported by Capstan${why}`);

/** post_start / pre_stop: only an empty list (nothing to run) is accepted. */
const hooks = (key: string) =>
  custom((v, ctx) => {
    if (!(Array.isArray(v) && v.length === 0)) issue(ctx, `"${key}" hooks are not supported by Capstan`);
  }).optional();

/** command / entrypoint as written; the normalizer splits strings like a shell. */
const zCommand = custom<string | string[] | null>((v, ctx) => {
  if (v === null || typeof v === 'string') return v;
  if (Array.isArray(v)) {
    return v.map((item, i) => {
      if (typeof item === 'string') return item;
      if (typeof item === 'number' || typeof item === 'boolean') return String(item);
      issue(ctx, 'must be a string', [i]);
      return '';
    });
  }
  return void issue(ctx, 'must be a string or a list of strings');
}, ['string', 'array', 'null']);

const zLongPortKeys = strictMap(
  Object.fromEntries(['target', 'published', 'host_ip', 'protocol', 'mode', 'name', 'app_protocol'].map((k) => [k, z.unknown().optional()])),
  'a port',
);

const zPorts = custom<ComposePort[]>((v, ctx) => {
  if (!Array.isArray(v)) return void issue(ctx, 'must be a list of ports like "8080:80"');
  return v.flatMap((entry, i) => {
    if (typeof entry === 'string' || typeof entry === 'number') return attempt(ctx, () => parseShortPort(entry), [i]) ?? [];
    if (!isRecord(entry)) {
      issue(ctx, 'must be a string like "8080:80" or a map with target', [i]);
      return [];
    }
    const keys = delegate(ctx, zLongPortKeys, entry, [i]);
    return keys ? (attempt(ctx, () => parseLongPort(keys), [i]) ?? []) : [];
  });
}, 'array');

const zExpose = custom<string[]>((v, ctx) => {
  if (!Array.isArray(v)) return void issue(ctx, 'must be a list of ports like "80" or "8000-8010/udp"');
  return v.flatMap((entry, i) => {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(String(entry));
    const ok = (typeof entry === 'string' || typeof entry === 'number') && m !== null;
    const ports = ok ? [Number(m[1]), Number(m[2] ?? m[1])] : [];
    if (!ok || ports.some((p) => p < 1 || p > 65535) || (ports[1] as number) < (ports[0] as number)) {
      issue(ctx, `"${String(entry)}" is not a port or a range between 1 and 65535 (e.g. "80" or "8000-8010/udp")`, [i]);
      return [];
    }
    return [`${m[1]}${m[2] ? `-${m[2]}` : ''}/${(m[3] ?? 'tcp').toLowerCase()}`];
  });
}, 'array');

const zPullPolicy = custom((v, ctx) => {
  if (v === 'build') return void issue(ctx, 'pull_policy "build" is not supported: Capstan does not build images');
  if (v === 'if_not_present') return 'missing' as const; // compose-go's normalization
  if (v === 'always' || v === 'missing' || v === 'never' || v === 'daily' || v === 'weekly') return v;
  if (typeof v === 'string' && /^every_(\d+[wdhms])+$/.test(v)) return v as `every_${string}`;
  if (v === 'refresh') return void issue(ctx, 'pull_policy "refresh" is not supported by Capstan');
  return void issue(ctx, 'must be always, missing, never, if_not_present, daily, weekly or every_<duration>');
}, 'string');

const zTmpfs = zStringOrList().transform((list, ctx) => {
  list.forEach((entry, i) => {
    if (!entry.startsWith('/')) issue(ctx, `"${entry}" must be an absolute container path (start with "/")`, [i]);
  });
  return list;
});

/** A service body; `warn` receives non-fatal remarks (ignored volume options). */
export function serviceSchema(warn: (message: string) => void) {
  return strictMap(
    {
      image: zNonEmpty().superRefine(checkImage).optional(),
      build: refused(BUILD_REFUSED),
      extends: z.unknown().optional(), // resolved by the loader before this step
      attach: zBool.optional(), // only concerns `docker compose up` printing logs
      develop: notSupported('develop', ' (compose watch)'),
      provider: notSupported('provider'),
      models: notSupported('models'),
      use_api_socket: notSupported('use_api_socket'),
      credential_spec: notSupported('credential_spec', ' (Windows containers)'),
      pull_refresh_after: notSupported('pull_refresh_after'),
      post_start: hooks('post_start'),
      pre_stop: hooks('pre_stop'),
      annotations: zListOrDict({ what: 'a map or a list of "key=value"', bare: 'empty' }).optional(),
      blkio_config: zBlkio.optional(),
      cap_add: zStringList().optional(),
      cap_drop: zStringList().optional(),
      cgroup: z.enum(['host', 'private'], { error: () => 'must be "host" or "private"' }).optional(),
      cgroup_parent: zString().optional(),
      command: zCommand.optional(),
      configs: zFileRefs.optional(),
      container_name: zString().regex(CONTAINER_NAME_RE, 'must start with a letter or digit and contain only letters, digits, ".", "_" and "-"').optional(),
      cpu_count: zInt(0).optional(),
      cpu_percent: zInt(0, 100).optional(),
      cpu_shares: zInt(0).optional(),
      cpu_quota: zInt(-1).optional(),
      cpu_period: zInt(0).optional(),
      cpu_rt_period: zInt(0).optional(),
      cpu_rt_runtime: zInt(-1).optional(),
      cpus: zNumber(0).optional(),
      cpuset: zStringOrNumber.optional(),
      depends_on: zDependsOn.optional(),
      deploy: custom((v, ctx) => (v === null ? undefined : delegate(ctx, zDeploy, v))).optional(),
      device_cgroup_rules: zStringList().optional(),
      devices: zDevices.optional(),
      dns: zStringOrList().optional(),
      dns_opt: zStringList().optional(),
      dns_search: zStringOrList().optional(),
      domainname: zString().optional(),
      entrypoint: zCommand.optional(),
      env_file: zEnvFile.optional(),
      label_file: zStringOrList().optional(),
      environment: zListOrDict({ what: 'a map of KEY: value or a list of "KEY=value" strings', bare: 'null' }).optional(),
      expose: zExpose.optional(),
      external_links: zStringList().optional(),
      extra_hosts: zExtraHosts.optional(),
      gpus: zGpus.optional(),
      group_add: zStringList('a list of group names or ids', true).optional(),
      healthcheck: zHealthcheck.optional(),
      hostname: zString().optional(),
      init: zBool.optional(),
      ipc: zString().optional(),
      isolation: zString().optional(),
      labels: zLabels.optional(),
      links: zStringList().optional(),
      logging: zLogging.optional(),
      mac_address: zString().optional(),
      mem_limit: zMemory.optional(),
      mem_reservation: zMemory.optional(),
      mem_swappiness: zInt(0, 100).optional(),
      // -1: unlimited swap, as Docker reads it.
      memswap_limit: custom((v, ctx) => (v === -1 || v === '-1' ? -1 : delegate(ctx, zBytes, v))).optional(),
      network_mode: zNonEmpty().optional(),
      networks: zServiceNetworks.optional(),
      oom_kill_disable: zBool.optional(),
      oom_score_adj: zInt(-1000, 1000).optional(),
      pid: zString().nullable().optional(),
      pids_limit: zInt(-1).optional(),
      platform: zString().optional(),
      ports: zPorts.optional(),
      privileged: zBool.optional(),
      profiles: zStringList().optional(),
      pull_policy: zPullPolicy.optional(),
      read_only: zBool.optional(),
      restart: zString()
        .regex(/^(no|always|unless-stopped|on-failure(:\d+)?)$/, 'must be "no", "always", "on-failure", "on-failure:N" or "unless-stopped"')
        .optional(),
      runtime: zString().optional(),
      scale: zInt(0).optional(),
      secrets: zFileRefs.optional(),
      security_opt: zStringList().optional(),
      shm_size: zBytes.optional(),
      stdin_open: zBool.optional(),
      stop_grace_period: zDuration.optional(),
      stop_signal: zString().optional(),
      storage_opt: zStringMap().optional(),
      sysctls: zListOrDict({ what: 'a map or a list of "name=value"', bare: 'empty' }).optional(),
      tmpfs: zTmpfs.optional(),
      tty: zBool.optional(),
      ulimits: zUlimits.optional(),
      user: zStringOrNumber.optional(),
      userns_mode: zString().optional(),
      uts: zString().optional(),
      volumes: zServiceVolumes(warn).optional(),
      volumes_from: zStringList().optional(),
      working_dir: zString().optional(),
    },
    'a map of service settings',
  ).transform((s) => {
    const { extends: _e, attach: _a, build: _b, develop: _d, provider: _p, models: _m, use_api_socket: _u, credential_spec: _c, pull_refresh_after: _r, post_start: _ps, pre_stop: _pt, ...rest } = s;
    return compact({ ...rest, pid: rest.pid ?? undefined });
  });
}

export type ServiceDraft = z.output<ReturnType<typeof serviceSchema>>;
