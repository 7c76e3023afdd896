import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { ComposeResources, ComposeService } from '../../shared/compose/model.js';
import { CapstanError } from '../errors.js';

/** The HostConfig fields that are plain translations of service keys (mounts and networking live elsewhere). */
export type HostConfig = Docker.HostConfig & Record<string, unknown>;

const RESTART_CONDITIONS: Record<string, string> = { none: 'no', no: 'no', 'on-failure': 'on-failure', 'unless-stopped': 'unless-stopped', any: 'always', always: 'always' };

/** compose's getRestartPolicy: deploy.restart_policy wins over restart; neither: the engine's default ("no"). */
export function restartPolicy(s: ComposeService): Docker.HostRestartPolicy | undefined {
  const policy = s.deploy?.restart_policy;
  if (policy) {
    const name = RESTART_CONDITIONS[policy.condition ?? 'any'] ?? policy.condition!;
    return { Name: name, MaximumRetryCount: policy.max_attempts ?? 0 };
  }
  if (!s.restart) return undefined;
  const [name, count] = s.restart.split(':');
  return { Name: RESTART_CONDITIONS[name!] ?? name!, MaximumRetryCount: count ? Number(count) : 0 };
}

type PortBinding = { HostIp: string; HostPort: string };

export function portBindings(s: ComposeService): Record<string, PortBinding[]> | undefined {
  if (!s.ports?.length) return undefined;
  const bindings: Record<string, PortBinding[]> = {};
  for (const p of s.ports) {
    (bindings[`${p.target}/${p.protocol}`] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.published ?? '' });
  }
  return bindings;
}

type DeviceRequest = { Driver?: string; Count?: number; DeviceIDs?: string[]; Capabilities?: string[][]; Options?: Record<string, string> };

function deviceRequest(d: NonNullable<ComposeResources['devices']>[number], extraCapability?: string): DeviceRequest {
  const r: DeviceRequest = { Capabilities: [extraCapability ? [...d.capabilities, extraCapability] : d.capabilities] };
  if (d.driver) r.Driver = d.driver;
  // The engine's "all" is -1.
  if (d.count !== undefined) r.Count = d.count === 'all' ? -1 : d.count;
  if (d.device_ids) r.DeviceIDs = d.device_ids;
  if (d.options) r.Options = d.options;
  return r;
}

/** A CDI device name ("vendor.com/class=name"): compose passes those as a cdi device request, not a device node. */
const CDI_NAME = /^[a-z0-9][a-z0-9.-]*\/[a-zA-Z0-9][a-zA-Z0-9._-]*=[a-zA-Z0-9][a-zA-Z0-9._:-]*$/;

/** compose's getDeployResources: service keys, then deploy.resources limits/reservations over them. */
export function resources(s: ComposeService): HostConfig {
  const r: HostConfig = {};
  if (s.cgroup_parent !== undefined) r.CgroupParent = s.cgroup_parent;
  if (s.mem_limit !== undefined) r.Memory = s.mem_limit;
  if (s.memswap_limit !== undefined) r.MemorySwap = s.memswap_limit;
  if (s.mem_swappiness !== undefined) r.MemorySwappiness = s.mem_swappiness;
  if (s.mem_reservation !== undefined) r.MemoryReservation = s.mem_reservation;
  if (s.oom_kill_disable !== undefined) r.OomKillDisable = s.oom_kill_disable;
  if (s.cpu_count !== undefined) r.CpuCount = s.cpu_count;
  if (s.cpu_percent !== undefined) r.CpuPercent = s.cpu_percent;
  if (s.cpu_period !== undefined) r.CpuPeriod = s.cpu_period;
  if (s.cpu_quota !== undefined) r.CpuQuota = s.cpu_quota;
  if (s.cpu_rt_period !== undefined) r.CpuRealtimePeriod = s.cpu_rt_period;
  if (s.cpu_rt_runtime !== undefined) r.CpuRealtimeRuntime = s.cpu_rt_runtime;
  if (s.cpu_shares !== undefined) r.CpuShares = s.cpu_shares;
  if (s.cpus !== undefined) r.NanoCpus = Math.round(s.cpus * 1e9);
  if (s.cpuset !== undefined) r.CpusetCpus = s.cpuset;
  if (s.device_cgroup_rules) r.DeviceCgroupRules = s.device_cgroup_rules;
  if (s.pids_limit !== undefined) r.PidsLimit = s.pids_limit;
  const limits = s.deploy?.resources?.limits;
  if (limits?.memory) r.Memory = limits.memory;
  if (limits?.cpus) r.NanoCpus = Math.round(limits.cpus * 1e9);
  if (limits?.pids) r.PidsLimit = limits.pids;
  const reservations = s.deploy?.resources?.reservations;
  if (reservations?.memory) r.MemoryReservation = reservations.memory;
  const requests: DeviceRequest[] = (reservations?.devices ?? []).map((d) => deviceRequest(d));
  const devices: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[] = [];
  const cdi: string[] = [];
  for (const d of s.devices ?? []) {
    if (d.source === d.target && CDI_NAME.test(d.source)) cdi.push(d.source);
    else devices.push({ PathOnHost: d.source, PathInContainer: d.target, CgroupPermissions: d.permissions });
  }
  if (devices.length) r.Devices = devices;
  if (cdi.length) requests.push({ Driver: 'cdi', DeviceIDs: cdi });
  for (const g of s.gpus ?? []) requests.push(deviceRequest(g, 'gpu'));
  if (requests.length) r.DeviceRequests = requests;
  if (s.ulimits) {
    r.Ulimits = Object.entries(s.ulimits)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard }));
  }
  return r;
}

/**
 * compose's parseSecurityOpts: `systempaths=unconfined` clears the masked and
 * read-only paths; a seccomp profile given as a file is sent inline, compacted.
 */
export function securityOptions(s: ComposeService, workingDir: string): HostConfig {
  if (!s.security_opt) return {};
  const out: HostConfig = {};
  const opts: string[] = [];
  s.security_opt.forEach((opt, i) => {
    if (opt === 'systempaths=unconfined') {
      out.MaskedPaths = [];
      out.ReadonlyPaths = [];
      return;
    }
    const m = /^seccomp[=:](.*)$/.exec(opt);
    if (m && m[1] !== 'unconfined' && m[1] !== 'builtin') {
      const file = path.resolve(workingDir, m[1]!);
      try {
        opts.push(`seccomp=${JSON.stringify(JSON.parse(readFileSync(file, 'utf8')))}`);
      } catch (err) {
        throw new CapstanError('BAD_REQUEST', 'Could not read the seccomp profile', {
          details: `services.${s.name}.security_opt.${i}: ${m[1]}: ${(err as Error).message}`,
          cause: err,
        });
      }
      return;
    }
    opts.push(opt);
  });
  if (opts.length) out.SecurityOpt = opts;
  return out;
}

/** Everything in HostConfig except mounts, networking, links and namespaces that name other services. */
export function hostConfig(s: ComposeService, workingDir: string): HostConfig {
  const h: HostConfig = { ...resources(s), ...securityOptions(s, workingDir) };
  const restart = restartPolicy(s);
  if (restart) h.RestartPolicy = restart;
  const ports = portBindings(s);
  if (ports) h.PortBindings = ports;
  if (s.annotations) h.Annotations = s.annotations;
  if (s.cap_add) h.CapAdd = s.cap_add;
  if (s.cap_drop) h.CapDrop = s.cap_drop;
  if (s.privileged) h.Privileged = true;
  if (s.init !== undefined) h.Init = s.init;
  if (s.read_only) h.ReadonlyRootfs = true;
  if (s.cgroup !== undefined) h.CgroupnsMode = s.cgroup;
  if (s.uts !== undefined) h.UTSMode = s.uts;
  if (s.userns_mode !== undefined) h.UsernsMode = s.userns_mode;
  if (s.isolation !== undefined) h.Isolation = s.isolation;
  if (s.runtime !== undefined) h.Runtime = s.runtime;
  if (s.group_add) h.GroupAdd = s.group_add;
  if (s.oom_score_adj !== undefined) h.OomScoreAdj = s.oom_score_adj;
  if (s.shm_size !== undefined) h.ShmSize = s.shm_size;
  if (s.sysctls) h.Sysctls = s.sysctls;
  if (s.storage_opt) h.StorageOpt = s.storage_opt;
  if (s.dns) h.Dns = s.dns;
  if (s.dns_search) h.DnsSearch = s.dns_search;
  if (s.dns_opt) h.DnsOptions = s.dns_opt;
  if (s.extra_hosts) h.ExtraHosts = s.extra_hosts;
  if (s.logging) h.LogConfig = { Type: s.logging.driver ?? '', Config: s.logging.options ?? {} };
  if (s.tmpfs?.length) {
    const tmpfs: Record<string, string> = {};
    for (const t of s.tmpfs) {
      const i = t.indexOf(':');
      if (i < 0) tmpfs[t] = '';
      else tmpfs[t.slice(0, i)] = t.slice(i + 1);
    }
    h.Tmpfs = tmpfs;
  }
  return h;
}
