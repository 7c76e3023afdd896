// Checks across services (dependencies, container names, published ports):
// plain functions over the whole definition, which the schema turns into issues.
import { findDependencyCycles, parsePort, type PortSpec } from './definition-parse.js';

type Path = (string | number)[];

export interface DefinitionProblem {
  path: Path;
  message: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bindingsClash(a: PortSpec, b: PortSpec): boolean {
  if (a.hostPort === undefined || a.hostPort !== b.hostPort || a.protocol !== b.protocol) return false;
  // No host IP means every address (IPv4 and IPv6), so it clashes with any specific one.
  if (a.hostIp === undefined || b.hostIp === undefined || a.hostIp === b.hostIp) return true;
  const v6 = (ip: string) => ip.includes(':');
  const wildcard = (ip: string) => ip === '0.0.0.0' || ip === '::';
  return v6(a.hostIp) === v6(b.hostIp) && (wildcard(a.hostIp) || wildcard(b.hostIp));
}

/**
 * Problems that span containers, with paths from the definition's root. The
 * schema runs this even when some container is invalid, so it reads the value
 * (possibly half-parsed) defensively and skips whatever is malformed: those
 * parts have their own issues.
 */
export function findCrossServiceProblems(def: unknown): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const issue = (message: string, path: Path) => problems.push({ path, message });
  if (!isRecord(def) || !isRecord(def.services)) return problems;
  const services = def.services;
  const graph: Record<string, { depends_on: string[] }> = {};
  const containerNames = new Map<string, string>();
  const published: { spec: PortSpec; service: string }[] = [];

  for (const [key, container] of Object.entries(services)) {
    if (!isRecord(container)) continue;
    const at = (...rest: Path): Path => ['services', key, ...rest];

    const deps = container.depends_on;
    if (Array.isArray(deps) && deps.every((d): d is string => typeof d === 'string')) {
      graph[key] = { depends_on: deps };
      deps.forEach((dep, i) => {
        if (dep === key) issue('a service cannot depend on itself', at('depends_on', i));
        else if (!Object.hasOwn(services, dep)) issue(`unknown service "${dep}"`, at('depends_on', i));
      });
    }

    const name = container.container_name;
    if (typeof name === 'string') {
      const owner = containerNames.get(name);
      if (owner !== undefined) {
        issue(`container name "${name}" is already used by service "${owner}"`, at('container_name'));
      } else {
        containerNames.set(name, key);
      }
    }

    if (Array.isArray(container.ports)) {
      container.ports.forEach((port, i) => {
        if (typeof port !== 'string' && typeof port !== 'number') return;
        let spec: PortSpec;
        try {
          spec = parsePort(String(port));
        } catch {
          return;
        }
        const clash = published.find((p) => bindingsClash(p.spec, spec));
        if (clash) {
          const where = clash.service === key ? 'this service' : `service "${clash.service}"`;
          const ip = spec.hostIp === undefined ? '' : spec.hostIp.includes(':') ? `[${spec.hostIp}]` : spec.hostIp;
          const binding = `${ip ? `${ip}:` : ''}${spec.hostPort}/${spec.protocol}`;
          issue(`host port ${binding} is already published by ${where}`, at('ports', i));
        }
        published.push({ spec, service: key });
      });
    }
  }

  for (const { cycle, service, index } of findDependencyCycles(graph)) {
    // A self-dependency is a one-service cycle, already reported above.
    if (cycle.length > 2) issue(`dependency cycle: ${cycle.join(' -> ')}`, ['services', service, 'depends_on', index]);
  }
  return problems;
}
