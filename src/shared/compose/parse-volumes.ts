// Service volumes, short and long syntax, as compose-go's format.ParseVolume
// and its defaults read them. Bind sources stay as written here; the
// normalizer resolves them against the project directory.
import { z } from 'zod';
import type { ComposeServiceVolume } from './model.js';
import { cleanPath } from './posix-path.js';
import {
  attempt,
  compact,
  custom,
  delegate,
  isRecord,
  issue,
  strictMap,
  zLabels,
  zString,
  type Ctx,
  type Path,
} from './schema-kit.js';
import { ComposeValueError, parseBool, parseBytes, parseFileMode } from './parse-units.js';

const FORMAT = 'expected "source:/container/path[:options]" or "/container/path"';
const PROPAGATIONS = ['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'];
/** Accepted by Docker Desktop and compose v1; no effect on Linux. */
const CONSISTENCY = ['cached', 'delegated', 'consistent'];
export const VOLUME_KEY_RE = /^[a-zA-Z0-9._-]+$/;

const fail = (message: string): never => {
  throw new ComposeValueError(message);
};

/** A bind when the source looks like a path, as compose decides. */
export const isHostPath = (source: string): boolean => /^[./~]/.test(source);

function checkTarget(target: string): string {
  if (!target.startsWith('/')) fail(`container path "${target}" must be absolute (start with "/")`);
  const clean = cleanPath(target);
  if (clean === '/') fail('cannot mount over the container\'s root "/"');
  return clean;
}

/** `source:target[:opts]` or `target`; unknown options are ignored with a warning, as compose ignores them. */
export function parseShortVolume(spec: string, warn: (message: string) => void): ComposeServiceVolume {
  if (spec === '') fail(`empty volume; ${FORMAT}`);
  const parts = spec.split(':');
  if (parts.length > 3) fail(`too many ":" in "${spec}"; ${FORMAT}`);
  if (parts.some((p) => p === '')) fail(`empty section between ":" in "${spec}"; ${FORMAT}`);
  const [first, second, options] = parts as [string, string | undefined, string | undefined];
  if (second === undefined) {
    // A lone path is an anonymous volume.
    return { type: 'volume', target: checkTarget(first) };
  }
  const source = first;
  const target = checkTarget(second);
  const bindish = isHostPath(source);
  if (!bindish && !VOLUME_KEY_RE.test(source)) {
    fail(`"${source}" is not a valid volume name (letters, digits, ".", "_" and "-"); a host path starts with "/", "./" or "~"`);
  }
  const volume: ComposeServiceVolume = { type: bindish ? 'bind' : 'volume', source, target };
  const bind: NonNullable<ComposeServiceVolume['bind']> = bindish ? { create_host_path: true } : {};
  for (const option of options?.split(',') ?? []) {
    if (option === 'ro') volume.read_only = true;
    else if (option === 'rw') volume.read_only = false;
    else if (option === 'nocopy') volume.volume = { nocopy: true };
    else if (option === 'z' || option === 'Z') bind.selinux = option;
    else if (PROPAGATIONS.includes(option)) bind.propagation = option;
    else if (!CONSISTENCY.includes(option)) warn(`volume "${spec}": option "${option}" is ignored (compose ignores it too)`);
  }
  if (Object.keys(bind).length > 0) volume.bind = bind;
  if (volume.read_only === false) delete volume.read_only;
  return volume;
}

const zOptBool = custom((v, ctx) => attempt(ctx, () => parseBool(v)), ['boolean', 'string']).optional();

const zLong = strictMap(
  {
    type: z.enum(['bind', 'volume', 'tmpfs', 'cluster', 'npipe', 'image'], {
      error: (i) => (i.input === undefined ? 'required: bind, volume, tmpfs, image, npipe or cluster' : 'must be bind, volume, tmpfs, image, npipe or cluster'),
    }),
    source: zString().optional(),
    target: zString().optional(),
    read_only: zOptBool,
    consistency: zString().optional(),
    bind: strictMap({
      propagation: z.enum(PROPAGATIONS as [string, ...string[]], { error: () => `must be one of ${PROPAGATIONS.join(', ')}` }).optional(),
      create_host_path: zOptBool,
      recursive: z.enum(['enabled', 'disabled', 'writable', 'readonly'], { error: () => 'must be enabled, disabled, writable or readonly' }).optional(),
      selinux: z.enum(['z', 'Z'], { error: () => 'must be "z" or "Z"' }).optional(),
    }).optional(),
    volume: strictMap({
      labels: zLabels.optional(),
      nocopy: zOptBool,
      subpath: zString().optional(),
    }).optional(),
    tmpfs: strictMap({
      size: custom((v, ctx) => attempt(ctx, () => parseBytes(v)), ['integer', 'string']).optional(),
      mode: custom((v, ctx) => attempt(ctx, () => parseFileMode(v)), ['number', 'string']).optional(),
    }).optional(),
    image: strictMap({ subpath: zString().optional() }).optional(),
  },
  'a volume string or a map with type, source and target',
);

function longVolume(ctx: Ctx, entry: unknown, at: Path): ComposeServiceVolume | undefined {
  const v = delegate(ctx, zLong, entry, at);
  if (!v) return undefined;
  const bad = (message: string, key: string) => void issue(ctx, message, [...at, key]);
  if (v.target === undefined || v.target === '') return bad('required: the path in the container', 'target');
  const target = attempt(ctx, () => checkTarget(v.target as string), [...at, 'target']);
  if (target === undefined) return undefined;
  if (v.type === 'bind' && !v.source) return bad('a bind mount needs a source: the host path', 'source');
  if (v.type === 'image' && !v.source) return bad('an image mount needs a source: the image', 'source');
  if (v.type === 'tmpfs' && v.source) return bad('a tmpfs mount takes no source', 'source');
  if (v.type === 'volume' && v.source && !VOLUME_KEY_RE.test(v.source)) {
    return bad(`"${v.source}" is not a valid volume name (letters, digits, ".", "_" and "-")`, 'source');
  }
  const out = compact({ ...v, target, source: v.source === '' ? undefined : v.source }) as ComposeServiceVolume;
  for (const key of ['bind', 'volume', 'tmpfs', 'image'] as const) {
    const sub = out[key] === undefined ? undefined : compact(out[key] as object);
    if (sub === undefined || Object.keys(sub).length === 0) delete out[key];
    else out[key] = sub as never;
  }
  return out;
}

/** The `volumes:` list of a service: each entry in the long form, targets cleaned, none mounted twice. */
export function zServiceVolumes(warn: (message: string) => void) {
  return custom<ComposeServiceVolume[]>((list, ctx) => {
    if (!Array.isArray(list)) return void issue(ctx, 'must be a list of volumes');
    const out: ComposeServiceVolume[] = [];
    const targets = new Map<string, number>();
    list.forEach((entry, i) => {
      let volume: ComposeServiceVolume | undefined;
      if (typeof entry === 'string') volume = attempt(ctx, () => parseShortVolume(entry, warn), [i]);
      else if (isRecord(entry)) volume = longVolume(ctx, entry, [i]);
      else issue(ctx, 'must be a volume string or a map', [i]);
      if (!volume) return;
      const previous = targets.get(volume.target);
      if (previous !== undefined) issue(ctx, `"${volume.target}" is already mounted by volume ${previous}`, [i]);
      targets.set(volume.target, i);
      out.push(volume);
    });
    return out;
  }, 'array');
}
