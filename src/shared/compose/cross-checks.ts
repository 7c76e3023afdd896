// Checks that span the project (compose-go's checkConsistency and more):
// references to services, volumes, networks, secrets and configs, dependency
// cycles, container names and host ports that two containers would both want.
import type { ComposeIssue, ComposePort, ComposeProject, ComposeService } from './model.js';
import { parseLongPort, parseShortPort } from './parse-ports.js';
import { disabledDependencyMessage } from './profiles.js';
import { isRecord, type Path } from './schema-kit.js';

export interface CrossCheckInput {
  /** Enabled services; depends_on entries on optional disabled services are removed here. */
  services: Record<string, ComposeService>;
  /** Disabled services by key, with their profiles. */
  disabled: Record<string, string[]>;
  /** Services whose body has issues of its own: known, but not checked. */
  broken: Set<string>;
  /** The raw service bodies, to point at the entry as written. */
  raw: Record<string, unknown>;
  project: Pick<ComposeProject, 'volumes' | 'networks' | 'secrets' | 'configs'>;
  /** A section left undefined had issues of its own: references into it are not checked. */
  unchecked: Partial<Record<'volumes' | 'networks' | 'secrets' | 'configs', unknown>>;
}

function rawEntryPath(raw: unknown, key: string, field: string, name: string): Path {
  const value = isRecord(raw) ? raw[field] : undefined;
  if (Array.isArray(value)) {
    const i = value.indexOf(name);
    return ['services', key, field, ...(i >= 0 ? [i] : [])];
  }
  return ['services', key, field, ...(isRecord(value) && Object.hasOwn(value, name) ? [name] : [])];
}

function bindingsClash(a: ComposePort, b: ComposePort): boolean {
  if (a.published === undefined || a.published.includes('-') || a.published !== b.published || a.protocol !== b.protocol) {
    return false;
  }
  // No host IP means every address (IPv4 and IPv6), so it clashes with any specific one.
  if (a.host_ip === undefined || b.host_ip === undefined || a.host_ip === b.host_ip) return true;
  const v6 = (ip: string) => ip.includes(':');
  const wildcard = (ip: string) => ip === '0.0.0.0' || ip === '::';
  return v6(a.host_ip) === v6(b.host_ip) && (wildcard(a.host_ip) || wildcard(b.host_ip));
}

/** Every back edge of a depth-first walk (keys in order), with the cycle it closes. */
function findCycles(services: Record<string, ComposeService>): { cycle: string[]; service: string; dep: string }[] {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const cycles: { cycle: string[]; service: string; dep: string }[] = [];
  const visit = (name: string): void => {
    state.set(name, 'active');
    stack.push(name);
    for (const dep of Object.keys(services[name]?.depends_on ?? {})) {
      if (!Object.hasOwn(services, dep)) continue;
      const s = state.get(dep);
      if (s === 'active') cycles.push({ cycle: [...stack.slice(stack.indexOf(dep)), dep], service: name, dep });
      else if (s === undefined) visit(dep);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(services).sort()) if (!state.has(name)) visit(name);
  return cycles;
}

export function crossCheck(input: CrossCheckInput): ComposeIssue[] {
  const { services, disabled, broken, raw, project, unchecked } = input;
  const checks = (k: keyof CrossCheckInput['unchecked']) => unchecked[k] !== undefined;
  const issues: ComposeIssue[] = [];
  const add = (path: Path, message: string) => issues.push({ path, message });
  const known = (name: string) => Object.hasOwn(services, name) || broken.has(name);
  /** An issue for a reference to a service that is not there or not enabled; true when it is fine. */
  const checkRef = (target: string, path: Path, what: string): boolean => {
    if (known(target)) return true;
    if (Object.hasOwn(disabled, target)) add(path, `${what} "${target}" is not enabled (profiles: ${(disabled[target] ?? []).join(', ')})`);
    else add(path, `${what} "${target}" is not defined`);
    return false;
  };
  const containerNames = new Map<string, string>();
  const published: { port: ComposePort; service: string }[] = [];

  for (const [key, s] of Object.entries(services)) {
    const at = (...p: Path): Path => ['services', key, ...p];
    const body = raw[key];
    const explicit = isRecord(body) && body.depends_on !== undefined ? body.depends_on : undefined;
    const isExplicit = (dep: string) => (Array.isArray(explicit) ? explicit.includes(dep) : isRecord(explicit) && Object.hasOwn(explicit, dep));
    for (const [dep, cfg] of Object.entries(s.depends_on ?? {})) {
      if (!isExplicit(dep)) continue; // implicit ones are reported at links / volumes_from / network_mode
      const path = rawEntryPath(body, key, 'depends_on', dep);
      if (dep === key) add(path, 'a service cannot depend on itself');
      else if (Object.hasOwn(disabled, dep)) {
        if (cfg.required) add(path, disabledDependencyMessage(key, dep, disabled[dep] ?? []));
        else delete s.depends_on?.[dep];
      } else if (!known(dep)) add(path, `service "${key}" depends on undefined service "${dep}"`);
    }
    (s.links ?? []).forEach((link, i) => checkRef(link.split(':')[0] as string, at('links', i), 'linked service'));
    (s.volumes_from ?? []).forEach((from, i) => {
      if (!from.startsWith('container:')) checkRef(from.split(':')[0] as string, at('volumes_from', i), 'service');
    });
    for (const ns of ['network_mode', 'ipc', 'pid', 'uts', 'cgroup'] as const) {
      const value = s[ns];
      if (typeof value === 'string' && value.startsWith('service:')) checkRef(value.slice(8), at(ns), 'service');
    }
    for (const name of Object.keys(s.networks ?? {})) {
      if (checks('networks') && !Object.hasOwn(project.networks, name) && name !== 'default') {
        add(rawEntryPath(body, key, 'networks', name), `undefined network "${name}": declare it under the top-level networks:`);
      }
    }
    (s.volumes ?? []).forEach((v, i) => {
      if (checks('volumes') && v.type === 'volume' && v.source !== undefined && !Object.hasOwn(project.volumes, v.source)) {
        add(at('volumes', i), `undefined volume "${v.source}": declare it under the top-level volumes:`);
      }
    });
    for (const kind of ['secrets', 'configs'] as const) {
      (s[kind] ?? []).forEach((ref, i) => {
        const what = kind.slice(0, -1);
        if (checks(kind) && !Object.hasOwn(project[kind], ref.source)) {
          add(at(kind, i), `undefined ${what} "${ref.source}": declare it under the top-level ${kind}:`);
        } else if (project[kind][ref.source]?.external) {
          add(at(kind, i), `external ${what} "${ref.source}" is not supported: external ${kind} only exist in Docker Swarm`);
        }
      });
    }
    if (s.container_name !== undefined) {
      const owner = containerNames.get(s.container_name);
      if (owner !== undefined) add(at('container_name'), `container name "${s.container_name}" is already used by service "${owner}"`);
      else containerNames.set(s.container_name, key);
      if ((s.scale ?? 1) > 1) {
        add(at('container_name'), `can't set container_name and ${s.scale === undefined || (isRecord(body) && body.scale === undefined) ? 'deploy.replicas' : 'scale'} > 1: a container name must be unique`);
      }
    }
    const written = isRecord(body) && Array.isArray(body.ports) ? body.ports : [];
    written.forEach((entry, i) => {
      // Re-read each written entry (already valid) so an issue points at it, not at an expanded port.
      const ports = typeof entry === 'string' || typeof entry === 'number' ? parseShortPort(entry) : isRecord(entry) ? parseLongPort(entry) : [];
      for (const port of ports) {
        const clash = published.find((p) => bindingsClash(p.port, port));
        if (clash) {
          const where = clash.service === key ? 'this service' : `service "${clash.service}"`;
          const ip = port.host_ip === undefined ? '' : port.host_ip.includes(':') ? `[${port.host_ip}]:` : `${port.host_ip}:`;
          add(at('ports', i), `host port ${ip}${port.published}/${port.protocol} is already published by ${where}`);
          break;
        }
      }
      for (const port of ports) published.push({ port, service: key });
    });
  }

  for (const { cycle, service, dep } of findCycles(services)) {
    if (cycle.length > 2) add(rawEntryPath(raw[service], service, 'depends_on', dep), `dependency cycle: ${cycle.join(' -> ')}`);
  }
  return issues;
}
