// A real compose implementation as the oracle: Debian's docker-compose 1.29
// run against the private test engine, and one normalized view of a created
// container, so that what compose created and what Capstan created can be
// compared field by field. No vitest imports: bench/ uses this too.
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';

export interface ComposeRun {
  /** The compose project name (-p). */
  project: string;
  /** The project directory: relative paths and .env resolve here. */
  dir: string;
  /** The compose file, relative to dir. */
  file?: string;
  /** Run as a user in the folder would: no -f / --project-directory, compose finds the file itself. */
  inFolder?: boolean;
  dockerHost: string;
}

/**
 * Runs docker-compose with an environment we control: nothing inherited
 * (no COMPOSE_* or DOCKER_* settings of the caller, no proxies), HOME as
 * Capstan's `~` resolves, and only the private engine.
 */
export function dockerCompose(run: ComposeRun, args: string[], timeoutMs = 240_000): Promise<string> {
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: os.homedir(), DOCKER_HOST: run.dockerHost, LANG: 'C.UTF-8' };
  const where = run.inFolder ? [] : ['-f', run.file ?? 'compose.yaml', '--project-directory', run.dir];
  const argv = ['-p', run.project, ...where, ...args];
  return new Promise((resolve, reject) => {
    execFile('docker-compose', argv, { cwd: run.dir, env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      // stdout alone on success: `config` prints YAML there and its warnings on stderr.
      if (err) reject(new Error(`docker-compose ${argv.join(' ')} failed: ${err.message}\n${`${stdout}${stderr}`.slice(-4000)}`));
      else resolve(stdout);
    });
  });
}

/**
 * `up -d` without ever pulling or building: every image must already be on
 * the engine (a missing one would make compose reach a public registry).
 */
export async function composeUp(docker: Docker, run: ComposeRun, images: string[]): Promise<void> {
  for (const image of new Set(images)) {
    try {
      await docker.getImage(image).inspect();
    } catch {
      throw new Error(`image ${image} is not on the test engine: docker-compose would try to pull it`);
    }
  }
  await dockerCompose(run, ['up', '-d', '--no-build']);
}

export async function composeDown(run: ComposeRun): Promise<void> {
  await dockerCompose(run, ['down', '-v', '--remove-orphans', '-t', '1']);
}

/** The containers of a project, by "<service>#<container number>". */
export async function projectInspects(docker: Docker, project: string): Promise<Map<string, Docker.ContainerInspectInfo>> {
  const list = await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } });
  const out = new Map<string, Docker.ContainerInspectInfo>();
  for (const c of list) {
    const info = await docker.getContainer(c.Id).inspect();
    const labels = info.Config.Labels ?? {};
    out.set(`${labels['com.docker.compose.service']}#${labels['com.docker.compose.container-number'] ?? '1'}`, info);
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

export interface NormalizeContext {
  project: string;
  /** The project directory: binds inside it are shown relative ("./data"). */
  projectDir: string;
  /** The image's own Env: entries equal to it are the image's defaults, not the file's. */
  imageEnv: string[];
  /** Compare Config.Hostname only when the file sets `hostname:` (else the engine picks the container id). */
  hostnameSet: boolean;
  /** Container id → "<service>#<n>" of the project, to show whom `container:<id>` (network_mode: service:x) names. */
  servicesById?: Map<string, string>;
}

const sorted = <T>(xs: T[] | null | undefined, key: (x: T) => string = String) =>
  [...(xs ?? [])].sort((a, b) => key(a).localeCompare(key(b)));
const sortedObject = (o: Record<string, unknown> | null | undefined) =>
  Object.fromEntries(Object.entries(o ?? {}).sort(([a], [b]) => a.localeCompare(b)));
const isComposeLabel = (k: string) => k.startsWith('com.docker.compose.') || k.startsWith('io.capstan.');
const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

/**
 * One container's Engine configuration in a form where two implementations
 * can be compared: engine-chosen values (ids, random volume names, the
 * container-id alias) and the project prefix are replaced by placeholders.
 */
export function normalizeContainer(info: Docker.ContainerInspectInfo, ctx: NormalizeContext): Record<string, unknown> {
  const cfg = info.Config as Docker.ContainerInspectInfo['Config'] & Record<string, any>;
  const hc = info.HostConfig as Record<string, any>;
  const p = ctx.project;
  const stripProject = (name: string) => (name.startsWith(`${p}_`) ? `<project>_${name.slice(p.length + 1)}` : name === p ? '<project>' : name);
  const projectDir = real(ctx.projectDir);
  type Mount = { Type: string; Name?: string; Source: string };
  const source = (m: Mount) => {
    if (m.Type === 'volume') return /^[0-9a-f]{64}$/.test(m.Name ?? '') ? '<anonymous>' : stripProject(m.Name ?? '');
    if (m.Type === 'bind') {
      const s = real(m.Source);
      return s === projectDir ? '.' : s.startsWith(`${projectDir}/`) ? `./${s.slice(projectDir.length + 1)}` : s;
    }
    return m.Source || undefined;
  };
  // What inspect's Mounts does not show: nocopy and tmpfs size/mode, from the create request (Mounts API or Binds options).
  const requested = new Map<string, { nocopy?: true; size?: number; mode?: number }>();
  for (const m of (hc.Mounts ?? []) as { Target: string; VolumeOptions?: { NoCopy?: boolean }; TmpfsOptions?: { SizeBytes?: number; Mode?: number } }[]) {
    requested.set(m.Target, {
      ...(m.VolumeOptions?.NoCopy ? { nocopy: true as const } : {}),
      ...(m.TmpfsOptions?.SizeBytes ? { size: m.TmpfsOptions.SizeBytes } : {}),
      ...(m.TmpfsOptions?.Mode ? { mode: m.TmpfsOptions.Mode } : {}),
    });
  }
  for (const b of (hc.Binds ?? []) as string[]) {
    const [, target, opts] = b.split(':');
    if (target && opts?.split(',').includes('nocopy')) requested.set(target, { nocopy: true });
  }
  const mounts = [
    ...(info.Mounts ?? []).map((m) => ({
      type: m.Type,
      source: source(m),
      target: m.Destination,
      readonly: !m.RW,
      ...(m.Type === 'bind' ? { propagation: m.Propagation || 'rprivate', ...selinux(m.Mode) } : {}),
      ...requested.get(m.Destination),
    })),
    // `tmpfs:` entries are HostConfig.Tmpfs, not mounts; long-syntax tmpfs volumes are mounts: one list.
    ...Object.entries(hc.Tmpfs ?? {}).map(([target, options]) => ({ type: 'tmpfs', target, options })),
  ];
  const imageEnv = new Set(ctx.imageEnv);
  const networks = Object.fromEntries(
    Object.entries(info.NetworkSettings.Networks ?? {})
      .map(([name, n]) => {
        const own = new Set([info.Id.slice(0, 12), info.Id, info.Name.replace(/^\//, '')]);
        return [
          stripProject(name),
          {
            aliases: sorted((n.Aliases ?? []).filter((a: string) => !own.has(a))),
            ipv4_address: n.IPAMConfig?.IPv4Address || undefined,
            ipv6_address: n.IPAMConfig?.IPv6Address || undefined,
          },
        ] as const;
      })
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  const hostPorts = (bindings: { HostIp?: string; HostPort?: string }[] | null) =>
    (bindings ?? []).map((b) => ({ HostIp: b.HostIp === '0.0.0.0' ? '' : b.HostIp ?? '', HostPort: b.HostPort === '0' ? '' : b.HostPort ?? '' }));
  const hc0 = (v: unknown) => v ?? 0;
  const health = cfg.Healthcheck as Record<string, unknown> | undefined;
  return {
    Env: sorted((cfg.Env ?? []).filter((e: string) => !imageEnv.has(e))),
    Cmd: cfg.Cmd?.length ? cfg.Cmd : null,
    Entrypoint: cfg.Entrypoint && (cfg.Entrypoint as string[]).length ? cfg.Entrypoint : null,
    User: cfg.User ?? '',
    WorkingDir: cfg.WorkingDir ?? '',
    ...(ctx.hostnameSet ? { Hostname: cfg.Hostname } : {}),
    Domainname: cfg.Domainname ?? '',
    ExposedPorts: sorted(Object.keys(cfg.ExposedPorts ?? {})),
    Tty: !!cfg.Tty,
    OpenStdin: !!cfg.OpenStdin,
    StopSignal: cfg.StopSignal ?? null,
    StopTimeout: cfg.StopTimeout ?? null,
    Healthcheck: health ? Object.fromEntries(Object.entries(health).filter(([, v]) => v !== 0 && v !== undefined).sort()) : null,
    Labels: sortedObject(Object.fromEntries(Object.entries(cfg.Labels ?? {}).filter(([k]) => !isComposeLabel(k)))),
    Mounts: sorted(mounts, (m) => `${m.target} ${m.type}`),
    PortBindings: Object.fromEntries(Object.entries(hc.PortBindings ?? {}).map(([k, v]) => [k, hostPorts(v as never)]).sort()),
    RestartPolicy: { Name: hc.RestartPolicy?.Name || 'no', MaximumRetryCount: hc0(hc.RestartPolicy?.MaximumRetryCount) },
    CapAdd: sorted(hc.CapAdd),
    CapDrop: sorted(hc.CapDrop),
    Privileged: !!hc.Privileged,
    SecurityOpt: sorted(hc.SecurityOpt),
    Devices: sorted(hc.Devices, (d: { PathInContainer: string }) => d.PathInContainer),
    DeviceCgroupRules: sorted(hc.DeviceCgroupRules),
    NetworkMode: networkMode(hc.NetworkMode, stripProject, ctx.servicesById),
    // "host=ip" and "host:ip" mean the same to compose; the engine stores what it is given.
    ExtraHosts: sorted((hc.ExtraHosts ?? []).map((h: string) => h.replace('=', ':'))),
    Dns: hc.Dns ?? [],
    DnsSearch: hc.DnsSearch ?? [],
    DnsOptions: hc.DnsOptions ?? [],
    ShmSize: hc.ShmSize,
    Ulimits: sorted(hc.Ulimits, (u: { Name: string }) => u.Name),
    Sysctls: sortedObject(hc.Sysctls),
    LogConfig: { Type: hc.LogConfig?.Type, Config: sortedObject(hc.LogConfig?.Config) },
    // null (the daemon's default, `--init` on the test engine) is not false: kept apart on purpose.
    Init: hc.Init ?? null,
    ReadonlyRootfs: !!hc.ReadonlyRootfs,
    Memory: hc0(hc.Memory),
    MemorySwap: hc0(hc.MemorySwap),
    MemoryReservation: hc0(hc.MemoryReservation),
    NanoCpus: hc0(hc.NanoCpus),
    CpuQuota: hc0(hc.CpuQuota),
    CpuPeriod: hc0(hc.CpuPeriod),
    CpuShares: hc0(hc.CpuShares),
    CpusetCpus: hc.CpusetCpus ?? '',
    PidsLimit: hc.PidsLimit ?? 0,
    OomScoreAdj: hc0(hc.OomScoreAdj),
    IpcMode: hc.IpcMode ?? '',
    PidMode: hc.PidMode ?? '',
    UTSMode: hc.UTSMode ?? '',
    UsernsMode: hc.UsernsMode ?? '',
    GroupAdd: sorted(hc.GroupAdd),
    Networks: networks,
    // The outcome of depends_on: a one-shot dependency has exited 0, the rest run.
    State: { Status: info.State.Status, ExitCode: info.State.ExitCode },
  };
}

/** SELinux relabelling (`z`/`Z`) can only be asked for through Binds: it shows in the mount's Mode. */
function selinux(mode: string | undefined): { selinux?: string } {
  const opts = (mode ?? '').split(',');
  return opts.includes('Z') ? { selinux: 'Z' } : opts.includes('z') ? { selinux: 'z' } : {};
}

/** `container:<id>` (what `network_mode: service:x` becomes) names an engine id: show the service behind it. */
function networkMode(mode: string | undefined, stripProject: (n: string) => string, byId?: Map<string, string>): string {
  if (!mode) return 'default';
  if (mode.startsWith('container:')) {
    const id = mode.slice('container:'.length);
    const hit = [...(byId ?? [])].find(([full]) => full.startsWith(id) || id === full);
    return `container:${hit ? hit[1] : '<other>'}`;
  }
  return stripProject(mode);
}

/**
 * Networks and volumes of a project, prefix-stripped, with the options that decide how they behave.
 * Subnets are shown only for the networks in `fixedSubnets` (engine names): elsewhere the engine picks them.
 */
export async function projectResources(docker: Docker, project: string, fixedSubnets: Set<string> = new Set()) {
  const label = { label: [`com.docker.compose.project=${project}`] };
  const strip = (name: string) => (name.startsWith(`${project}_`) ? `<project>_${name.slice(project.length + 1)}` : name);
  const userLabels = (l: Record<string, string> | null | undefined) =>
    sortedObject(Object.fromEntries(Object.entries(l ?? {}).filter(([k]) => !isComposeLabel(k))));
  const networks = await Promise.all(
    (await docker.listNetworks({ filters: label })).map(async (n) => {
      const i = await docker.getNetwork(n.Id).inspect();
      return {
        name: strip(i.Name),
        driver: i.Driver,
        internal: !!i.Internal,
        subnets: fixedSubnets.has(i.Name) ? sorted((i.IPAM?.Config ?? []).map((c: { Subnet?: string }) => c.Subnet ?? '')).filter(Boolean) : [],
        labels: userLabels(i.Labels),
      };
    }),
  );
  const volumes = ((await docker.listVolumes({ filters: label })).Volumes ?? []).map((v) => ({
    name: strip(v.Name),
    driver: v.Driver,
    labels: userLabels(v.Labels),
  }));
  return { networks: sorted(networks, (n) => n.name), volumes: sorted(volumes, (v) => v.name) };
}

export const projectDirOf = (projectsDir: string, name: string) => path.join(projectsDir, name);
