import type Docker from 'dockerode';
import { CapstanError } from '../errors.js';
import { engineCall, exists, ignoreMissing } from './errors.js';

// @types/dockerode lacks the abortSignal option on these calls; dockerode itself supports it.
type WithSignal = (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
const call = (fn: unknown, abortSignal: AbortSignal) => (fn as WithSignal)({ abortSignal });

/** Creates a network when it is missing; an existing one is kept as it is (compose reuses it too). */
export function ensureNetwork(docker: Docker, create: Docker.NetworkCreateOptions): Promise<boolean> {
  return engineCall(async (abortSignal) => {
    const network = docker.getNetwork(create.Name);
    if (await exists(() => call(network.inspect.bind(network), abortSignal))) return false;
    try {
      await docker.createNetwork({ Driver: 'bridge', ...create, abortSignal } as Docker.NetworkCreateOptions);
    } catch (err) {
      // Another apply created it in between: what we wanted.
      if ((err as { statusCode?: number }).statusCode === 409) return false;
      throw err;
    }
    return true;
  }, `Could not create network ${create.Name}`);
}

/**
 * An external network must exist; it is matched by exact name (or id), as
 * compose does, since the engine's inspect also matches an id prefix.
 */
export async function requireExternalNetwork(docker: Docker, name: string, key: string): Promise<void> {
  const found = await engineCall(async (abortSignal) => {
    const list = await docker.listNetworks({ filters: { name: [name] }, abortSignal } as object);
    return list.some((n) => n.Name === name || n.Id === name);
  }, `Could not look up network ${name}`);
  if (!found) {
    throw new CapstanError('NOT_FOUND', `Network ${name} declared as external, but could not be found`, {
      details: `networks.${key}: create it first (docker network create ${name}) or remove external: true`,
    });
  }
}

export function removeNetwork(docker: Docker, name: string): Promise<void> {
  return engineCall((abortSignal) => {
    const network = docker.getNetwork(name);
    return ignoreMissing(() => call(network.remove.bind(network), abortSignal));
  }, `Could not remove network ${name}`);
}

export function ensureVolume(docker: Docker, create: Docker.VolumeCreateOptions & { Name: string }): Promise<boolean> {
  return engineCall(async (abortSignal) => {
    const volume = docker.getVolume(create.Name);
    if (await exists(() => call(volume.inspect.bind(volume), abortSignal))) return false;
    await docker.createVolume({ ...create, abortSignal } as Docker.VolumeCreateOptions);
    return true;
  }, `Could not create volume ${create.Name}`);
}

export async function requireExternalVolume(docker: Docker, name: string, key: string): Promise<void> {
  const found = await engineCall((abortSignal) => {
    const volume = docker.getVolume(name);
    return exists(() => call(volume.inspect.bind(volume), abortSignal));
  }, `Could not look up volume ${name}`);
  if (!found) {
    throw new CapstanError('NOT_FOUND', `External volume ${name} not found`, {
      details: `volumes.${key}: create it first (docker volume create ${name}) or remove external: true`,
    });
  }
}

export function removeVolume(docker: Docker, name: string): Promise<void> {
  return engineCall((abortSignal) => {
    const volume = docker.getVolume(name);
    return ignoreMissing(() => call(volume.remove.bind(volume), abortSignal));
  }, `Could not remove volume ${name}`);
}

/** Volumes carrying a label (e.g. a project), for a hard delete that also finds volumes of older definitions. */
export function listVolumesByLabel(docker: Docker, label: string): Promise<string[]> {
  return engineCall(async (abortSignal) => {
    const res = await docker.listVolumes({ filters: { label: [label] }, abortSignal } as object);
    return (res.Volumes ?? []).map((v) => v.Name);
  }, 'Could not list volumes');
}
