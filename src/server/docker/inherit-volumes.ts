import type Docker from 'dockerode';
import { inspectContainer } from './containers.js';
import type { Mount } from './plan-mounts.js';

/** A mount of the container being replaced, as inspect shows it. */
export interface OldMount {
  type: string;
  /** The volume's name, or a bind's host path. */
  source: string;
  target: string;
  readOnly: boolean;
}

/** The mounts of a container about to be replaced: what its successor may inherit. */
export async function containerMounts(docker: Docker, id: string): Promise<OldMount[]> {
  const info = await inspectContainer(docker, id);
  return (info.Mounts ?? []).map((m) => ({
    type: m.Type,
    source: (m.Type === 'volume' ? m.Name : m.Source) ?? '',
    target: normalizeTarget(m.Destination),
    readOnly: !m.RW,
  }));
}

/** The engine names an anonymous volume with 64 random hex digits. */
export const isAnonymousVolumeName = (name: string) => /^[0-9a-f]{64}$/.test(name);

/** The anonymous volumes a container mounts (its own, or inherited from the container it replaced). */
export async function anonymousVolumesOf(docker: Docker, id: string): Promise<string[]> {
  return (await containerMounts(docker, id)).flatMap((m) => (m.type === 'volume' && isAnonymousVolumeName(m.source) ? [m.source] : []));
}

const normalizeTarget = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/** Where a bind string ("source:target[:options]") mounts. */
function bindTarget(bind: string): string {
  const parts = bind.split(':');
  return normalizeTarget(parts[1] ?? '');
}

/**
 * compose's recreate keeps the data a container holds in anonymous volumes:
 * the new container mounts the old one's volume at every path the new image
 * declares a VOLUME for, and at every service volume that names no source
 * (`- /data`). A path the definition now mounts something else at gets what
 * the definition says. Returns the create body's HostConfig with those
 * mounts; the plan (and its hash) are left as they are.
 */
export function inheritAnonymousVolumes(
  host: Record<string, unknown>,
  old: OldMount[],
  imageVolumes: string[],
): Record<string, unknown> {
  const inheritable = new Map(old.filter((m) => m.type !== 'tmpfs' && m.source).map((m) => [m.target, m]));
  if (inheritable.size === 0) return host;
  const binds = (host.Binds as string[] | undefined) ?? [];
  const mounts = ((host.Mounts as Mount[] | undefined) ?? []).map((m) => ({ ...m }));
  const tmpfs = Object.keys((host.Tmpfs as Record<string, string> | undefined) ?? {}).map(normalizeTarget);
  const planned = new Set([...binds.map(bindTarget), ...mounts.map((m) => normalizeTarget(m.Target)), ...tmpfs]);
  let changed = false;
  for (const m of mounts) {
    const was = inheritable.get(normalizeTarget(m.Target));
    // An anonymous service volume: no source of its own.
    if (m.Type !== 'volume' || m.Source || !was) continue;
    if (was.type === 'volume') m.Source = was.source;
    else {
      // What a bind at that path was: compose keeps the old mount as it was, without volume options.
      delete m.VolumeOptions;
      Object.assign(m, { Type: was.type, Source: was.source });
    }
    changed = true;
  }
  for (const target of new Set(imageVolumes.map(normalizeTarget))) {
    const was = inheritable.get(target);
    if (!was || planned.has(target)) continue;
    mounts.push({ Type: was.type, Source: was.source, Target: target, ...(was.readOnly ? { ReadOnly: true } : {}) });
    changed = true;
  }
  return changed ? { ...host, Mounts: mounts } : host;
}
