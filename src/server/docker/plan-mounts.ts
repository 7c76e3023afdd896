import type { ComposeFileObject, ComposeProject, ComposeService, ComposeServiceFileRef, ComposeServiceVolume } from '../../shared/compose/model.js';
import { CapstanError } from '../errors.js';

/** A secret or config whose content compose copies into the container after create, before start. */
export interface FileInject {
  kind: 'secret' | 'config';
  /** The top-level key (for messages: never the content). */
  source: string;
  /** Absolute path in the container. */
  target: string;
  content: string;
  uid?: number;
  gid?: number;
  mode: number;
}

export interface MountPlan {
  binds: string[];
  /** HostConfig.Mounts entries (the Engine API's Mount objects; @types/dockerode lacks several of their options). */
  mounts: Mount[];
  files: FileInject[];
  warnings: string[];
}

export type Mount = { Type: string; Target: string } & Record<string, unknown>;

/** compose's toBindString: "source:target:rw|ro[,z|Z][,propagation][,nocopy]". */
function bindString(source: string, v: ComposeServiceVolume): string {
  const options = [v.read_only ? 'ro' : 'rw'];
  if (v.bind?.selinux) options.push(v.bind.selinux);
  if (v.bind?.propagation) options.push(v.bind.propagation);
  if (v.volume?.nocopy) options.push('nocopy');
  return `${source}:${v.target}:${options.join(',')}`;
}

/**
 * compose v2 uses the legacy Binds for binds and named volumes that need no
 * advanced option (Mounts cannot create a missing host path), and Mounts for
 * the rest: create_host_path: false, propagation, recursive, nocopy, subpath,
 * anonymous volumes, tmpfs.
 */
function serviceVolume(project: ComposeProject, s: ComposeService, v: ComposeServiceVolume, i: number, out: MountPlan): void {
  const path = `services.${s.name}.volumes.${i}`;
  const base: Mount = { Type: v.type, Target: v.target, ...(v.read_only ? { ReadOnly: true } : {}) };
  switch (v.type) {
    case 'bind': {
      if (!v.source) throw new CapstanError('BAD_REQUEST', 'A bind mount needs a source', { details: path });
      const needsMountApi = v.bind?.create_host_path === false || !!v.bind?.propagation || !!v.bind?.recursive;
      if (!needsMountApi) {
        out.binds.push(bindString(v.source, v));
        return;
      }
      const options: Record<string, unknown> = {};
      if (v.bind?.propagation) options.Propagation = v.bind.propagation;
      if (v.bind?.create_host_path !== undefined) options.CreateMountpoint = v.bind.create_host_path;
      if (v.bind?.recursive === 'disabled') options.NonRecursive = true;
      if (v.bind?.recursive === 'writable') options.ReadOnlyNonRecursive = true;
      if (v.bind?.recursive === 'readonly') options.ReadOnlyForceRecursive = true;
      out.mounts.push({ ...base, Source: v.source, ...(v.consistency ? { Consistency: v.consistency } : {}), BindOptions: options });
      return;
    }
    case 'volume': {
      const named = v.source !== undefined ? project.volumes[v.source] : undefined;
      if (v.source !== undefined && !named) {
        throw new CapstanError('BAD_REQUEST', `Service ${s.name} uses an undefined volume ${v.source}`, { details: `${path}.source` });
      }
      const needsMountApi = !named || !!v.volume?.nocopy || !!v.volume?.subpath;
      if (!needsMountApi) {
        out.binds.push(bindString(named.name, v));
        return;
      }
      const options: Record<string, unknown> = {};
      if (v.volume?.nocopy) options.NoCopy = true;
      if (v.volume?.subpath) options.Subpath = v.volume.subpath;
      out.mounts.push({ ...base, ...(named ? { Source: named.name } : {}), ...(Object.keys(options).length ? { VolumeOptions: options } : {}) });
      return;
    }
    case 'tmpfs': {
      const options: Record<string, unknown> = {};
      if (v.tmpfs?.size !== undefined) options.SizeBytes = v.tmpfs.size;
      if (v.tmpfs?.mode !== undefined) options.Mode = v.tmpfs.mode;
      out.mounts.push({ ...base, ...(Object.keys(options).length ? { TmpfsOptions: options } : {}) });
      return;
    }
    case 'npipe':
      out.mounts.push({ ...base, Source: v.source ?? '' });
      return;
    case 'image':
      out.mounts.push({ ...base, Source: v.source ?? '', ...(v.image?.subpath ? { ImageOptions: { Subpath: v.image.subpath } } : {}) });
      return;
    default:
      throw new CapstanError('BAD_REQUEST', `Volume type ${v.type} needs a swarm cluster`, { details: `${path}.type` });
  }
}

function numericId(value: string | undefined, path: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CapstanError('BAD_REQUEST', 'uid and gid must be numbers', { details: path });
  return n;
}

/**
 * compose without swarm: a file-based secret or config is a read-only bind of
 * the file at its target (uid/gid/mode cannot apply to a bind: a warning, as
 * compose warns); one from an environment variable or inline content is copied
 * into the container before it starts, with its uid, gid and mode.
 */
function fileRefs(
  kind: 'secret' | 'config',
  s: ComposeService,
  refs: ComposeServiceFileRef[],
  defined: Record<string, ComposeFileObject>,
  env: Record<string, string | undefined>,
  taken: Set<string>,
  out: MountPlan,
): void {
  refs.forEach((ref, i) => {
    const path = `services.${s.name}.${kind}s.${i}`;
    const def = defined[ref.source];
    if (!def) throw new CapstanError('BAD_REQUEST', `Service ${s.name} uses an undefined ${kind} ${ref.source}`, { details: path });
    if (def.external) {
      throw new CapstanError('BAD_REQUEST', `External ${kind}s need a swarm cluster: ${def.name}`, { details: `${kind}s.${ref.source}.external` });
    }
    const target = ref.target.startsWith('/') ? ref.target : kind === 'secret' ? `/run/secrets/${ref.target || ref.source}` : `/${ref.target || ref.source}`;
    // A volume mounted at the same target wins, as in compose.
    if (taken.has(target)) return;
    taken.add(target);
    if (def.file !== undefined) {
      if (ref.uid !== undefined || ref.gid !== undefined || ref.mode !== undefined) {
        out.warnings.push(`${path}: uid, gid and mode do not apply to a ${kind} from a file (it is bind-mounted); ignored`);
      }
      out.mounts.push({ Type: 'bind', Source: def.file, Target: target, ReadOnly: true });
      return;
    }
    let content = def.content;
    if (def.environment !== undefined) {
      content = env[def.environment];
      if (content === undefined) {
        throw new CapstanError('BAD_REQUEST', `The variable ${def.environment} required by ${kind} ${ref.source} is not set`, {
          details: `${kind}s.${ref.source}.environment`,
        });
      }
    }
    if (content === undefined || content === '') return;
    if (s.read_only) {
      throw new CapstanError('BAD_REQUEST', `Cannot create ${kind} ${ref.source} in read-only service ${s.name}: only file is supported there`, {
        details: path,
      });
    }
    const uid = numericId(ref.uid, `${path}.uid`);
    const gid = numericId(ref.gid, `${path}.gid`);
    out.files.push({
      kind,
      source: ref.source,
      target,
      content,
      ...(uid !== undefined ? { uid } : {}),
      ...(gid !== undefined ? { gid } : {}),
      mode: ref.mode ?? 0o444,
    });
  });
}

export function planMounts(project: ComposeProject, s: ComposeService, env: Record<string, string | undefined>): MountPlan {
  const out: MountPlan = { binds: [], mounts: [], files: [], warnings: [] };
  (s.volumes ?? []).forEach((v, i) => serviceVolume(project, s, v, i, out));
  const taken = new Set((s.volumes ?? []).map((v) => v.target));
  fileRefs('secret', s, s.secrets ?? [], project.secrets, env, taken, out);
  fileRefs('config', s, s.configs ?? [], project.configs, env, taken, out);
  return out;
}
