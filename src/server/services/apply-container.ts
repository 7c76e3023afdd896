import type Docker from 'dockerode';
import type { DesiredContainer } from '../docker/compose-plan.js';
import { connectNetwork, createContainer, inspectContainer, putArchive, removeContainer, stopContainer } from '../docker/containers.js';
import { inspectImage } from '../docker/images.js';
import { inheritAnonymousVolumes, type OldMount } from '../docker/inherit-volumes.js';
import { LABEL_COMPOSE_IMAGE } from '../docker/labels.js';
import { tarArchive } from '../docker/tar.js';
import type { ComposeService } from '../../shared/compose/model.js';
import { CapstanError } from '../errors.js';

/** The image id a reference points at now (what com.docker.compose.image records, and what a recreate compares). */
export async function imageIdOf(docker: Docker, ref: string): Promise<string> {
  return (await inspectImage(docker, ref)).Id;
}

/** `container:<name>` → `container:<id>`, as compose resolves service references when it creates the container. */
async function resolveRefs(docker: Docker, desired: DesiredContainer, host: Record<string, unknown>): Promise<void> {
  for (const ref of desired.refs) {
    let id: string;
    try {
      id = (await inspectContainer(docker, ref.container)).Id;
    } catch (err) {
      if (err instanceof CapstanError && err.code === 'NOT_FOUND') {
        const what = ref.field === 'NetworkMode' ? 'network' : ref.field === 'IpcMode' ? 'IPC' : 'PID';
        throw new CapstanError('CONFLICT', `Cannot share the ${what} namespace of service ${ref.service}: container missing`, {
          details: `services.${desired.key}: ${ref.container} does not exist`,
          cause: err,
        });
      }
      throw err;
    }
    host[ref.field] = `container:${id}`;
  }
}

/**
 * Whether an existing container's shared namespaces still name the current
 * container of the service they follow: that container replaced (now or by an
 * earlier, interrupted apply) leaves this one attached to nothing.
 */
export async function refsStale(docker: Docker, existingId: string, desired: DesiredContainer): Promise<boolean> {
  if (desired.refs.length === 0) return false;
  const host = (await inspectContainer(docker, existingId)).HostConfig as unknown as Record<string, unknown>;
  for (const ref of desired.refs) {
    const provider = await inspectContainer(docker, ref.container).catch((err: unknown) => {
      if (err instanceof CapstanError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    });
    if (!provider || host[ref.field] !== `container:${provider.Id}`) return true;
  }
  return false;
}

/**
 * Creates a planned container ready to start: compose's createMobyContainer
 * (the other networks connected after create) and the secrets and configs
 * with content copied in before start. A container left half-made is removed.
 * `inherit`, the mounts of the container it replaces: their anonymous volumes
 * are mounted again (inherit-volumes.ts), so a recreate keeps their data.
 */
export async function createPlanned(docker: Docker, desired: DesiredContainer, imageId?: string, inherit: OldMount[] = []): Promise<string> {
  const image = imageId === undefined || inherit.length > 0 ? await inspectImage(docker, imageId ?? desired.image) : undefined;
  let host = { ...(desired.create.HostConfig as Record<string, unknown>) };
  await resolveRefs(docker, desired, host);
  if (inherit.length > 0) host = inheritAnonymousVolumes(host, inherit, Object.keys(image?.Config.Volumes ?? {}));
  const labels = { ...desired.create.Labels, [LABEL_COMPOSE_IMAGE]: imageId ?? image!.Id };
  const options = { ...desired.create, Labels: labels, HostConfig: host } as Docker.ContainerCreateOptions;
  const id = await createContainer(docker, options, desired.platform);
  try {
    for (const c of desired.connect) await connectNetwork(docker, c.network, id, c.endpoint, desired.name);
    if (desired.files.length) {
      const archive = tarArchive(
        desired.files.map((f) => ({
          name: f.target.replace(/^\/+/, ''),
          content: Buffer.from(f.content, 'utf8'),
          mode: f.mode,
          ...(f.uid !== undefined ? { uid: f.uid } : {}),
          ...(f.gid !== undefined ? { gid: f.gid } : {}),
        })),
      );
      // Without copyUIDGID the engine keeps each entry's uid/gid from the archive; with it, it would chown all to the container's user.
      await putArchive(docker, id, archive, { name: desired.name }).catch((err: unknown) => {
        // The engine's text names paths, never the content; still, say only which files.
        const which = desired.files.map((f) => `${f.kind} ${f.source}`).join(', ');
        throw new CapstanError(err instanceof CapstanError ? err.code : 'INTERNAL_SERVER_ERROR', `Could not copy ${which} into ${desired.name}`, {
          ...(err instanceof CapstanError && err.details ? { details: err.details } : {}),
          cause: err,
        });
      });
    }
  } catch (err) {
    await removeContainer(docker, id, desired.name).catch(() => {});
    throw err;
  }
  return id;
}

/** A service's stop_grace_period in whole seconds (what the engine's `t` takes), if the file sets one. */
export const graceOf = (s: Pick<ComposeService, 'stop_grace_period'> | undefined): number | undefined =>
  s?.stop_grace_period === undefined ? undefined : Math.floor(s.stop_grace_period / 1e9);

/**
 * The grace period a stop gives a container, as compose stops: the service's
 * stop_grace_period as the definition says now, else what the container was
 * created with (the engine's 10 s when neither says). The stop signal needs
 * nothing here: the engine sends the container's own StopSignal.
 */
export async function stopGrace(docker: Docker, id: string, planned: number | undefined): Promise<number | undefined> {
  if (planned !== undefined) return planned;
  const info = await inspectContainer(docker, id).catch(() => undefined);
  return (info?.Config as { StopTimeout?: number | null } | undefined)?.StopTimeout ?? undefined;
}

/** Stops one container with its own grace period (see stopGrace). */
export async function stopGracefully(docker: Docker, c: { id: string; name: string }, planned: number | undefined): Promise<void> {
  await stopContainer(docker, c.id, c.name, await stopGrace(docker, c.id, planned));
}
