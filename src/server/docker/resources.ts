import type Docker from 'dockerode';
import { engineCall, exists, ignoreMissing } from './errors.js';

// @types/dockerode lacks the abortSignal option on these calls; dockerode itself supports it.
type WithSignal = (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
const call = (fn: unknown, abortSignal: AbortSignal) => (fn as WithSignal)({ abortSignal });

/** Creates the service's network when it is missing; an existing one is kept as it is. */
export function ensureNetwork(docker: Docker, name: string, labels: Record<string, string>): Promise<boolean> {
  return engineCall(async (abortSignal) => {
    const network = docker.getNetwork(name);
    if (await exists(() => call(network.inspect.bind(network), abortSignal))) return false;
    await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: labels, CheckDuplicate: true, abortSignal } as Docker.NetworkCreateOptions);
    return true;
  }, `Could not create network ${name}`);
}

export function removeNetwork(docker: Docker, name: string): Promise<void> {
  return engineCall((abortSignal) => {
    const network = docker.getNetwork(name);
    return ignoreMissing(() => call(network.remove.bind(network), abortSignal));
  }, `Could not remove network ${name}`);
}

export function ensureVolume(docker: Docker, name: string, labels: Record<string, string>): Promise<boolean> {
  return engineCall(async (abortSignal) => {
    const volume = docker.getVolume(name);
    if (await exists(() => call(volume.inspect.bind(volume), abortSignal))) return false;
    await docker.createVolume({ Name: name, Labels: labels, abortSignal } as Docker.VolumeCreateOptions);
    return true;
  }, `Could not create volume ${name}`);
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
