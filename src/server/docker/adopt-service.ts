// Reading a compose service back from a container's inspect: the keys of
// Config and HostConfig that hostConfig()/resources() (plan-host.ts) and
// plan-container.ts write, inverted, keeping only what differs from the
// image's and the engine's defaults. Mounts and networking are read in
// adopt-storage.ts and adopt-network.ts. Pure: no engine calls.
import type Docker from 'dockerode';

export type Keys = Record<string, unknown>;
type Raw = Record<string, any>;

/** What adoption needs to know of the engine besides the container: its default logging driver. */
export interface EngineDefaults {
  loggingDriver: string;
}

/** The engine's /dev/shm when none is asked for (64 MiB). */
const DEFAULT_SHM = 64 * 1024 * 1024;
const nonEmpty = (v: unknown): v is unknown[] => Array.isArray(v) && v.length > 0;
const positive = (v: unknown): v is number => typeof v === 'number' && v > 0;
const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function nsToDuration(ns: number | undefined): string | undefined {
  if (!ns) return undefined;
  return ns % 1e9 === 0 ? `${ns / 1e9}s` : `${Math.round(ns / 1e6)}ms`;
}

/** Config: what runs, as whom and where, beyond what the image already says. */
export function configKeys(info: Docker.ContainerInspectInfo, image: Raw): Keys {
  const cfg = info.Config as Docker.ContainerInspectInfo['Config'] & Raw;
  const out: Keys = {};
  const imageEnv = new Set<string>(image.Env ?? []);
  const env = ((cfg.Env ?? []) as string[]).filter((e) => !imageEnv.has(e));
  // "KEY" alone (no "="): compose passed a variable it found unset; null says the same in the file.
  if (env.length) out.environment = Object.fromEntries(env.map((e) => (e.includes('=') ? [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] : [e, null])));
  if (!sameJson(cfg.Entrypoint, image.Entrypoint) && Array.isArray(cfg.Entrypoint)) out.entrypoint = cfg.Entrypoint;
  if ((out.entrypoint || !sameJson(cfg.Cmd, image.Cmd)) && Array.isArray(cfg.Cmd)) out.command = cfg.Cmd;
  if (cfg.User && cfg.User !== (image.User ?? '')) out.user = cfg.User;
  if (cfg.WorkingDir && cfg.WorkingDir !== (image.WorkingDir ?? '')) out.working_dir = cfg.WorkingDir;
  // The engine names a container's host after its id unless one was asked for; one sharing
  // another's network (or the host's) has that one's name, and may not be given its own.
  const mode = String(info.HostConfig.NetworkMode ?? '');
  const ownUts = !mode.startsWith('container:') && mode !== 'host' && info.HostConfig.UTSMode !== 'host';
  if (ownUts && cfg.Hostname && !info.Id.startsWith(cfg.Hostname)) out.hostname = cfg.Hostname;
  if (cfg.Domainname) out.domainname = cfg.Domainname;
  if (cfg.Tty) out.tty = true;
  if (cfg.OpenStdin) out.stdin_open = true;
  if (cfg.StopSignal && cfg.StopSignal !== image.StopSignal) out.stop_signal = cfg.StopSignal;
  if (typeof cfg.StopTimeout === 'number') out.stop_grace_period = `${cfg.StopTimeout}s`;
  const published = new Set(Object.keys(info.HostConfig.PortBindings ?? {}));
  const imagePorts = new Set(Object.keys(image.ExposedPorts ?? {}));
  const expose = Object.keys(cfg.ExposedPorts ?? {})
    .filter((p) => !imagePorts.has(p) && !published.has(p))
    .map((p) => (p.endsWith('/tcp') ? p.slice(0, -4) : p));
  if (expose.length) out.expose = expose;
  const hc = cfg.Healthcheck as Docker.HealthConfig | undefined;
  if (hc?.Test && !sameJson(hc, image.Healthcheck)) {
    out.healthcheck = hc.Test[0] === 'NONE'
      ? { test: ['NONE'], disable: true }
      : {
          test: hc.Test,
          ...(nsToDuration(hc.Interval) ? { interval: nsToDuration(hc.Interval)! } : {}),
          ...(nsToDuration(hc.Timeout) ? { timeout: nsToDuration(hc.Timeout)! } : {}),
          ...(nsToDuration(hc.StartPeriod) ? { start_period: nsToDuration(hc.StartPeriod)! } : {}),
          ...(hc.Retries ? { retries: hc.Retries } : {}),
        };
  }
  return out;
}

/** The project's other containers, by engine id: whom a `container:<id>` mode names. */
export type Siblings = Map<string, { key: string; name: string }>;

/** `container:<id>` as compose writes it: `service:<key>` for a container of the project, else the container's name. */
export function namespaceMode(mode: string, siblings: Siblings): string {
  if (!mode.startsWith('container:')) return mode;
  const id = mode.slice('container:'.length);
  const hit = [...siblings].find(([full, s]) => full.startsWith(id) || s.name === id);
  return hit ? `service:${hit[1].key}` : mode;
}

/** HostConfig ports, as compose's short syntax. */
function ports(hc: Raw): string[] {
  const out: string[] = [];
  for (const [port, bindings] of Object.entries(hc.PortBindings ?? {})) {
    const [containerPort, proto] = port.split('/');
    const suffix = proto && proto !== 'tcp' ? `/${proto}` : '';
    for (const b of (bindings as { HostIp?: string; HostPort?: string }[] | null) ?? []) {
      const ip = b.HostIp && b.HostIp !== '0.0.0.0' ? (b.HostIp.includes(':') ? `[${b.HostIp}]:` : `${b.HostIp}:`) : '';
      out.push(b.HostPort ? `${ip}${b.HostPort}:${containerPort}${suffix}` : `${ip}${ip ? ':' : ''}${containerPort}${suffix}`);
    }
  }
  return out;
}

/** Memory, CPU, pids, devices and ulimits: resources() inverted. */
function resourceKeys(hc: Raw, warnings: string[]): Keys {
  const out: Keys = {};
  if (hc.CgroupParent) out.cgroup_parent = hc.CgroupParent;
  if (positive(hc.Memory)) out.mem_limit = hc.Memory;
  // The engine writes twice the memory limit as the swap limit when none is given: that is what a redeploy gets too.
  if ((positive(hc.MemorySwap) || hc.MemorySwap === -1) && !(positive(hc.Memory) && hc.MemorySwap === 2 * hc.Memory)) out.memswap_limit = hc.MemorySwap;
  if (typeof hc.MemorySwappiness === 'number' && hc.MemorySwappiness >= 0) out.mem_swappiness = hc.MemorySwappiness;
  if (positive(hc.MemoryReservation)) out.mem_reservation = hc.MemoryReservation;
  if (hc.OomKillDisable) out.oom_kill_disable = true;
  if (positive(hc.CpuCount)) out.cpu_count = hc.CpuCount;
  if (positive(hc.CpuPercent)) out.cpu_percent = hc.CpuPercent;
  if (positive(hc.CpuPeriod)) out.cpu_period = hc.CpuPeriod;
  if (positive(hc.CpuQuota)) out.cpu_quota = hc.CpuQuota;
  if (positive(hc.CpuRealtimePeriod)) out.cpu_rt_period = hc.CpuRealtimePeriod;
  if (positive(hc.CpuRealtimeRuntime)) out.cpu_rt_runtime = hc.CpuRealtimeRuntime;
  if (positive(hc.CpuShares)) out.cpu_shares = hc.CpuShares;
  if (positive(hc.NanoCpus)) out.cpus = hc.NanoCpus / 1e9;
  if (hc.CpusetCpus) out.cpuset = hc.CpusetCpus;
  if (nonEmpty(hc.DeviceCgroupRules)) out.device_cgroup_rules = hc.DeviceCgroupRules;
  if (positive(hc.PidsLimit)) out.pids_limit = hc.PidsLimit;
  const devices: string[] = [];
  for (const d of (hc.Devices ?? []) as { PathOnHost: string; PathInContainer: string; CgroupPermissions?: string }[]) {
    const perms = d.CgroupPermissions && d.CgroupPermissions !== 'rwm' ? `:${d.CgroupPermissions}` : '';
    devices.push(`${d.PathOnHost}:${d.PathInContainer}${perms}`);
  }
  const reservations: Keys[] = [];
  for (const r of (hc.DeviceRequests ?? []) as Raw[]) {
    if (r.Driver === 'cdi') devices.push(...((r.DeviceIDs ?? []) as string[]));
    else {
      reservations.push({
        capabilities: (r.Capabilities?.[0] ?? []) as string[],
        ...(r.Driver ? { driver: r.Driver } : {}),
        ...(typeof r.Count === 'number' && r.Count !== 0 ? { count: r.Count === -1 ? 'all' : r.Count } : {}),
        ...(nonEmpty(r.DeviceIDs) ? { device_ids: r.DeviceIDs } : {}),
        ...(r.Options && Object.keys(r.Options).length ? { options: r.Options } : {}),
      });
      if (nonEmpty(r.Capabilities) && r.Capabilities.length > 1) warnings.push('a device request with alternative capability sets keeps only the first set');
    }
  }
  if (devices.length) out.devices = devices;
  if (reservations.length) out.deploy = { resources: { reservations: { devices: reservations } } };
  if (nonEmpty(hc.Ulimits)) {
    out.ulimits = Object.fromEntries((hc.Ulimits as { Name: string; Soft: number; Hard: number }[]).map((u) => [u.Name, { soft: u.Soft, hard: u.Hard }]));
  }
  return out;
}

/**
 * Everything in HostConfig but mounts and networking (adopt-storage.ts,
 * adopt-network.ts). What cannot be written as a compose key is said in
 * `warnings`, so nobody learns it from a redeploy.
 */
export function hostKeys(info: Docker.ContainerInspectInfo, engine: EngineDefaults, siblings: Siblings, warnings: string[]): Keys {
  const hc = info.HostConfig as Raw;
  const out: Keys = resourceKeys(hc, warnings);
  const published = ports(hc);
  if (published.length) out.ports = published;
  const policy = hc.RestartPolicy as Docker.HostRestartPolicy | undefined;
  if (policy?.Name && policy.Name !== 'no') {
    out.restart = policy.Name === 'on-failure' && policy.MaximumRetryCount ? `on-failure:${policy.MaximumRetryCount}` : policy.Name;
  }
  if (nonEmpty(hc.CapAdd)) out.cap_add = hc.CapAdd;
  if (nonEmpty(hc.CapDrop)) out.cap_drop = hc.CapDrop;
  if (hc.Privileged) out.privileged = true;
  if (typeof hc.Init === 'boolean') out.init = hc.Init;
  if (hc.ReadonlyRootfs) out.read_only = true;
  if (hc.UTSMode) out.uts = hc.UTSMode;
  if (hc.UsernsMode) out.userns_mode = hc.UsernsMode;
  if (hc.Runtime && hc.Runtime !== 'runc') out.runtime = hc.Runtime;
  if (nonEmpty(hc.GroupAdd)) out.group_add = hc.GroupAdd;
  if (typeof hc.OomScoreAdj === 'number' && hc.OomScoreAdj !== 0) out.oom_score_adj = hc.OomScoreAdj;
  if (positive(hc.ShmSize) && hc.ShmSize !== DEFAULT_SHM) out.shm_size = hc.ShmSize;
  if (hc.Sysctls && Object.keys(hc.Sysctls).length) out.sysctls = hc.Sysctls;
  if (hc.StorageOpt && Object.keys(hc.StorageOpt).length) out.storage_opt = hc.StorageOpt;
  if (hc.Annotations && Object.keys(hc.Annotations).length) out.annotations = hc.Annotations;
  if (nonEmpty(hc.Dns)) out.dns = hc.Dns;
  if (nonEmpty(hc.DnsSearch)) out.dns_search = hc.DnsSearch;
  if (nonEmpty(hc.DnsOptions)) out.dns_opt = hc.DnsOptions;
  if (nonEmpty(hc.ExtraHosts)) out.extra_hosts = hc.ExtraHosts;
  const log = hc.LogConfig as { Type?: string; Config?: Record<string, string> } | undefined;
  const logOptions = log?.Config && Object.keys(log.Config).length ? log.Config : undefined;
  if (log?.Type && (log.Type !== engine.loggingDriver || logOptions)) out.logging = { driver: log.Type, ...(logOptions ? { options: logOptions } : {}) };
  if (hc.Tmpfs && Object.keys(hc.Tmpfs).length) {
    out.tmpfs = Object.entries(hc.Tmpfs as Record<string, string>).map(([target, opts]) => (opts ? `${target}:${opts}` : target));
  }
  const security: string[] = [];
  for (const opt of (hc.SecurityOpt ?? []) as string[]) {
    // compose reads a seccomp profile from a file; the engine keeps it inline, and no file is left to name.
    if (/^seccomp[=:]\s*\{/.test(opt)) warnings.push('its seccomp profile is inline in the container: add the profile file to the project and name it in security_opt');
    else security.push(opt);
  }
  if (!hc.Privileged && Array.isArray(hc.MaskedPaths) && hc.MaskedPaths.length === 0) security.push('systempaths=unconfined');
  if (security.length) out.security_opt = security;
  // "private" is the engine's default (since 20.10); anything else was asked for, "shareable" included.
  if (hc.IpcMode && hc.IpcMode !== 'private') out.ipc = namespaceMode(hc.IpcMode, siblings);
  if (hc.PidMode) out.pid = namespaceMode(hc.PidMode, siblings);
  if (nonEmpty(hc.Links)) warnings.push(`legacy links (${(hc.Links as string[]).join(', ')}) are not kept: services reach each other by name on their networks`);
  if (nonEmpty(hc.VolumesFrom)) warnings.push(`volumes_from (${(hc.VolumesFrom as string[]).join(', ')}) is not kept: name the volumes in the definition`);
  return out;
}
