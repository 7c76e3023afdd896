import type Docker from 'dockerode';
import { LOCAL_ENGINE_ID } from '../../shared/engines.js';
import type {
  NetworkObject,
  NetworkPruneInput,
  NetworkPruneResult,
  VolumeObject,
  VolumePruneInput,
  VolumePruneResult,
} from '../../shared/volumes-networks.js';
import { LABEL_PROJECT, LABEL_SERVICE_ID } from '../docker/labels.js';
import {
  findVolume,
  listContainerAttachments,
  listNetworks,
  listVolumes,
  PREDEFINED_NETWORKS,
  removeNetworkById,
  removeVolumeByName,
  volumeSizes,
  type ContainerAttachments,
  type NetworkInfo,
} from '../docker/volumes-networks.js';
import { CapstanError } from '../errors.js';
import { belongsTo } from './apply.js';
import type { EnginePool } from './engines.js';
import type { ServiceRow, ServiceStore } from './service-store.js';

interface User {
  id: string;
  name: string;
  state: string;
  service_id: string | null;
  service_name: string | null;
}

type Kind = 'volume' | 'network';

/** Who uses what: each volume and network name → the containers (with their services) using it. */
function usersByName(attachments: ContainerAttachments[], services: ServiceRow[], kind: Kind): Map<string, User[]> {
  const users = new Map<string, User[]>();
  for (const a of attachments) {
    const service = services.find((s) => belongsTo(a.container, s));
    const user: User = { id: a.container.id, name: a.container.name, state: a.container.state, service_id: service?.id ?? null, service_name: service?.name ?? null };
    for (const name of new Set(kind === 'volume' ? a.volumes : a.networks)) users.set(name, [...(users.get(name) ?? []), user]);
  }
  return users;
}

/**
 * Capstan's own by labels: the service id it stamps on what it creates, or
 * the compose project of a service it adopted (created by compose, not by it).
 */
export function ownership(labels: Record<string, string>, services: ServiceRow[]) {
  const project = labels[LABEL_PROJECT] ?? null;
  const stamped = labels[LABEL_SERVICE_ID];
  const adopted = project ? services.find((s) => s.adopted && s.name === project) : undefined;
  const serviceId = stamped ?? adopted?.id ?? null;
  return { managed: serviceId !== null, service_id: serviceId, project };
}

function usage(users: User[]) {
  return {
    used_by: [...new Set(users.flatMap((u) => (u.service_id ? [u.service_id] : [])))],
    containers: users.map((u) => ({ id: u.id, name: u.name, state: u.state, service_id: u.service_id, service_name: u.service_name })),
    in_use: users.length > 0,
  };
}

/** "service shop (container shop-web-1), container stray" for a 409's details. */
export function describeUsers(users: User[]): string {
  const byService = new Map<string, string[]>();
  const foreign: string[] = [];
  for (const u of users) {
    if (u.service_name) byService.set(u.service_name, [...(byService.get(u.service_name) ?? []), u.name]);
    else foreign.push(u.name);
  }
  const parts = [...byService].map(([service, names]) => `service ${service} (container${names.length > 1 ? 's' : ''} ${names.join(', ')})`);
  if (foreign.length) parts.push(`container${foreign.length > 1 ? 's' : ''} ${foreign.join(', ')}`);
  return parts.join('; ');
}

/** `key` or `key=value` filters, all of which must match (as the engine's label filter). */
export function matchesLabels(labels: Record<string, string>, filters: string[]): boolean {
  return filters.every((f) => {
    const eq = f.indexOf('=');
    return eq < 0 ? f in labels : labels[f.slice(0, eq)] === f.slice(eq + 1);
  });
}

const isPredefined = (n: NetworkInfo) => PREDEFINED_NETWORKS.has(n.name) || n.driver === 'host' || n.driver === 'null';

/**
 * Volumes and networks on each engine: lists with their users, removal
 * refused while used, prune of the unused. Every call acts on one engine
 * (default `local`); only the services on that engine are named as users or owners.
 */
export class VolumeNetworkService {
  constructor(
    private readonly engines: EnginePool,
    private readonly store: ServiceStore,
  ) {}

  async listVolumes(engineId: string = LOCAL_ENGINE_ID): Promise<VolumeObject[]> {
    const docker = await this.engines.docker(engineId);
    const [volumes, sizes, attachments, services] = await Promise.all([
      listVolumes(docker),
      volumeSizes(docker),
      listContainerAttachments(docker),
      this.servicesOn(engineId),
    ]);
    const users = usersByName(attachments, services, 'volume');
    return volumes
      .map((v) => ({
        name: v.name,
        driver: v.driver,
        scope: v.scope,
        ...usage(users.get(v.name) ?? []),
        ...ownership(v.labels, services),
        labels: v.labels,
        created_at: v.createdAt,
        size_bytes: sizes.get(v.name) ?? null,
        anonymous: v.anonymous,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async listNetworks(engineId: string = LOCAL_ENGINE_ID): Promise<NetworkObject[]> {
    const docker = await this.engines.docker(engineId);
    const [networks, attachments, services] = await Promise.all([listNetworks(docker), listContainerAttachments(docker), this.servicesOn(engineId)]);
    const users = usersByName(attachments, services, 'network');
    return networks
      .map((n) => ({
        id: n.id,
        name: n.name,
        driver: n.driver,
        scope: n.scope,
        ...usage(users.get(n.name) ?? []),
        ...ownership(n.labels, services),
        labels: n.labels,
        created_at: n.createdAt,
        size_bytes: null,
        internal: n.internal,
        predefined: isPredefined(n),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Removes an unused volume; one any container mounts (even stopped) is a 409 naming the users. */
  async removeVolume(name: string, engineId: string = LOCAL_ENGINE_ID): Promise<void> {
    const docker = await this.engines.docker(engineId);
    const volume = await findVolume(docker, name);
    if (!volume) throw new CapstanError('NOT_FOUND', 'Volume not found', { details: `no volume named "${name}" on engine "${engineId}"` });
    const users = await this.users(docker, engineId, 'volume', name);
    if (users.length > 0) throw inUse('volume', name, describeUsers(users));
    await removeVolumeByName(docker, name).catch((err: unknown) => {
      // A container created since the check: the engine refuses and names it.
      if (err instanceof CapstanError && err.code === 'CONFLICT') throw inUse('volume', name, err.details ?? 'a container');
      throw err;
    });
  }

  /** Removes an unused network; the engine's own (bridge, host, none) never, a used one is a 409. */
  async removeNetwork(name: string, engineId: string = LOCAL_ENGINE_ID): Promise<void> {
    const docker = await this.engines.docker(engineId);
    const network = (await listNetworks(docker)).find((n) => n.name === name);
    if (!network) throw new CapstanError('NOT_FOUND', 'Network not found', { details: `no network named "${name}" on engine "${engineId}"` });
    if (isPredefined(network)) throw predefined(name);
    const users = await this.users(docker, engineId, 'network', name);
    // The engine would let a network go while only stopped containers are attached; they could then never start again.
    if (users.length > 0) throw inUse('network', name, describeUsers(users));
    await removeNetworkById(docker, network.id, name).catch((err: unknown) => {
      if (err instanceof CapstanError && err.code === 'CONFLICT') throw inUse('network', name, err.details ?? 'a container');
      throw err;
    });
  }

  /**
   * Removes the volumes no container uses: anonymous ones only unless `all`,
   * as `docker volume prune`. Decided here rather than by the engine's prune,
   * so what goes is exactly what the list calls unused.
   */
  async pruneVolumes(input: VolumePruneInput): Promise<VolumePruneResult> {
    const engineId = input.engine_id ?? LOCAL_ENGINE_ID;
    const docker = await this.engines.docker(engineId);
    const volumes = await this.listVolumes(engineId);
    const candidates = volumes.filter((v) => !v.in_use && (input.all || v.anonymous) && matchesLabels(v.labels, input.label));
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of candidates) {
      if (await this.tryRemove(() => removeVolumeByName(docker, v.name))) {
        deleted.push(v.name);
        reclaimed += v.size_bytes ?? 0;
      }
    }
    return { deleted, space_reclaimed: reclaimed };
  }

  /** Removes the networks no container is attached to, running or stopped (the engine's prune would take the latter's). */
  async pruneNetworks(input: NetworkPruneInput): Promise<NetworkPruneResult> {
    const engineId = input.engine_id ?? LOCAL_ENGINE_ID;
    const docker = await this.engines.docker(engineId);
    const networks = await this.listNetworks(engineId);
    const candidates = networks.filter((n) => !n.in_use && !n.predefined && matchesLabels(n.labels, input.label));
    const deleted: string[] = [];
    for (const n of candidates) {
      if (await this.tryRemove(() => removeNetworkById(docker, n.id, n.name))) deleted.push(n.name);
    }
    return { deleted };
  }

  private async users(docker: Docker, engineId: string, kind: Kind, name: string): Promise<User[]> {
    const [attachments, services] = await Promise.all([listContainerAttachments(docker), this.servicesOn(engineId)]);
    return usersByName(attachments, services, kind).get(name) ?? [];
  }

  /** The services that run on the engine: what its client lists can belong only to one of them. */
  private async servicesOn(engineId: string): Promise<ServiceRow[]> {
    return (await this.store.list()).filter((s) => s.engineId === engineId);
  }

  /** One prune removal: an object taken into use or removed since the list stays out of the result, not a failure. */
  private async tryRemove(remove: () => Promise<void>): Promise<boolean> {
    try {
      await remove();
      return true;
    } catch (err) {
      if (err instanceof CapstanError && (err.code === 'CONFLICT' || err.code === 'NOT_FOUND')) return false;
      throw err;
    }
  }
}

const inUse = (kind: Kind, name: string, who: string) =>
  new CapstanError('CONFLICT', `${kind === 'volume' ? 'Volume' : 'Network'} in use`, {
    details: `${kind} ${name} is used by ${who}; remove ${kind === 'volume' ? 'those containers' : 'those containers or disconnect them'} first`,
  });

const predefined = (name: string) =>
  new CapstanError('FORBIDDEN', 'Predefined network cannot be removed', {
    details: `network ${name} is created by the Docker engine itself (bridge, host, none); it is never removed`,
  });
