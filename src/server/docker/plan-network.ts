import type Docker from 'dockerode';
import type { ComposeNetwork, ComposeProject, ComposeService, ComposeServiceNetwork, ComposeVolume } from '../../shared/compose/model.js';
import { CapstanError } from '../errors.js';
import { COMPOSE_VERSION, LABEL_COMPOSE_NETWORK, LABEL_COMPOSE_VERSION, LABEL_COMPOSE_VOLUME, LABEL_PROJECT, LABEL_SERVICE_ID } from './labels.js';

export type EndpointSettings = Record<string, unknown> & { Aliases?: string[] };

export interface PlannedNetwork {
  key: string;
  name: string;
  external: boolean;
  /** Absent for external networks: they must exist. */
  create?: Docker.NetworkCreateOptions & Record<string, unknown>;
}

export interface PlannedVolume {
  key: string;
  name: string;
  external: boolean;
  create?: Docker.VolumeCreateOptions & Record<string, unknown>;
}

const IFNAME_OPT = 'com.docker.network.endpoint.ifname';

/** compose-go's NetworksByPriority: highest priority first, then by key. */
export function networksByPriority(networks: Record<string, ComposeServiceNetwork>): string[] {
  return Object.keys(networks).sort((a, b) => {
    const pa = networks[a]?.priority ?? 0;
    const pb = networks[b]?.priority ?? 0;
    return pa !== pb ? pb - pa : a < b ? -1 : a > b ? 1 : 0;
  });
}

/** compose's createEndpointSettings: the container name, the service key and the aliases answer on the network. */
function endpoint(containerName: string, s: ComposeService, cfg: ComposeServiceNetwork | undefined, links: string[]): EndpointSettings {
  const e: EndpointSettings = { Aliases: [containerName, s.name, ...(cfg?.aliases ?? [])] };
  if (links.length) e.Links = links;
  if (cfg?.ipv4_address || cfg?.ipv6_address || cfg?.link_local_ips?.length) {
    e.IPAMConfig = {
      ...(cfg.ipv4_address ? { IPv4Address: cfg.ipv4_address } : {}),
      ...(cfg.ipv6_address ? { IPv6Address: cfg.ipv6_address } : {}),
      ...(cfg.link_local_ips?.length ? { LinkLocalIPs: cfg.link_local_ips } : {}),
    };
  }
  if (cfg?.mac_address) e.MacAddress = cfg.mac_address;
  const driverOpts = { ...cfg?.driver_opts, ...(cfg?.interface_name ? { [IFNAME_OPT]: cfg.interface_name } : {}) };
  if (Object.keys(driverOpts).length) e.DriverOpts = driverOpts;
  if (cfg?.gw_priority !== undefined) e.GwPriority = cfg.gw_priority;
  return e;
}

export interface NetworkingPlan {
  /** HostConfig.NetworkMode, with `service:x` already turned into `container:<x's first container name>`. */
  mode: string;
  /** The service `network_mode: service:x` names: its container's id replaces the name at apply time. */
  modeService?: string;
  /** The primary network, in the create call. */
  endpoints?: Record<string, EndpointSettings>;
  /** The other networks, connected after create and before start (the engine takes one at create before API 1.44). */
  connect: { network: string; endpoint: EndpointSettings }[];
  /** Container-wide MAC address (engines before API 1.44 read it there). */
  macAddress?: string;
}

export function planNetworking(
  project: ComposeProject,
  s: ComposeService,
  containerName: string,
  links: string[],
  firstContainerOf: (service: string) => string,
): NetworkingPlan {
  if (s.network_mode !== undefined) {
    if (s.network_mode.startsWith('service:')) {
      const dep = s.network_mode.slice('service:'.length);
      if (!project.services[dep]) {
        throw new CapstanError('BAD_REQUEST', `Service ${s.name} shares the network of an undefined service ${dep}`, {
          details: `services.${s.name}.network_mode`,
        });
      }
      return { mode: `container:${firstContainerOf(dep)}`, modeService: dep, connect: [] };
    }
    return { mode: s.network_mode, connect: [], ...(s.mac_address ? { macAddress: s.mac_address } : {}) };
  }
  const networks = s.networks ?? (project.networks.default ? { default: {} } : {});
  const keys = networksByPriority(networks);
  if (keys.length === 0) return { mode: 'none', connect: [] };
  const engineName = (key: string) => {
    const n = project.networks[key];
    if (!n) throw new CapstanError('BAD_REQUEST', `Service ${s.name} uses an undefined network ${key}`, { details: `services.${s.name}.networks.${key}` });
    return n.name;
  };
  const [primary, ...rest] = keys;
  const primaryCfg = networks[primary!];
  if (s.mac_address && primaryCfg?.mac_address && primaryCfg.mac_address !== s.mac_address) {
    throw new CapstanError('BAD_REQUEST', `The service-level mac_address should have the same value as network ${primary}`, {
      details: `services.${s.name}.mac_address`,
    });
  }
  const primaryEndpoint = endpoint(containerName, s, primaryCfg, links);
  const mac = primaryCfg?.mac_address ?? s.mac_address;
  if (mac) primaryEndpoint.MacAddress = mac;
  return {
    mode: engineName(primary!),
    endpoints: { [engineName(primary!)]: primaryEndpoint },
    connect: rest.map((key) => ({ network: engineName(key), endpoint: endpoint(containerName, s, networks[key], links) })),
    ...(mac ? { macAddress: mac } : {}),
  };
}

function baseLabels(project: string, serviceId: string): Record<string, string> {
  return { [LABEL_PROJECT]: project, [LABEL_COMPOSE_VERSION]: COMPOSE_VERSION, [LABEL_SERVICE_ID]: serviceId };
}

/** compose's createNetwork options, with compose's labels. */
export function planNetwork(project: string, serviceId: string, key: string, n: ComposeNetwork): PlannedNetwork {
  if (n.external) return { key, name: n.name, external: true };
  const create: PlannedNetwork['create'] = {
    Name: n.name,
    CheckDuplicate: true,
    Labels: { ...n.labels, ...baseLabels(project, serviceId), [LABEL_COMPOSE_NETWORK]: key },
  };
  if (n.driver) create.Driver = n.driver;
  if (n.driver_opts) create.Options = n.driver_opts;
  if (n.internal) create.Internal = true;
  if (n.attachable) create.Attachable = true;
  if (n.enable_ipv6 !== undefined) create.EnableIPv6 = n.enable_ipv6;
  if (n.enable_ipv4 !== undefined) create.EnableIPv4 = n.enable_ipv4;
  if (n.ipam && (n.ipam.driver || n.ipam.config?.length || n.ipam.options)) {
    create.IPAM = {
      ...(n.ipam.driver ? { Driver: n.ipam.driver } : {}),
      Config: (n.ipam.config ?? []).map((c) => ({
        ...(c.subnet ? { Subnet: c.subnet } : {}),
        ...(c.ip_range ? { IPRange: c.ip_range } : {}),
        ...(c.gateway ? { Gateway: c.gateway } : {}),
        ...(c.aux_addresses ? { AuxiliaryAddresses: c.aux_addresses } : {}),
      })),
      ...(n.ipam.options ? { Options: n.ipam.options } : {}),
    } as Docker.IPAM;
  }
  return { key, name: n.name, external: false, create };
}

export function planVolume(project: string, serviceId: string, key: string, v: ComposeVolume): PlannedVolume {
  if (v.external) return { key, name: v.name, external: true };
  const create: PlannedVolume['create'] = {
    Name: v.name,
    Labels: { ...v.labels, ...baseLabels(project, serviceId), [LABEL_COMPOSE_VOLUME]: key },
  };
  if (v.driver) create.Driver = v.driver;
  if (v.driver_opts) create.DriverOpts = v.driver_opts;
  return { key, name: v.name, external: false, create };
}
