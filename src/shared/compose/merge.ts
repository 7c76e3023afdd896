// How compose merges one service definition over another (for `extends`),
// following the Compose Specification's merge rules (13-merge.md) as
// compose-go's override/ implements them: maps merge key by key, sequences
// append, command/entrypoint/healthcheck.test are replaced, environment and
// labels merge by key, and then "unique" sequences (ports, volumes by target,
// secrets, configs, expose, …) keep one entry per key, the later one winning.
import { setKey } from './yaml-load.js';

type Path = string[];
type Merger = (base: unknown, over: unknown, path: Path) => unknown;

export class MergeError extends Error {}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepClone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(deepClone) as T;
  if (isMap(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setKey(out, k, deepClone(v));
    return out as T;
  }
  return value;
}

/** A map written as a list ("KEY=value" strings), sorted, as compose-go turns maps into sequences. */
function toSequence(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [value];
  if (!isMap(value)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) out.push(k);
    else if (Array.isArray(v)) for (const item of v) out.push(`${k}=${String(item)}`);
    else out.push(`${k}=${String(v)}`);
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A list of names as a map; each name gets a copy of `value`. */
function toMapping(value: unknown, value0: Record<string, unknown> | null): Record<string, unknown> {
  if (isMap(value)) return value;
  const out: Record<string, unknown> = {};
  if (Array.isArray(value)) for (const name of value) setKey(out, String(name), value0 ? { ...value0 } : null);
  return out;
}

const bySequence: Merger = (b, o) => [...toSequence(b), ...toSequence(o)];
const replace: Merger = (_b, o) => o;
const DEPENDENCY = { condition: 'service_started', required: true };

const SPECIALS: [Path, Merger][] = (
  [
    ['annotations', bySequence],
    ['build', (b, o, p) => mergeMappings(buildMap(b), buildMap(o), p)],
    ['build.args', bySequence],
    ['build.additional_contexts', bySequence],
    ['build.extra_hosts', (b, o) => extraHosts(b, o)],
    ['build.labels', bySequence],
    ['command', replace],
    ['depends_on', (b, o, p) => mergeMappings(toMapping(b, DEPENDENCY), toMapping(o, DEPENDENCY), p)],
    ['deploy.labels', bySequence],
    ['dns', bySequence],
    ['dns_opt', bySequence],
    ['dns_search', bySequence],
    ['entrypoint', replace],
    ['env_file', bySequence],
    ['label_file', bySequence],
    ['environment', bySequence],
    ['extra_hosts', (b, o) => extraHosts(b, o)],
    ['healthcheck.test', replace],
    ['labels', bySequence],
    ['volumes.*.volume.labels', bySequence],
    ['logging', logging],
    ['models', (b, o, p) => mergeMappings(toMapping(b, null), toMapping(o, null), p)],
    ['networks', (b, o, p) => mergeMappings(toMapping(b, null), toMapping(o, null), p)],
    ['sysctls', bySequence],
    ['tmpfs', bySequence],
    ['ulimits.*', replace],
  ] as [string, Merger][]
).map(([p, m]) => [p.split('.'), m]);

function buildMap(v: unknown): Record<string, unknown> {
  return typeof v === 'string' ? { context: v } : isMap(v) ? v : {};
}

function extraHosts(b: unknown, o: unknown): unknown[] {
  const base = toSequence(b);
  return [...base, ...toSequence(o).filter((h) => !base.includes(h))];
}

// Logging options merge only when both sides name the same driver (or one names none).
function logging(b: unknown, o: unknown, p: Path): unknown {
  if (!isMap(b) || !isMap(o)) return o ?? b;
  if (!('driver' in o) || !('driver' in b) || o.driver === b.driver) return mergeMappings(b, o, p);
  return o;
}

function mergeMappings(base: Record<string, unknown>, over: Record<string, unknown>, path: Path): Record<string, unknown> {
  for (const [k, v] of Object.entries(over)) {
    if (!Object.hasOwn(base, k)) setKey(base, k, v);
    else setKey(base, k, mergeValue(base[k], v, [...path, k]));
  }
  return base;
}

function mergeValue(base: unknown, over: unknown, path: Path): unknown {
  for (const [pattern, merger] of SPECIALS) {
    if (pattern.length === path.length && pattern.every((p, i) => p === '*' || p === path[i])) return merger(base, over, path);
  }
  if (over === null || over === undefined) return base;
  if (isMap(base)) {
    if (!isMap(over)) throw new MergeError(`cannot override ${path.join('.')}: one side is a map, the other is not`);
    return mergeMappings(base, over, path);
  }
  if (Array.isArray(base)) {
    if (!Array.isArray(over)) throw new MergeError(`cannot override ${path.join('.')}: one side is a list, the other is not`);
    return [...base, ...over];
  }
  return over;
}

/** `over` merged onto a copy of `base` (both service definitions). Throws MergeError on a shape mismatch. */
export function mergeService(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  return mergeMappings(deepClone(base), deepClone(over), []);
}

/** `over` merged onto a copy of `base` for a top-level resource (volume, network, secret, config): plain map merge. */
export function mergeResource(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  // The leading "#" keeps the service-level rules (labels, ulimits.*, …) from matching.
  return mergeMappings(deepClone(base), deepClone(over), ['#']);
}

// ---- unicity: one entry per key in the sequences compose treats as sets.

type Indexer = (entry: unknown) => string;
const keyValue: Indexer = (e) => (typeof e === 'string' ? e.split('=')[0]! : JSON.stringify(e));
const mount =
  (dir: string): Indexer =>
  (e) => {
    if (typeof e === 'string') return `${dir}/${e}`;
    if (isMap(e)) return typeof e.target === 'string' ? e.target : `${dir}/${String(e.source)}`;
    return JSON.stringify(e);
  };

// The target of a short volume "source:target[:mode]" or "target" (Linux engines: no drive letters).
function volumeTarget(spec: string): string {
  const parts = spec.split(':');
  return parts.length === 1 ? parts[0]! : parts[1]!;
}

const UNIQUE: [Path, Indexer][] = (
  [
    ['annotations', keyValue], ['cap_add', keyValue], ['cap_drop', keyValue], ['dns', keyValue],
    ['dns_opt', keyValue], ['dns_search', keyValue], ['environment', keyValue], ['labels', keyValue],
    ['links', keyValue], ['profiles', keyValue], ['sysctls', keyValue], ['tmpfs', keyValue],
    ['networks.*.aliases', keyValue], ['networks.*.link_local_ips', keyValue], ['deploy.labels', keyValue],
    ['build.args', keyValue], ['build.labels', keyValue], ['build.tags', keyValue], ['build.platform', keyValue],
    ['build.additional_contexts', keyValue],
    ['configs', mount('')], ['secrets', mount('/run/secrets')],
    ['env_file', (e) => (typeof e === 'string' ? e : isMap(e) ? String(e.path) : JSON.stringify(e))],
    ['expose', (e) => String(e)],
    ['ports', (e) => {
      if (!isMap(e)) return String(e);
      const host = e.host_ip ?? '0.0.0.0';
      return `${String(host)}:${String(e.published ?? '')}:${String(e.target)}/${String(e.protocol ?? 'tcp')}`;
    }],
    ['volumes', (e) => (typeof e === 'string' ? volumeTarget(e) : isMap(e) ? String(e.target) : JSON.stringify(e))],
    ['devices', (e) => {
      if (typeof e === 'string') {
        const parts = e.split(':');
        return parts.length === 1 ? parts[0]! : parts[1]!;
      }
      return isMap(e) ? String(e.target) : JSON.stringify(e);
    }],
  ] as [string, Indexer][]
).map(([p, i]) => [p.split('.'), i]);

function unique(value: unknown, path: Path): unknown {
  if (isMap(value)) {
    for (const [k, v] of Object.entries(value)) setKey(value, k, unique(v, [...path, k]));
    return value;
  }
  if (!Array.isArray(value)) return value;
  const indexer = UNIQUE.find(([p]) => p.length === path.length && p.every((s, i) => s === '*' || s === path[i]))?.[1];
  if (!indexer) return value;
  const out: unknown[] = [];
  const at = new Map<string, number>();
  for (const entry of value) {
    const key = indexer(entry);
    const i = at.get(key);
    if (i === undefined) at.set(key, out.push(entry) - 1);
    else out[i] = entry;
  }
  return out;
}

/** Removes the entries a later one redefines in a service's set-like sequences (in place). */
export function enforceServiceUnicity(service: Record<string, unknown>): Record<string, unknown> {
  return unique(service, []) as Record<string, unknown>;
}
