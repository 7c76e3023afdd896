import type Docker from 'dockerode';
import { engineCall } from './errors.js';

const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;

/** Creates the service's network when it is missing; an existing one is kept as it is. */
export function ensureNetwork(docker: Docker, name: string, labels: Record<string, string>): Promise<boolean> {
  return engineCall(async (abortSignal) => {
    try {
      await (docker.getNetwork(name).inspect as (o: object) => Promise<unknown>)({ abortSignal });
      return false;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: labels, CheckDuplicate: true, abortSignal } as Docker.NetworkCreateOptions);
    return true;
  }, `Could not create network ${name}`);
}

export function removeNetwork(docker: Docker, name: string): Promise<void> {
  return engineCall(async (abortSignal) => {
    try {
      await docker.getNetwork(name).remove({ abortSignal } as object);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }, `Could not remove network ${name}`);
}

export function ensureVolume(docker: Docker, name: string, labels: Record<string, string>): Promise<boolean> {
  return engineCall(async (abortSignal) => {
    try {
      await docker.getVolume(name).inspect({ abortSignal } as object);
      return false;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    await docker.createVolume({ Name: name, Labels: labels, abortSignal } as Docker.VolumeCreateOptions);
    return true;
  }, `Could not create volume ${name}`);
}

export function volumeExists(docker: Docker, name: string): Promise<boolean> {
  return engineCall(async (abortSignal) => {
    try {
      await docker.getVolume(name).inspect({ abortSignal } as object);
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }, `Could not inspect volume ${name}`);
}

export function removeVolume(docker: Docker, name: string): Promise<void> {
  return engineCall(async (abortSignal) => {
    try {
      await docker.getVolume(name).remove({ abortSignal } as object);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }, `Could not remove volume ${name}`);
}

/** Volumes carrying a label (e.g. a project), for a hard delete that also finds volumes of older definitions. */
export function listVolumesByLabel(docker: Docker, label: string): Promise<string[]> {
  return engineCall(async (abortSignal) => {
    const res = await docker.listVolumes({ filters: { label: [label] }, abortSignal } as object);
    return (res.Volumes ?? []).map((v) => v.Name);
  }, 'Could not list volumes');
}
