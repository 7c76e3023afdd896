import type Docker from 'dockerode';
import { toContainerInfo, type ContainerInfo } from './containers.js';
import { engineCall } from './errors.js';
import { isAnonymousVolumeName } from './inherit-volumes.js';

/** Measuring volumes walks their files on disk: longer than a short request, still bounded. */
const DISK_USAGE_MS = 60_000;
/** A removal waits for the engine to unmount and delete the data. */
const REMOVE_MS = 30_000;

/** The label the engine puts on a volume created without a name (`docker run -v /data`). */
export const LABEL_ANONYMOUS_VOLUME = 'com.docker.volume.anonymous';

/** The networks every engine creates itself; removing them breaks the engine, not a service. */
export const PREDEFINED_NETWORKS = new Set(['bridge', 'host', 'none', 'ingress', 'docker_gwbridge']);

export interface VolumeInfo {
  name: string;
  driver: string;
  scope: string;
  labels: Record<string, string>;
  createdAt: string | null;
  /** Created without a name (`docker run -v /data`): nothing refers to it by name again. */
  anonymous: boolean;
}

export interface NetworkInfo {
  id: string;
  name: string;
  driver: string;
  scope: string;
  internal: boolean;
  labels: Record<string, string>;
  createdAt: string | null;
}

/** A container with the volumes it mounts and the networks it is attached to (running or not). */
export interface ContainerAttachments {
  container: ContainerInfo;
  volumes: string[];
  networks: string[];
}

const isoOrNull = (s: string | undefined) => {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
};

export function listVolumes(docker: Docker): Promise<VolumeInfo[]> {
  return engineCall(async (abortSignal) => {
    const res = await docker.listVolumes({ abortSignal } as object);
    return (res.Volumes ?? []).map((v) => ({
      name: v.Name,
      driver: v.Driver,
      scope: v.Scope,
      labels: v.Labels ?? {},
      createdAt: isoOrNull((v as { CreatedAt?: string }).CreatedAt),
      // Engines before 23.0 do not label them: their name is then a bare 64-hex id.
      anonymous: LABEL_ANONYMOUS_VOLUME in (v.Labels ?? {}) || (isAnonymousVolumeName(v.Name) && Object.keys(v.Labels ?? {}).length === 0),
    }));
  }, 'Could not list volumes');
}

/** One volume by its exact name, or undefined when the engine has none by that name. */
export async function findVolume(docker: Docker, name: string): Promise<VolumeInfo | undefined> {
  return (await listVolumes(docker)).find((v) => v.name === name);
}

type DiskUsage = { Volumes?: { Name: string; UsageData?: { Size?: number } | null }[] | null };

function diskUsage(docker: Docker, abortSignal: AbortSignal): Promise<DiskUsage> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      { path: '/system/df?', method: 'GET', options: { type: ['volume'] }, abortSignal, statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' } },
      (err: unknown, out: unknown) => (err ? reject(err) : resolve(out as DiskUsage)),
    );
  });
}

const BUSY = /disk usage operation is already running/i;
/** The engine runs one disk-usage walk at a time and refuses a second: callers of one client share it. */
const inFlight = new WeakMap<Docker, Promise<Map<string, number | null>>>();

/**
 * Bytes each volume holds, from the engine's disk-usage call (`docker system
 * df -v`), asked for volumes only. The engine answers -1 for a volume it could
 * not measure (another driver): that is unknown, not zero. While another
 * program's walk keeps the engine busy, the sizes are unknown rather than the
 * whole list failing.
 */
export function volumeSizes(docker: Docker): Promise<Map<string, number | null>> {
  const running = inFlight.get(docker);
  if (running) return running;
  const measure = engineCall(async (abortSignal) => {
    let data: DiskUsage | undefined;
    for (let attempt = 0; attempt < 5 && !data; attempt++) {
      try {
        data = await diskUsage(docker, abortSignal);
      } catch (err) {
        if (!BUSY.test(String((err as { json?: { message?: string } }).json?.message ?? (err as Error).message))) throw err;
        await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
      }
    }
    const sizes = new Map<string, number | null>();
    for (const v of data?.Volumes ?? []) {
      const size = v.UsageData?.Size;
      sizes.set(v.Name, typeof size === 'number' && size >= 0 ? size : null);
    }
    return sizes;
  }, 'Could not read the disk usage of volumes', DISK_USAGE_MS).finally(() => inFlight.delete(docker));
  inFlight.set(docker, measure);
  return measure;
}

export function listNetworks(docker: Docker): Promise<NetworkInfo[]> {
  return engineCall(async (abortSignal) => {
    const list = await docker.listNetworks({ abortSignal } as object);
    return list.map((n) => ({
      id: n.Id,
      name: n.Name,
      driver: n.Driver,
      scope: n.Scope,
      internal: n.Internal === true,
      labels: n.Labels ?? {},
      createdAt: isoOrNull(n.Created),
    }));
  }, 'Could not list networks');
}

/**
 * Every container with its volumes and networks, in one engine call. A
 * stopped container keeps both: starting it again needs them, so it counts
 * as a user.
 */
export function listContainerAttachments(docker: Docker): Promise<ContainerAttachments[]> {
  return engineCall(async (abortSignal) => {
    const list = await docker.listContainers({ all: true, abortSignal });
    return list.map((c) => ({
      container: toContainerInfo(c),
      volumes: (c.Mounts ?? []).flatMap((m) => (m.Type === 'volume' && m.Name ? [m.Name] : [])),
      networks: Object.keys(c.NetworkSettings?.Networks ?? {}),
    }));
  }, 'Could not list containers');
}

/** Removes a volume, never forced; the engine's 404 and 409 come back as NOT_FOUND and CONFLICT. */
export function removeVolumeByName(docker: Docker, name: string): Promise<void> {
  return engineCall(async (abortSignal) => {
    await docker.getVolume(name).remove({ abortSignal } as object);
  }, `Could not remove volume ${name}`, REMOVE_MS);
}

/** Removes a network by id (a name can be an id prefix of another network to the engine). */
export function removeNetworkById(docker: Docker, id: string, name: string): Promise<void> {
  return engineCall(async (abortSignal) => {
    await docker.getNetwork(id).remove({ abortSignal } as object);
  }, `Could not remove network ${name}`, REMOVE_MS);
}
