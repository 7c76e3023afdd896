// Reading a service's volumes back from a container (plan-mounts.ts
// inverted): binds, named and anonymous volumes and tmpfs mounts, with the
// options inspect keeps; and the top-level volumes they need. Pure.
import type Docker from 'dockerode';
import { volumeName } from './compose-plan.js';
import { isAnonymousVolumeName } from './inherit-volumes.js';

type Raw = Record<string, any>;
export type VolumeDeclarations = Record<string, Record<string, unknown>>;

/** Options a create request asked for that inspect's Mounts does not show: from HostConfig.Mounts and Binds. */
function requestedOptions(hc: Raw): Map<string, { nocopy?: boolean; selinux?: string; size?: number; mode?: number; subpath?: string }> {
  const out = new Map<string, { nocopy?: boolean; selinux?: string; size?: number; mode?: number; subpath?: string }>();
  for (const m of (hc.Mounts ?? []) as Raw[]) {
    out.set(m.Target, {
      ...(m.VolumeOptions?.NoCopy ? { nocopy: true } : {}),
      ...(m.VolumeOptions?.Subpath ? { subpath: m.VolumeOptions.Subpath } : {}),
      ...(m.TmpfsOptions?.SizeBytes ? { size: m.TmpfsOptions.SizeBytes } : {}),
      ...(m.TmpfsOptions?.Mode ? { mode: m.TmpfsOptions.Mode } : {}),
    });
  }
  for (const b of (hc.Binds ?? []) as string[]) {
    const [, target, opts] = b.split(':');
    if (!target || !opts) continue;
    const list = opts.split(',');
    out.set(target, {
      ...(list.includes('nocopy') ? { nocopy: true } : {}),
      ...(list.includes('z') ? { selinux: 'z' } : list.includes('Z') ? { selinux: 'Z' } : {}),
    });
  }
  return out;
}

/** A top-level key for a volume outside the project's prefix: its name, made a valid compose key. */
const externalKey = (name: string) => name.replace(/[^a-zA-Z0-9._-]/g, '_');

/**
 * The service's `volumes:` and the top-level volumes they use. A named
 * volume of the project (`<project>_<key>`) is declared under its key; any
 * other named volume is declared `external` under its own name, so the
 * definition keeps using it (and a delete never removes it). Mounts from
 * HostConfig.Tmpfs are the `tmpfs:` key's, and an anonymous volume at a
 * VOLUME path of the image is the image's: neither is listed here.
 */
export function volumeKeys(
  info: Docker.ContainerInspectInfo,
  project: string,
  imageVolumes: Set<string>,
  declarations: VolumeDeclarations,
  warnings: string[],
): unknown[] {
  const hc = info.HostConfig as Raw;
  const requested = requestedOptions(hc);
  const tmpfsKey = new Set(Object.keys(hc.Tmpfs ?? {}));
  const prefix = volumeName(project, '');
  const out: unknown[] = [];
  for (const m of (info.Mounts ?? []) as unknown as Raw[]) {
    const target = m.Destination;
    const asked = requested.get(target) ?? {};
    const readOnly = !m.RW;
    if (m.Type === 'tmpfs') {
      if (tmpfsKey.has(target)) continue;
      const tmpfs = { ...(asked.size ? { size: asked.size } : {}), ...(asked.mode ? { mode: asked.mode } : {}) };
      out.push({ type: 'tmpfs', target, ...(readOnly ? { read_only: true } : {}), ...(Object.keys(tmpfs).length ? { tmpfs } : {}) });
      continue;
    }
    if (m.Type === 'bind') {
      const propagation = m.Propagation && m.Propagation !== 'rprivate' ? m.Propagation : undefined;
      if (!propagation && !asked.selinux) out.push(`${m.Source}:${target}${readOnly ? ':ro' : ''}`);
      else out.push({ type: 'bind', source: m.Source, target, ...(readOnly ? { read_only: true } : {}), bind: { ...(propagation ? { propagation } : {}), ...(asked.selinux ? { selinux: asked.selinux } : {}) } });
      continue;
    }
    if (m.Type !== 'volume') {
      warnings.push(`the ${m.Type} mount at ${target} is not kept`);
      continue;
    }
    const name = (m.Name ?? '') as string;
    let source: string | undefined;
    if (isAnonymousVolumeName(name)) {
      // The image's own VOLUME: every container of it gets one; the definition need not say so.
      if (imageVolumes.has(target)) continue;
      source = undefined;
    }
    else if (name.startsWith(prefix) && name.length > prefix.length) {
      source = name.slice(prefix.length);
      declarations[source] ??= m.Driver && m.Driver !== 'local' ? { driver: m.Driver } : {};
    } else {
      source = externalKey(name);
      declarations[source] = { external: true, name };
    }
    const volume = { ...(asked.nocopy ? { nocopy: true } : {}), ...(asked.subpath ? { subpath: asked.subpath } : {}) };
    if (Object.keys(volume).length || source === undefined) {
      out.push({ type: 'volume', ...(source ? { source } : {}), target, ...(readOnly ? { read_only: true } : {}), ...(Object.keys(volume).length ? { volume } : {}) });
    } else out.push(`${source}:${target}${readOnly ? ':ro' : ''}`);
  }
  return out;
}
