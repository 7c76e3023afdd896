// The top level of a compose file and its networks, volumes, secrets and
// configs, with the engine names compose gives them. Services are only
// checked to be a map here: each is parsed on its own (schema-service.ts) so
// that one bad service does not hide the others' issues.
import { z } from 'zod';
import type { ComposeFileObject, ComposeIpam, ComposeNetwork, ComposeVolume } from './model.js';
import {
  compact,
  custom,
  delegate,
  isRecord,
  issue,
  strictMap,
  zLabels,
  zString,
  zStringMap,
  type Ctx,
} from './schema-kit.js';
import { zBool } from './schema-scalars.js';

const KEY_RE = /^[a-zA-Z0-9._-]+$/;

/** `external: true`, or the legacy `external: {name: x}` (which also names the resource). */
const zExternal = custom<{ external: boolean; name?: string }>((v, ctx) => {
  if (isRecord(v)) {
    const name = v.name;
    if (name !== undefined && typeof name !== 'string') return void issue(ctx, 'must be a string', ['name']);
    const unknown = Object.keys(v).filter((k) => k !== 'name' && !k.startsWith('x-'));
    for (const k of unknown) issue(ctx, `unknown key "${k}"`, [k]);
    return compact({ external: true, name: name as string | undefined });
  }
  const b = delegate(ctx, zBool, v);
  return b === undefined ? undefined : { external: b };
}, ['boolean', 'object']);

const zIpam = strictMap({
  driver: zString().optional(),
  config: z
    .array(
      strictMap({
        subnet: zString().optional(),
        ip_range: zString().optional(),
        gateway: zString().optional(),
        aux_addresses: zStringMap().optional(),
      }).transform((c) => compact(c)),
      { error: () => 'must be a list of {subnet, ip_range, gateway}' },
    )
    .optional(),
  options: zStringMap().optional(),
}).transform((i): ComposeIpam => compact(i));

const zNetwork = strictMap({
  name: zString().optional(),
  driver: zString().optional(),
  driver_opts: zStringMap().optional(),
  ipam: zIpam.optional(),
  external: zExternal.optional(),
  internal: zBool.optional(),
  attachable: zBool.optional(),
  enable_ipv4: zBool.optional(),
  enable_ipv6: zBool.optional(),
  labels: zLabels.optional(),
});

const zVolume = strictMap({
  name: zString().optional(),
  driver: zString().optional(),
  driver_opts: zStringMap().optional(),
  external: zExternal.optional(),
  labels: zLabels.optional(),
});

const fileObjectShape = {
  name: zString().optional(),
  file: zString().optional(),
  environment: zString().optional(),
  external: zExternal.optional(),
  labels: zLabels.optional(),
  // Swarm's secret/config stores: nothing Capstan can apply.
  driver: custom((_v, ctx) => void issue(ctx, '"driver" is only supported by Docker Swarm')).optional(),
  driver_opts: custom((_v, ctx) => void issue(ctx, '"driver_opts" is only supported by Docker Swarm')).optional(),
  template_driver: custom((_v, ctx) => void issue(ctx, '"template_driver" is not supported by Capstan')).optional(),
};
const zSecret = strictMap(fileObjectShape);
const zConfig = strictMap({ ...fileObjectShape, content: zString().optional() });

type Named = { name?: string | undefined; external?: { external: boolean; name?: string } | undefined };

/** compose-go's setNameFromKey plus the legacy external.name. */
function engineName(ctx: Ctx, project: string, key: string, v: Named): { name: string; external?: boolean } {
  const ext = v.external;
  if (ext?.name !== undefined && v.name !== undefined && ext.name !== v.name) {
    issue(ctx, 'name and external.name conflict; only use name', [key, 'name']);
  }
  const given = v.name ?? ext?.name;
  if (ext?.external) return { name: given ?? key, external: true };
  return { name: given ?? `${project}_${key}` };
}

/** On an external resource, only name (and extensions) may be set: compose-go's checkExternal. */
function checkExternal(ctx: Ctx, key: string, raw: unknown, external: boolean | undefined): void {
  if (!external || !isRecord(raw)) return;
  for (const k of Object.keys(raw)) {
    if (k !== 'name' && k !== 'external' && !k.startsWith('x-')) {
      issue(ctx, `conflicting parameters "external" and "${k}" specified`, [key, k]);
    }
  }
}

function resources<T>(what: string, read: (ctx: Ctx, key: string, raw: unknown) => T | undefined) {
  return custom<Record<string, T>>((v, ctx) => {
    if (v === null) return {};
    if (!isRecord(v)) return void issue(ctx, `must be a map of ${what} names`);
    const out: Record<string, T> = {};
    for (const [key, raw] of Object.entries(v)) {
      if (!KEY_RE.test(key)) {
        issue(ctx, `"${key}" is not a valid ${what} name: use letters, digits, ".", "_" and "-"`, [key]);
        continue;
      }
      const value = read(ctx, key, raw);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }, 'object');
}

export function topLevelSchema(project: string) {
  const networks = resources<ComposeNetwork>('network', (ctx, key, raw) => {
    const n = delegate(ctx, zNetwork, raw ?? {}, [key]);
    if (!n) return undefined;
    checkExternal(ctx, key, raw, n.external?.external);
    const { external: _x, name: _n, ...rest } = n;
    return compact({ ...engineName(ctx, project, key, n), ...rest }) as ComposeNetwork;
  });
  const volumes = resources<ComposeVolume>('volume', (ctx, key, raw) => {
    const v = delegate(ctx, zVolume, raw ?? {}, [key]);
    if (!v) return undefined;
    checkExternal(ctx, key, raw, v.external?.external);
    const { external: _x, name: _n, ...rest } = v;
    return compact({ ...engineName(ctx, project, key, v), ...rest }) as ComposeVolume;
  });
  const fileObjects = (what: 'secret' | 'config') =>
    resources<ComposeFileObject>(what, (ctx, key, raw) => {
      const f = delegate(ctx, what === 'secret' ? zSecret : zConfig, raw ?? {}, [key]) as
        | (z.output<typeof zConfig> & Named)
        | undefined;
      if (!f) return undefined;
      // An external one lives in a Swarm store: only refused when a service uses it, as compose does.
      if (f.external?.external) return compact({ ...engineName(ctx, project, key, f), labels: f.labels }) as ComposeFileObject;
      const sources = (['file', 'environment', 'content'] as const).filter((k) => f[k] !== undefined);
      const allowed = what === 'secret' ? 'file or environment' : 'file, environment or content';
      if (sources.length !== 1) {
        return void issue(ctx, sources.length === 0 ? `set one of ${allowed}` : `${sources.join(' and ')}: set only one of ${allowed}`, [key]);
      }
      const { external: _x, name: _n, driver: _d, driver_opts: _o, template_driver: _t, ...rest } = f;
      return compact({ ...engineName(ctx, project, key, f), ...rest }) as ComposeFileObject;
    });

  return {
    /** The top level's own keys; each resource section is parsed apart, so a bad volume does not hide a bad network. */
    top: strictMap(
      {
        version: custom(() => undefined).optional(), // obsolete, accepted and ignored as compose does
        name: zString().optional(),
        include: custom((_v, ctx) => void issue(ctx, '"include" is not supported by Capstan; put the services in this file')).optional(),
        models: custom((v, ctx) => {
          if (!(v === null || (isRecord(v) && Object.keys(v).length === 0))) issue(ctx, '"models" is not supported by Capstan');
        }).optional(),
        services: custom<Record<string, unknown>>((v, ctx) => {
          if (!isRecord(v)) return void issue(ctx, v === undefined ? 'required' : 'must be a map of service names to services');
          if (Object.keys(v).length === 0) issue(ctx, 'define at least one service');
          return v;
        }, 'object'),
        networks: z.unknown().optional(),
        volumes: z.unknown().optional(),
        secrets: z.unknown().optional(),
        configs: z.unknown().optional(),
      },
      'a map with services',
    ),
    networks,
    volumes,
    secrets: fileObjects('secret'),
    configs: fileObjects('config'),
  };
}
