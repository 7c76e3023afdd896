// The normalized compose model: what the pipeline (load → interpolate →
// extends/profiles → validate → normalize) produces from a compose file, and
// what the planner (src/server/docker/compose-plan*) turns into Engine
// objects. It is the canonical long form, in the spirit of what
// `docker compose config --format json` prints (compose-go's types), in
// snake_case. Every optional field is absent when the file did not set it, so
// the planner can tell "not set" (use the engine's default) from a value.
// Pure types: the dashboard imports this too.

/** Durations are kept as nanoseconds (the Engine API's unit). Sizes are bytes. */
export type Nanoseconds = number;
export type Bytes = number;

export interface ComposePort {
  /** Container port (the start of a range is expanded: one entry per port). */
  target: number;
  /** Host port as written ("8080", "8000-8010" for a range bound to one target), absent: the engine picks. */
  published?: string;
  host_ip?: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  /** "ingress" (default) or "host"; only meaningful in swarm, kept for fidelity. */
  mode?: string;
  name?: string;
  app_protocol?: string;
}

export interface ComposeServiceVolume {
  type: 'volume' | 'bind' | 'tmpfs' | 'npipe' | 'cluster' | 'image';
  /** Volume key (top-level `volumes:` key), absolute host path (binds: resolved against the project dir), absent for anonymous volumes and tmpfs. */
  source?: string;
  target: string;
  read_only?: boolean;
  /** SELinux relabel from the short syntax's `z` / `Z`. */
  consistency?: string;
  bind?: { propagation?: string; create_host_path?: boolean; selinux?: 'z' | 'Z'; recursive?: 'enabled' | 'disabled' | 'writable' | 'readonly' };
  volume?: { nocopy?: boolean; subpath?: string; labels?: Record<string, string> };
  tmpfs?: { size?: Bytes; mode?: number };
  image?: { subpath?: string };
}

export interface ComposeServiceNetwork {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  link_local_ips?: string[];
  mac_address?: string;
  driver_opts?: Record<string, string>;
  priority?: number;
  gw_priority?: number;
  interface_name?: string;
}

export interface ComposeDependsOn {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  /** compose's default is true; false: a missing or failing dependency only warns. */
  required: boolean;
  /** Restart this service when the dependency is restarted/recreated by an apply. */
  restart: boolean;
}

export interface ComposeHealthcheck {
  /** ["NONE"], ["CMD", ...] or ["CMD-SHELL", "..."]. */
  test?: string[];
  interval?: Nanoseconds;
  timeout?: Nanoseconds;
  start_period?: Nanoseconds;
  start_interval?: Nanoseconds;
  retries?: number;
  disable?: boolean;
}

export interface ComposeResources {
  cpus?: number;
  memory?: Bytes;
  pids?: number;
  devices?: { capabilities: string[]; driver?: string; count?: number | 'all'; device_ids?: string[]; options?: Record<string, string> }[];
}

export interface ComposeDeploy {
  mode?: string;
  replicas?: number;
  labels?: Record<string, string>;
  resources?: { limits?: ComposeResources; reservations?: ComposeResources };
  restart_policy?: { condition?: 'none' | 'on-failure' | 'any'; delay?: Nanoseconds; max_attempts?: number; window?: Nanoseconds };
  /** Swarm-only settings (update_config, rollback_config, placement, endpoint_mode) are kept as written. */
  [swarmOnly: string]: unknown;
}

export interface ComposeServiceFileRef {
  /** The top-level secret/config key. */
  source: string;
  /** Absolute in-container path; secrets default to /run/secrets/<source>, configs to /<source>. */
  target: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

export interface ComposeBlkioConfig {
  weight?: number;
  weight_device?: { path: string; weight: number }[];
  /** Rates in bytes per second. */
  device_read_bps?: { path: string; rate: number }[];
  device_write_bps?: { path: string; rate: number }[];
  /** Rates in operations per second. */
  device_read_iops?: { path: string; rate: number }[];
  device_write_iops?: { path: string; rate: number }[];
}

export interface ComposeService {
  /** The service key. */
  name: string;
  image: string;
  profiles?: string[];
  annotations?: Record<string, string>;
  blkio_config?: ComposeBlkioConfig;
  cap_add?: string[];
  cap_drop?: string[];
  cgroup?: 'host' | 'private';
  cgroup_parent?: string;
  /** Absent: the image's. [] clears it (compose's `command: []`). */
  command?: string[];
  entrypoint?: string[];
  configs?: ComposeServiceFileRef[];
  container_name?: string;
  cpu_count?: number;
  cpu_percent?: number;
  cpu_period?: number;
  cpu_quota?: number;
  cpu_rt_period?: number;
  cpu_rt_runtime?: number;
  cpus?: number;
  cpu_shares?: number;
  cpuset?: string;
  depends_on?: Record<string, ComposeDependsOn>;
  deploy?: ComposeDeploy;
  device_cgroup_rules?: string[];
  devices?: { source: string; target: string; permissions: string }[];
  dns?: string[];
  dns_opt?: string[];
  dns_search?: string[];
  domainname?: string;
  /**
   * The container's environment after env_file and environment are merged
   * (environment wins). A null value: `KEY` / `KEY:` with nothing in .env —
   * the variable is left unset, as compose leaves it.
   */
  environment?: Record<string, string | null>;
  /** Ports only exposed to linked services, as "80/tcp" or "8000-8010/udp". */
  expose?: string[];
  external_links?: string[];
  /** "host:ip" entries, as Docker's ExtraHosts takes them. */
  extra_hosts?: string[];
  group_add?: string[];
  gpus?: ComposeResources['devices'];
  healthcheck?: ComposeHealthcheck;
  hostname?: string;
  init?: boolean;
  ipc?: string;
  isolation?: string;
  labels?: Record<string, string>;
  links?: string[];
  logging?: { driver?: string; options?: Record<string, string> };
  mac_address?: string;
  mem_limit?: Bytes;
  mem_reservation?: Bytes;
  mem_swappiness?: number;
  memswap_limit?: Bytes;
  /** "host", "none", "bridge", "service:<name>", "container:<name|id>", or another network mode. Absent: networks below. */
  network_mode?: string;
  /**
   * Network key (top-level `networks:`) → per-service options. Absent with no
   * network_mode: { default: {} }, as compose attaches every service to the
   * project's default network.
   */
  networks?: Record<string, ComposeServiceNetwork>;
  oom_kill_disable?: boolean;
  oom_score_adj?: number;
  pid?: string;
  pids_limit?: number;
  platform?: string;
  ports?: ComposePort[];
  privileged?: boolean;
  pull_policy?: 'always' | 'missing' | 'never' | 'if_not_present' | 'daily' | 'weekly' | `every_${string}`;
  read_only?: boolean;
  restart?: string;
  runtime?: string;
  /** Number of containers (scale, or deploy.replicas); absent: 1. */
  scale?: number;
  secrets?: ComposeServiceFileRef[];
  security_opt?: string[];
  shm_size?: Bytes;
  stdin_open?: boolean;
  stop_grace_period?: Nanoseconds;
  stop_signal?: string;
  storage_opt?: Record<string, string>;
  sysctls?: Record<string, string>;
  /** "/path" or "/path:options". */
  tmpfs?: string[];
  tty?: boolean;
  ulimits?: Record<string, { soft: number; hard: number }>;
  user?: string;
  userns_mode?: string;
  uts?: string;
  volumes?: ComposeServiceVolume[];
  volumes_from?: string[];
  working_dir?: string;
}

export interface ComposeIpam {
  driver?: string;
  config?: { subnet?: string; ip_range?: string; gateway?: string; aux_addresses?: Record<string, string> }[];
  options?: Record<string, string>;
}

export interface ComposeNetwork {
  /** The engine's name: `name:` if set, else `<project>_<key>`; for external, `name:` or the key. */
  name: string;
  external?: boolean;
  driver?: string;
  driver_opts?: Record<string, string>;
  ipam?: ComposeIpam;
  internal?: boolean;
  attachable?: boolean;
  enable_ipv4?: boolean;
  enable_ipv6?: boolean;
  labels?: Record<string, string>;
}

export interface ComposeVolume {
  /** The engine's name: `name:` if set, else `<project>_<key>`; for external, `name:` or the key. */
  name: string;
  external?: boolean;
  driver?: string;
  driver_opts?: Record<string, string>;
  labels?: Record<string, string>;
}

/** A top-level secret or config: exactly one source. */
export interface ComposeFileObject {
  name: string;
  /** Absolute path (resolved against the project dir). */
  file?: string;
  /** Name of a variable: the value comes from the .env / environment. */
  environment?: string;
  /** Inline content (configs only, in the specification; accepted for both). */
  content?: string;
  external?: boolean;
  labels?: Record<string, string>;
}

export interface ComposeProject {
  /** The compose project name: the Capstan service name. */
  name: string;
  /** Services that will run (profiles applied), by key. */
  services: Record<string, ComposeService>;
  /** Services left out because none of their profiles is enabled. */
  disabled_services?: string[];
  /** Always holds `default` when some service uses it. */
  networks: Record<string, ComposeNetwork>;
  volumes: Record<string, ComposeVolume>;
  secrets: Record<string, ComposeFileObject>;
  configs: Record<string, ComposeFileObject>;
}

/** A problem found in the compose text: the 1-based line where it is, and the path in the document. */
export interface ComposeIssue {
  path: (string | number)[];
  line?: number;
  message: string;
}

/**
 * Where the compose pipeline reads what the file refers to: the project
 * folder on the server, nothing in the dashboard (it validates the text alone
 * and says so in warnings rather than errors).
 */
export interface ProjectFiles {
  /** Absolute path of the project directory (relative paths in the file resolve against it). */
  dir: string;
  /** The home directory `~` expands to. */
  home: string;
  /** Text of a file inside the project folder (path relative to dir, or absolute), or undefined when it does not exist. May throw for a path leaving the folder. */
  read(path: string): string | undefined;
}

export interface LoadComposeInput {
  /** The Capstan service name: the project name. A top-level `name:` must equal it when present. */
  name: string;
  /** The compose YAML, verbatim. */
  yaml: string;
  /** The .env text (may be empty). */
  env?: string;
  /** Profiles to enable (COMPOSE_PROFILES in .env adds to these). */
  profiles?: string[];
  /** Absent: relative paths resolve against "/" for display only and env_file/extends.file cannot be read (a warning). */
  files?: ProjectFiles;
}

export type LoadComposeResult =
  | { ok: true; project: ComposeProject; warnings: string[]; issues: []; located_warnings?: ComposeIssue[] }
  | { ok: false; issues: ComposeIssue[]; warnings: string[]; located_warnings?: ComposeIssue[] };
// located_warnings: the warnings that belong to one place of the compose text (an unset
// variable: its first use), with that place's line, for the editor to mark.

