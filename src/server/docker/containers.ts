import type Docker from 'dockerode';
import { engineCall, ignoreMissing } from './errors.js';
import { LABEL_COMPOSE_SERVICE, LABEL_CONFIG_HASH, LABEL_PROJECT, LABEL_SERVICE_ID } from './labels.js';

export type ContainerHealth = 'healthy' | 'unhealthy' | 'starting' | 'none';

/** What one container-list call tells about a compose container; enough for status and planning. */
export interface ContainerInfo {
  id: string;
  name: string;
  project: string;
  /** The compose service key. */
  key: string;
  serviceId: string | undefined;
  configHash: string | undefined;
  image: string;
  imageId: string;
  /** Docker's state: created, running, paused, restarting, removing, exited, dead. */
  state: string;
  health: ContainerHealth;
  labels: Record<string, string>;
  ports: { ip?: string; privatePort: number; publicPort?: number; type: string }[];
  /**
   * Whether it was created with a TTY (its log is then one raw stream, not
   * multiplexed). The list call does not say; the engine watcher fills it in
   * with one inspect per container (it never changes for a container id).
   */
  tty?: boolean;
  /**
   * The engine whose live view reported it. A container listed straight from
   * one engine's client (an operation's own list) has none: it is that engine's.
   */
  engineId?: string;
}

const STOP_TIMEOUT_S = 10;
/** Longer than the stop grace period, so a slow stop is not mistaken for an unreachable engine. */
const SLOW_CALL_MS = (STOP_TIMEOUT_S + 20) * 1000;

function healthFromStatus(status: string): ContainerHealth {
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return 'none';
}

export function toContainerInfo(c: Docker.ContainerInfo): ContainerInfo {
  const labels = c.Labels ?? {};
  return {
    id: c.Id,
    name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
    project: labels[LABEL_PROJECT] ?? '',
    key: labels[LABEL_COMPOSE_SERVICE] ?? '',
    serviceId: labels[LABEL_SERVICE_ID],
    configHash: labels[LABEL_CONFIG_HASH],
    image: c.Image,
    imageId: c.ImageID,
    state: c.State,
    health: healthFromStatus(c.Status ?? ''),
    labels,
    ports: (c.Ports ?? []).map((p) => ({
      ...(p.IP ? { ip: p.IP } : {}),
      privatePort: p.PrivatePort,
      ...(p.PublicPort ? { publicPort: p.PublicPort } : {}),
      type: p.Type,
    })),
  };
}

/** Every container of every compose project, in ONE engine call. */
export function listComposeContainers(docker: Docker): Promise<ContainerInfo[]> {
  return engineCall(async (abortSignal) => {
    const list = await docker.listContainers({ all: true, filters: { label: [LABEL_PROJECT] }, abortSignal });
    return list.map(toContainerInfo);
  }, 'Could not list containers');
}

/** Every container on the engine (for name and port conflicts with what Capstan does not manage). */
export function listAllContainers(docker: Docker): Promise<ContainerInfo[]> {
  return engineCall(async (abortSignal) => (await docker.listContainers({ all: true, abortSignal })).map(toContainerInfo), 'Could not list containers');
}

/**
 * Creates a container. Only the name (and platform) go in the query string:
 * dockerode would otherwise copy every option, the environment included, into
 * the URL, where the engine's debug log and proxies would see it.
 */
export function createContainer(docker: Docker, options: Docker.ContainerCreateOptions, platform?: string): Promise<string> {
  const { name, ...body } = options;
  const query = { ...(name ? { name } : {}), ...(platform ? { platform } : {}) };
  return engineCall(async (abortSignal) => {
    const c = await docker.createContainer({ _query: query, _body: body, abortSignal } as unknown as Docker.ContainerCreateOptions);
    return c.id;
  }, `Could not create container ${name ?? ''}`.trim());
}

/** Connects a created container to one more network (the engine takes a single network at create before API 1.44). */
export function connectNetwork(docker: Docker, network: string, containerId: string, endpoint: Record<string, unknown>, name = containerId): Promise<void> {
  return engineCall(async (abortSignal) => {
    const n = docker.getNetwork(network);
    await n.connect({ Container: containerId, EndpointConfig: endpoint, abortSignal } as object);
  }, `Could not connect container ${name} to network ${network}`);
}

/** Extracts a tar archive into the container at `/` (compose's CopyToContainer for secrets and configs). */
export function putArchive(docker: Docker, id: string, archive: Buffer, opts: { copyUIDGID?: boolean; name?: string } = {}): Promise<void> {
  return engineCall(
    async (abortSignal) => {
      await docker.getContainer(id).putArchive(archive, { path: '/', ...(opts.copyUIDGID ? { copyUIDGID: true } : {}), abortSignal } as object);
    },
    `Could not copy files into container ${opts.name ?? id}`,
  );
}

export function startContainer(docker: Docker, id: string, name = id): Promise<void> {
  return engineCall(async (abortSignal) => {
    try {
      await docker.getContainer(id).start({ abortSignal });
    } catch (err) {
      // 304: already running, which is what we wanted.
      if ((err as { statusCode?: number }).statusCode !== 304) throw err;
    }
  }, `Could not start container ${name}`, SLOW_CALL_MS);
}

/** `timeoutS`: the grace period before the engine kills it (compose's stop_grace_period; default 10 s). */
export function stopContainer(docker: Docker, id: string, name = id, timeoutS = STOP_TIMEOUT_S): Promise<void> {
  return engineCall(async (abortSignal) => {
    try {
      await docker.getContainer(id).stop({ t: timeoutS, abortSignal });
    } catch (err) {
      // 304: already stopped.
      if ((err as { statusCode?: number }).statusCode !== 304) throw err;
    }
  }, `Could not stop container ${name}`, Math.max(SLOW_CALL_MS, (timeoutS + 20) * 1000));
}

/** `timeoutS`: as for stopContainer, the service's stop_grace_period. */
export function restartContainer(docker: Docker, id: string, name = id, timeoutS = STOP_TIMEOUT_S): Promise<void> {
  return engineCall(
    (abortSignal) => docker.getContainer(id).restart({ t: timeoutS, abortSignal }) as Promise<void>,
    `Could not restart container ${name}`,
    Math.max(SLOW_CALL_MS, (timeoutS + 20) * 1000),
  );
}

/**
 * Removes a container. Its anonymous volumes stay (a recreate mounts them on
 * the new container) unless `anonymousVolumes`, as `compose down -v` removes
 * them; named volumes are never removed with a container.
 */
export function removeContainer(docker: Docker, id: string, name = id, { anonymousVolumes = false } = {}): Promise<void> {
  return engineCall(
    (abortSignal) => ignoreMissing(() => docker.getContainer(id).remove({ force: true, v: anonymousVolumes, abortSignal })),
    `Could not remove container ${name}`,
    SLOW_CALL_MS,
  );
}

export function renameContainer(docker: Docker, id: string, newName: string): Promise<void> {
  return engineCall(
    (abortSignal) => docker.getContainer(id).rename({ name: newName, abortSignal }) as Promise<void>,
    `Could not rename container to ${newName}`,
  );
}

export function inspectContainer(docker: Docker, id: string): Promise<Docker.ContainerInspectInfo> {
  return engineCall((abortSignal) => docker.getContainer(id).inspect({ abortSignal }), 'Could not inspect container');
}

/** Config.Tty, fixed when the container is created. */
export async function containerHasTty(docker: Docker, id: string): Promise<boolean> {
  return Boolean((await inspectContainer(docker, id)).Config.Tty);
}

/**
 * Watches a freshly started container for a grace period: a reason when it
 * exits, restarts or turns unhealthy; undefined when it stays up (and, with a
 * healthcheck, becomes healthy).
 */
export async function checkComesUp(docker: Docker, id: string, opts: { graceMs: number; healthTimeoutMs: number }): Promise<string | undefined> {
  const started = Date.now();
  for (;;) {
    const c = await inspectContainer(docker, id);
    const state = c.State;
    if (state.Status === 'exited' || state.Status === 'dead') return `exited with code ${state.ExitCode}`;
    if (state.Restarting || (c.RestartCount ?? 0) > 0) return 'restarted after exiting';
    const health = (state as { Health?: { Status?: string } }).Health?.Status;
    if (health === 'unhealthy') return 'unhealthy';
    const elapsed = Date.now() - started;
    if (health === 'healthy' && elapsed >= Math.min(opts.graceMs, 1000)) return undefined;
    if (!health && elapsed >= opts.graceMs) return undefined;
    if (health && elapsed >= opts.healthTimeoutMs) return `not healthy after ${Math.round(elapsed / 1000)} s`;
    await new Promise((r) => setTimeout(r, 250));
  }
}
