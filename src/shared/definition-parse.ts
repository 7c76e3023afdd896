// Pure parsers for the strings inside a service definition. The zod schema
// (definition-schema.ts) validates with these and the Docker planner reuses
// them, so what passes validation is exactly what the planner can deploy.
// No node: imports: the dashboard bundles this for validate-as-you-type.
import { parse as shellParse, type ParseEntry } from 'shell-quote';

/** A user-facing problem with a definition; the message is safe to show as is. */
export class DefinitionError extends Error {
  override name = 'DefinitionError';
}

/** Compose project names (the definition's `name`). */
export const PROJECT_NAME_RE = /^[a-z0-9][a-z0-9_-]*$/;
/** Compose service keys, Docker container names and named volumes share this shape. */
export const OBJECT_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export type Protocol = 'tcp' | 'udp';

export interface PortSpec {
  /** Without brackets for IPv6 (Docker's HostIp wants `::1`, not `[::1]`). */
  hostIp?: string;
  /** Absent: Docker picks a free host port. */
  hostPort?: number;
  containerPort: number;
  protocol: Protocol;
}

export interface VolumeSpec {
  type: 'volume' | 'bind';
  source: string;
  target: string;
  readOnly: boolean;
}

const PORT_FORMAT = 'expected "[host_ip:]host_port:container_port[/tcp|udp]", e.g. "8080:80"';
const VOLUME_FORMAT =
  'expected "volume_name:/container/path" or "/host/path:/container/path", optionally ending in ":ro" or ":rw"';

function isIPv4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}

function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return false;
  let text = s;
  // An embedded IPv4 tail (::ffff:1.2.3.4) stands for two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (lastColon < 0 || !isIPv4(tail)) return false;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half === '' ? [] : half.split(':')));
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? groups.length <= 7 : groups.length === 8;
}

function portNumber(text: string, what: 'host port' | 'container port'): number {
  if (/^\d+-\d+$/.test(text)) {
    throw new DefinitionError(`port ranges like "${text}" are not supported; list each port separately`);
  }
  if (!/^\d+$/.test(text)) {
    throw new DefinitionError(
      text === '' ? `missing ${what}; ${PORT_FORMAT}` : `${what} "${text}" is not a number; ${PORT_FORMAT}`,
    );
  }
  const n = Number(text);
  if (n < 1 || n > 65535) throw new DefinitionError(`${what} must be between 1 and 65535, got ${text}`);
  return n;
}

/**
 * Parses `[host_ip:]host_port:container_port[/proto]` or `container_port[/proto]`;
 * `host_ip::container_port` binds a random port on that address.
 */
export function parsePort(spec: string): PortSpec {
  if (spec === '') throw new DefinitionError(`empty port; ${PORT_FORMAT}`);
  if (/\s/.test(spec)) throw new DefinitionError(`port "${spec}" must not contain spaces`);

  let rest = spec;
  let protocol: Protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const proto = rest.slice(slash + 1);
    if (proto !== 'tcp' && proto !== 'udp') {
      throw new DefinitionError(`unsupported protocol "${proto}"; use tcp or udp`);
    }
    protocol = proto;
    rest = rest.slice(0, slash);
  }

  let hostIp: string | undefined;
  let parts: string[];
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) throw new DefinitionError(`missing "]" after the IPv6 address; ${PORT_FORMAT}`);
    hostIp = rest.slice(1, end);
    if (!isIPv6(hostIp)) throw new DefinitionError(`"${hostIp}" is not a valid IPv6 address`);
    if (rest[end + 1] !== ':') throw new DefinitionError(`expected ":host_port:container_port" after "]"`);
    parts = rest.slice(end + 2).split(':');
    if (parts.length !== 2) throw new DefinitionError(`expected ":host_port:container_port" after "]"`);
  } else {
    parts = rest.split(':');
    if (parts.length > 3) {
      throw new DefinitionError(
        isIPv6(parts.slice(0, -2).join(':'))
          ? 'IPv6 host addresses must be in brackets, e.g. "[::1]:8080:80"'
          : `too many ":" in "${spec}"; ${PORT_FORMAT}`,
      );
    }
    if (parts.length === 3) {
      hostIp = parts.shift() as string;
      if (!isIPv4(hostIp)) {
        throw new DefinitionError(`"${hostIp}" is not a valid IPv4 address (put IPv6 addresses in brackets)`);
      }
    }
  }

  const containerPort = portNumber(parts[parts.length - 1] as string, 'container port');
  const result: PortSpec = { containerPort, protocol };
  if (hostIp !== undefined) result.hostIp = hostIp;
  if (parts.length === 2) {
    const host = parts[0] as string;
    // "ip::80" is compose's spelling for "any free port on ip"; a bare ":80" is a typo.
    if (host !== '' || hostIp === undefined) result.hostPort = portNumber(host, 'host port');
  }
  return result;
}

/** Parses `source:target[:ro|:rw]`; source is a named volume or an absolute host path. */
export function parseVolume(spec: string): VolumeSpec {
  const parts = spec.split(':');
  if (parts.length > 3) throw new DefinitionError(`too many ":" in "${spec}"; ${VOLUME_FORMAT}`);
  const [source = '', target, mode] = parts;
  if (target === undefined) throw new DefinitionError(`missing the container path; ${VOLUME_FORMAT}`);
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') {
    throw new DefinitionError(`unsupported mode "${mode}"; use ro or rw`);
  }
  if (source === '') throw new DefinitionError(`missing the source; ${VOLUME_FORMAT}`);
  if (target === '') throw new DefinitionError(`missing the container path; ${VOLUME_FORMAT}`);

  let type: VolumeSpec['type'];
  if (source.startsWith('/')) {
    type = 'bind';
  } else if (source.startsWith('.') || source.startsWith('~') || source.includes('/')) {
    // Relative to what? The server has no project directory, so only absolute paths mean something.
    throw new DefinitionError(`host paths must be absolute (start with "/"), got "${source}"`);
  } else if (OBJECT_NAME_RE.test(source)) {
    type = 'volume';
  } else {
    throw new DefinitionError(
      `"${source}" is not a valid volume name (letters, digits, ".", "_" and "-"; must start with a letter or digit)`,
    );
  }
  if (!target.startsWith('/')) {
    throw new DefinitionError(`container path "${target}" must be absolute (start with "/")`);
  }
  if (/^\/+$/.test(target)) throw new DefinitionError('cannot mount over the container\'s root "/"');
  return { type, source, target, readOnly: mode === 'ro' };
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // micro sign
  'μs': 1e3, // Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Parses a compose (Go-style) duration such as `1m30s` or `500ms` into nanoseconds, the unit the Docker API wants. */
export function parseDuration(s: string): number {
  const bad = () => new DefinitionError(`"${s}" is not a duration; use e.g. "30s", "1m30s", "500ms" or "1h"`);
  if (s === '0') return 0;
  if (s === '') throw bad();
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < s.length) {
    const m = DURATION_PART.exec(s);
    if (m === null) throw bad();
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
  }
  total = Math.round(total);
  if (!Number.isSafeInteger(total)) throw new DefinitionError(`duration "${s}" is too long`);
  return total;
}

/**
 * Splits a string command like a shell would, for `command`/`entrypoint`.
 * Docker runs the result directly (no shell), so anything a shell would have
 * interpreted (operators, globs, comments, $variables) is rejected rather than
 * silently passed through as literal text.
 */
export function splitCommand(s: string): string[] {
  let entries: Array<ParseEntry | { variable: string }>;
  try {
    entries = shellParse(s, (name) => ({ variable: name }));
  } catch (e) {
    throw new DefinitionError(`${e instanceof Error ? e.message : String(e)}; use the list form for shell syntax`);
  }
  const words: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') {
      words.push(entry);
    } else if ('variable' in entry) {
      throw new DefinitionError(
        `\${${entry.variable}} would not be expanded; quote it with '...' or use the list form for shell syntax`,
      );
    } else if ('op' in entry) {
      const shown = entry.op === 'glob' ? entry.pattern : entry.op;
      throw new DefinitionError(`"${shown}" is shell syntax; use the list form for shell syntax`);
    } else {
      throw new DefinitionError('"#" starts a shell comment; use the list form for shell syntax');
    }
  }
  return words;
}

/** Code-unit order, so the result never depends on the runtime's locale. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface DependencyCycle {
  /** e.g. ["a", "b", "a"] */
  cycle: string[];
  /** The service whose depends_on entry closes the cycle… */
  service: string;
  /** …and that entry's index in its depends_on. */
  index: number;
}

type DependencyGraph = Record<string, { depends_on?: readonly string[] | undefined }>;

/**
 * Every back edge of a depth-first walk (keys ascending), each with the cycle it
 * closes. Unknown dependency names are ignored here; callers report those.
 */
export function findDependencyCycles(services: DependencyGraph): DependencyCycle[] {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const cycles: DependencyCycle[] = [];
  const visit = (name: string): void => {
    state.set(name, 'active');
    stack.push(name);
    (services[name]?.depends_on ?? []).forEach((dep, index) => {
      if (!Object.hasOwn(services, dep)) return;
      const s = state.get(dep);
      if (s === 'active') {
        cycles.push({ cycle: [...stack.slice(stack.indexOf(dep)), dep], service: name, index });
      } else if (s === undefined) {
        visit(dep);
      }
    });
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(services).sort(compareNames)) {
    if (!state.has(name)) visit(name);
  }
  return cycles;
}

/**
 * Start order: every service after the ones it depends on; among services that
 * are ready at the same time, ascending key order, so the plan is reproducible.
 */
export function dependencyOrder(services: DependencyGraph): string[] {
  const names = Object.keys(services).sort(compareNames);
  for (const name of names) {
    for (const dep of services[name]?.depends_on ?? []) {
      if (!Object.hasOwn(services, dep)) {
        throw new DefinitionError(`service "${name}" depends on unknown service "${dep}"`);
      }
    }
  }
  const [first] = findDependencyCycles(services);
  if (first) throw new DefinitionError(`dependency cycle: ${first.cycle.join(' -> ')}`);

  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < names.length) {
    // No cycles, so some unplaced service always has all its dependencies placed.
    const next = names.find(
      (n) => !placed.has(n) && (services[n]?.depends_on ?? []).every((dep) => placed.has(dep)),
    ) as string;
    order.push(next);
    placed.add(next);
  }
  return order;
}
