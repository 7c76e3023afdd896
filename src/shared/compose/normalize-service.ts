// One parsed service → the model: commands split, env_file/label_file read and
// merged under environment, `KEY` resolved from the variables, bind sources
// made absolute, secret/config targets defaulted, the default network and the
// implicit depends_on (links, service: namespaces, volumes_from) added, as
// compose-go's normalization and WithServicesEnvironmentResolved do.
import { parseDotenv } from './dotenv.js';
import type { ComposeDependsOn, ComposeIssue, ComposeService, ComposeServiceFileRef } from './model.js';
import type { NormalizeContext } from './normalize.js';
import { ComposeValueError } from './parse-units.js';
import { resolvePath } from './posix-path.js';
import type { ServiceDraft } from './schema-service.js';
import { compact, isRecord, type Path } from './schema-kit.js';
import { splitShellWords } from './shell-words.js';

interface Sink {
  issue(path: Path, message: string): void;
  warn(message: string): void;
}

function splitCommand(sink: Sink, at: Path, v: string | string[] | null | undefined): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v;
  try {
    const { words, dropped } = splitShellWords(v);
    if (dropped !== undefined) {
      sink.warn(`${at.join('.')}: "${dropped}" is shell syntax and is dropped, as compose drops it; use sh -c "..." to run it in a shell`);
    }
    return words;
  } catch (e) {
    if (!(e instanceof ComposeValueError)) throw e;
    sink.issue(at, e.message);
    return undefined;
  }
}

/** Reads a key=value file of the project (env_file, label_file); undefined when it is absent or unreadable. */
function readKeyValueFile(
  sink: Sink,
  ctx: NormalizeContext,
  at: Path,
  file: string,
  required: boolean,
  lookup: (name: string) => string | undefined,
  format?: string,
): Record<string, string> | undefined {
  const files = ctx.files;
  if (!files) {
    sink.warn(`services.${at[1]}: ${at[2]} ${file} not checked here: it is read from the project folder when the service is applied`);
    return undefined;
  }
  let text: string | undefined;
  try {
    text = files.read(resolvePath(files.dir, file, files.home));
  } catch (e) {
    sink.issue(at, `cannot read "${file}": ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  if (text === undefined) {
    if (required) sink.issue(at, `file "${file}" not found in the project folder`);
    return undefined;
  }
  if (format === 'raw') return parseRaw(text);
  const parsed = parseDotenv(text, lookup);
  for (const problem of parsed.issues) sink.issue(at, `${file} line ${problem.line}: ${problem.message}`);
  return parsed.values;
}

/** The "raw" env_file format: KEY=VALUE lines taken literally (no quotes, no interpolation). */
function parseRaw(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return out;
}

function environmentOf(sink: Sink, ctx: NormalizeContext, key: string, raw: Record<string, unknown>, s: ServiceDraft) {
  const lookupVar = (name: string) => (Object.hasOwn(ctx.variables, name) ? ctx.variables[name] : undefined);
  // `KEY` / `KEY:` takes the project's variable, or stays unset (null).
  const own: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(s.environment ?? {})) own[k] = v ?? lookupVar(k) ?? null;
  if (!s.env_file) return s.environment ? own : undefined;
  const merged: Record<string, string | null> = {};
  s.env_file.forEach((ref, i) => {
    const at: Path = ['services', key, 'env_file', ...(Array.isArray(raw.env_file) ? [i] : [])];
    // Interpolation inside the file: the project's variables first, then the service's environment.
    const lookup = (name: string) => lookupVar(name) ?? own[name] ?? undefined;
    Object.assign(merged, readKeyValueFile(sink, ctx, at, ref.path, ref.required, lookup, ref.format) ?? {});
  });
  return { ...merged, ...own };
}

function labelsOf(sink: Sink, ctx: NormalizeContext, key: string, raw: Record<string, unknown>, s: ServiceDraft) {
  if (!s.label_file) return s.labels as Record<string, string> | undefined;
  const merged: Record<string, string> = {};
  s.label_file.forEach((file, i) => {
    const at: Path = ['services', key, 'label_file', ...(Array.isArray(raw.label_file) ? [i] : [])];
    Object.assign(merged, readKeyValueFile(sink, ctx, at, file, true, (name) => merged[name]) ?? {});
  });
  return { ...merged, ...(s.labels as Record<string, string> | undefined) };
}

function fileRefs(refs: ServiceDraft['secrets'], kind: 'secret' | 'config'): ComposeServiceFileRef[] | undefined {
  return refs?.map((r) => {
    const target = r.target ?? r.source;
    const absolute =
      target.startsWith('/') ? target : kind === 'secret' ? `/run/secrets/${target}` : `/${target}`;
    return compact({ ...r, target: absolute });
  });
}

const SERVICE_PREFIX = 'service:';

/** compose-go adds these dependencies itself: links, service: namespaces and volumes_from. */
function implicitDependencies(s: ServiceDraft): Record<string, ComposeDependsOn> {
  const deps: Record<string, ComposeDependsOn> = {};
  const add = (name: string, restart: boolean) => {
    if (!Object.hasOwn(deps, name)) deps[name] = { condition: 'service_started', required: true, restart };
  };
  for (const link of s.links ?? []) add(link.split(':')[0] as string, true);
  for (const ns of [s.network_mode, s.ipc, s.pid, s.uts, s.cgroup]) {
    if (typeof ns === 'string' && ns.startsWith(SERVICE_PREFIX)) add(ns.slice(SERVICE_PREFIX.length), true);
  }
  for (const from of s.volumes_from ?? []) {
    if (!from.startsWith('container:')) add(from.split(':')[0] as string, false);
  }
  return deps;
}

/** compose-go refuses these pairs when both are set and differ. */
function checkDuplicates(sink: Sink, key: string, s: ServiceDraft): void {
  const at = (...p: Path): Path => ['services', key, ...p];
  const deploy = s.deploy as ComposeService['deploy'];
  const limits = deploy?.resources?.limits;
  const reservations = deploy?.resources?.reservations;
  const pairs: [number | undefined, number | undefined, string, string][] = [
    [s.cpus, limits?.cpus, 'cpus', 'deploy.resources.limits.cpus'],
    [s.mem_limit, limits?.memory, 'mem_limit', 'deploy.resources.limits.memory'],
    [s.mem_reservation, reservations?.memory, 'mem_reservation', 'deploy.resources.reservations.memory'],
    [s.pids_limit, limits?.pids, 'pids_limit', 'deploy.resources.limits.pids'],
    [s.scale, deploy?.replicas, 'scale', 'deploy.replicas'],
  ];
  for (const [a, b, name, other] of pairs) {
    if (a !== undefined && b !== undefined && a !== b) sink.issue(at(name), `can't set distinct values on '${name}' and '${other}'`);
  }
  const mounts = new Map<string, string>();
  (s.tmpfs ?? []).forEach((t, i) => mounts.set(t.split(':')[0] as string, `tmpfs ${i}`));
  (s.volumes ?? []).forEach((v, i) => {
    const other = mounts.get(v.target);
    if (other !== undefined) sink.issue(at('volumes', i), `"${v.target}" is already mounted by ${other}`);
  });
}

export function normalizeService(
  key: string,
  raw: Record<string, unknown>,
  s: ServiceDraft,
  ctx: NormalizeContext,
  enabled: boolean,
): { service?: ComposeService; issues: ComposeIssue[]; warnings: string[] } {
  const issues: ComposeIssue[] = [];
  const warnings: string[] = [];
  const sink: Sink = { issue: (path, message) => issues.push({ path, message }), warn: (m) => warnings.push(m) };
  const at = (...p: Path): Path => ['services', key, ...p];
  // compose-go checks consistency for enabled services only.
  if (enabled) {
    if (s.image === undefined && !isRecord(raw.build) && typeof raw.build !== 'string') {
      sink.issue(at('image'), 'required: Capstan runs images from a registry');
    }
    if (s.network_mode !== undefined && s.networks !== undefined) {
      sink.issue(at('network_mode'), 'network_mode and networks are mutually exclusive');
    }
    checkDuplicates(sink, key, s);
  }
  const dir = ctx.files?.dir ?? '/';
  const home = ctx.files?.home ?? '/';
  const { env_file: _e, label_file: _l, command, entrypoint, ...rest } = s;
  const service: ComposeService = compact({
    ...rest,
    name: key,
    image: s.image ?? '',
    command: splitCommand(sink, at('command'), command),
    entrypoint: splitCommand(sink, at('entrypoint'), entrypoint),
    // env_file and label_file of a disabled service are not read: compose drops the service first.
    environment: enabled ? environmentOf(sink, ctx, key, raw, s) : undefined,
    labels: enabled ? labelsOf(sink, ctx, key, raw, s) : (s.labels as Record<string, string> | undefined),
    annotations: s.annotations as Record<string, string> | undefined,
    sysctls: s.sysctls as Record<string, string> | undefined,
    volumes: s.volumes?.map((v) =>
      v.type === 'bind' && v.source !== undefined ? { ...v, source: resolvePath(dir, v.source, home) } : v,
    ),
    secrets: fileRefs(s.secrets, 'secret'),
    configs: fileRefs(s.configs, 'config'),
    scale: s.scale ?? (s.deploy?.replicas as number | undefined),
    deploy: s.deploy as ComposeService['deploy'],
  });
  if (service.network_mode === undefined && (!service.networks || Object.keys(service.networks).length === 0)) {
    service.networks = { default: {} };
  }
  const implicit = implicitDependencies(s);
  if (Object.keys(implicit).length > 0 || service.depends_on) service.depends_on = { ...implicit, ...service.depends_on };
  if (issues.length > 0) return { issues, warnings };
  return { service, issues, warnings };
}
