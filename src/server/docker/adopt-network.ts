// Reading a service's networking back from a container (plan-network.ts
// inverted): network_mode, or the networks it is on with their aliases and
// fixed addresses; and the top-level networks they need. Pure.
import type Docker from 'dockerode';
import { namespaceMode, type Keys, type Siblings } from './adopt-service.js';

type Raw = Record<string, any>;
export type NetworkDeclarations = Record<string, Record<string, unknown>>;

/** What a network's inspect says that a declaration of it needs. */
export interface NetworkFacts {
  name: string;
  driver: string;
  internal: boolean;
  attachable: boolean;
  enableIpv6: boolean;
  options: Record<string, string>;
  subnets: { subnet?: string; gateway?: string; ip_range?: string }[];
}

export function networkFactsOf(n: Docker.NetworkInspectInfo): NetworkFacts {
  const raw = n as Docker.NetworkInspectInfo & Raw;
  return {
    name: n.Name,
    driver: n.Driver,
    internal: Boolean(raw.Internal),
    attachable: Boolean(raw.Attachable),
    enableIpv6: Boolean(raw.EnableIPv6),
    options: (raw.Options ?? {}) as Record<string, string>,
    subnets: ((raw.IPAM?.Config ?? []) as Raw[]).map((c) => ({
      ...(c.Subnet ? { subnet: c.Subnet } : {}),
      ...(c.Gateway ? { gateway: c.Gateway } : {}),
      ...(c.IPRange ? { ip_range: c.IPRange } : {}),
    })),
  };
}

/** The top-level key a network of this name has in the project. */
function keyOf(project: string, name: string): { key: string; own: boolean } {
  const prefix = `${project}_`;
  if (name.startsWith(prefix) && name.length > prefix.length) return { key: name.slice(prefix.length), own: true };
  return { key: name.replace(/[^a-zA-Z0-9._-]/g, '_'), own: false };
}

function declare(facts: NetworkFacts | undefined, withSubnets: boolean): Record<string, unknown> {
  if (!facts) return {};
  return {
    ...(facts.driver && facts.driver !== 'bridge' ? { driver: facts.driver } : {}),
    ...(Object.keys(facts.options).length ? { driver_opts: facts.options } : {}),
    ...(facts.internal ? { internal: true } : {}),
    ...(facts.attachable ? { attachable: true } : {}),
    ...(facts.enableIpv6 ? { enable_ipv6: true } : {}),
    // A fixed address needs the subnet it is in declared (the engine refuses it on a pool it chose).
    ...(withSubnets && facts.subnets.length ? { ipam: { config: facts.subnets } } : {}),
  };
}

/**
 * `network_mode`, or `networks` (omitted when it is the default network
 * alone, as compose writes no key then), filling `declarations` with the
 * top-level networks: the project's own under their keys, any other as
 * `external` under its name.
 */
export function networkKeys(
  info: Docker.ContainerInspectInfo,
  project: string,
  key: string,
  siblings: Siblings,
  facts: Map<string, NetworkFacts>,
  declarations: NetworkDeclarations,
): Keys {
  const mode = String(info.HostConfig.NetworkMode ?? '');
  if (mode === 'host' || mode === 'none') return { network_mode: mode };
  if (mode.startsWith('container:')) return { network_mode: namespaceMode(mode, siblings) };
  const attached = Object.entries((info.NetworkSettings?.Networks ?? {}) as Record<string, Raw>);
  if (mode === 'bridge' || mode === 'default') return { network_mode: 'bridge' };
  const own = new Set([info.Id, info.Id.slice(0, 12), info.Name.replace(/^\//, ''), key]);
  const networks: Record<string, Record<string, unknown> | null> = {};
  for (const [name, endpoint] of attached) {
    const { key: netKey, own: ours } = keyOf(project, name);
    const aliases = ((endpoint.Aliases ?? []) as string[]).filter((a) => !own.has(a));
    const ipv4 = endpoint.IPAMConfig?.IPv4Address as string | undefined;
    const ipv6 = endpoint.IPAMConfig?.IPv6Address as string | undefined;
    const cfg = {
      ...(aliases.length ? { aliases: [...new Set(aliases)] } : {}),
      ...(ipv4 ? { ipv4_address: ipv4 } : {}),
      ...(ipv6 ? { ipv6_address: ipv6 } : {}),
    };
    networks[netKey] = Object.keys(cfg).length ? cfg : null;
    const declaration = ours ? declare(facts.get(name), Boolean(ipv4 || ipv6)) : { external: true, name };
    // Another container of the project may have needed the subnets: keep the fullest declaration.
    if (!declarations[netKey] || Object.keys(declaration).length > Object.keys(declarations[netKey]!).length) declarations[netKey] = declaration;
  }
  const keys = Object.keys(networks);
  // The network the container was created on stays its first (compose orders by priority, then key).
  const primary = keyOf(project, mode).key;
  if (keys.length > 1 && [...keys].sort()[0] !== primary && primary in networks) networks[primary] = { ...networks[primary], priority: 1000 };
  if (keys.length === 1 && keys[0] === 'default' && networks.default === null) return {};
  return { networks };
}
