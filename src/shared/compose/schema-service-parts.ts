// The nested parts of a service definition (healthcheck, depends_on, networks,
// extra_hosts, ulimits, secrets/configs, env_file, logging), each validated
// and turned into the model's long form.
import { z } from 'zod';
import type { ComposeDependsOn, ComposeHealthcheck, ComposeServiceNetwork } from './model.js';
import { parseDuration, parseInteger } from './parse-units.js';
import { attempt, compact, custom, delegate, isRecord, issue, strictMap, zString, zStringList, zStringMap, type Ctx } from './schema-kit.js';
import { zBool, zInt, zMode, zNumber } from './schema-scalars.js';

/** Docker refuses healthcheck durations between 0 ("the default") and 1ms. */
const zHealthDuration = custom((v, ctx) => {
  const ns = attempt(ctx, () => parseDuration(v));
  if (ns !== undefined && ns > 0 && ns < 1e6) return void issue(ctx, 'must be 0 or at least 1ms');
  return ns;
}, 'string');

const zHealthTest = custom<string[]>((v, ctx) => {
  if (typeof v === 'string') return v.trim() === '' ? void issue(ctx, 'must not be empty') : ['CMD-SHELL', v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    return void issue(ctx, 'must be a command string or a list like ["CMD", "curl", "-f", "http://localhost"]');
  }
  // An empty list sets no test: the image's own runs, with the timings given here.
  if (v.length === 0) return undefined;
  const [kind] = v as string[];
  if (kind !== 'NONE' && kind !== 'CMD' && kind !== 'CMD-SHELL') return void issue(ctx, 'must start with "NONE", "CMD" or "CMD-SHELL"', [0]);
  // Docker would run an empty command at every probe and never call the container healthy.
  if (kind !== 'NONE' && v.length < 2) return void issue(ctx, `"${kind}" needs a command after it`);
  return v as string[];
}, ['string', 'array']);

export const zHealthcheck = strictMap({
  test: zHealthTest.optional(),
  interval: zHealthDuration.optional(),
  timeout: zHealthDuration.optional(),
  start_period: zHealthDuration.optional(),
  start_interval: zHealthDuration.optional(),
  retries: zInt(0).optional(),
  disable: zBool.optional(),
}).transform((h): ComposeHealthcheck => {
  // ["NONE"] is how Docker spells "no healthcheck", which is what disable: true means.
  const out = compact(h) as ComposeHealthcheck;
  if (out.disable === true) out.test = ['NONE'];
  return out;
});

export const zDependsOn = custom<Record<string, ComposeDependsOn>>((v, ctx) => {
  const out: Record<string, ComposeDependsOn> = {};
  if (Array.isArray(v)) {
    v.forEach((name, i) => {
      if (typeof name !== 'string') return void issue(ctx, 'must be a service name', [i]);
      if (Object.hasOwn(out, name)) return void issue(ctx, `"${name}" is listed twice`, [i]);
      out[name] = { condition: 'service_started', required: true, restart: false };
    });
    return out;
  }
  if (!isRecord(v)) return void issue(ctx, 'must be a list of service names or a map of service names to conditions');
  for (const [name, entry] of Object.entries(v)) {
    const d = delegate(ctx, zDependency, entry ?? {}, [name]);
    if (d) out[name] = d;
  }
  return out;
}, ['array', 'object']);

const zDependency = strictMap({
  condition: z
    .enum(['service_started', 'service_healthy', 'service_completed_successfully'], {
      error: () => 'must be service_started, service_healthy or service_completed_successfully',
    })
    .default('service_started'),
  required: zBool.optional(),
  restart: zBool.optional(),
}).transform((d): ComposeDependsOn => ({ condition: d.condition, required: d.required ?? true, restart: d.restart ?? false }));

const zServiceNetwork = strictMap({
  aliases: zStringList().optional(),
  ipv4_address: zString().optional(),
  ipv6_address: zString().optional(),
  link_local_ips: zStringList().optional(),
  mac_address: zString().optional(),
  driver_opts: zStringMap().optional(),
  priority: zNumber().optional(),
  gw_priority: zNumber().optional(),
  interface_name: zString().optional(),
}).transform((n): ComposeServiceNetwork => compact(n));

export const zServiceNetworks = custom<Record<string, ComposeServiceNetwork>>((v, ctx) => {
  const out: Record<string, ComposeServiceNetwork> = {};
  if (Array.isArray(v)) {
    v.forEach((name, i) => {
      if (typeof name !== 'string') issue(ctx, 'must be a network name', [i]);
      else out[name] = {};
    });
    return out;
  }
  if (!isRecord(v)) return void issue(ctx, 'must be a list of network names or a map of network names to options');
  for (const [name, entry] of Object.entries(v)) {
    const n = entry === null ? {} : delegate(ctx, zServiceNetwork, entry, [name]);
    if (n) out[name] = n;
  }
  return out;
}, ['array', 'object']);

/** extra_hosts → Docker's "host:ip" entries (a list takes "host:ip" or "host=ip"; a map host: ip or [ips]). */
export const zExtraHosts = custom<string[]>((v, ctx) => {
  const out: string[] = [];
  const add = (host: string, ip: string, at: string | number) => {
    const addr = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
    if (host === '' || addr === '') return void issue(ctx, 'must be "hostname:ip" or "hostname=ip"', [at]);
    out.push(`${host}:${addr}`);
  };
  if (Array.isArray(v)) {
    v.forEach((entry, i) => {
      if (typeof entry !== 'string') return void issue(ctx, 'must be a "hostname:ip" string', [i]);
      const sep = entry.includes('=') ? '=' : ':';
      const at = entry.indexOf(sep);
      if (at < 0) return void issue(ctx, `"${entry}" must be "hostname:ip" or "hostname=ip"`, [i]);
      add(entry.slice(0, at), entry.slice(at + 1), i);
    });
  } else if (isRecord(v)) {
    for (const [host, ips] of Object.entries(v)) {
      const list = Array.isArray(ips) ? ips : [ips];
      for (const ip of list) {
        if (typeof ip !== 'string') issue(ctx, 'must be an IP address or a list of them', [host]);
        else add(host, ip, host);
      }
    }
  } else issue(ctx, 'must be a list of "hostname:ip" strings or a map of hostname: ip');
  return out;
}, ['array', 'object']);

const zUlimit = strictMap({ soft: zInt(-1), hard: zInt(-1) }, 'a number or a map with soft and hard');

export const zUlimits = custom<Record<string, { soft: number; hard: number }>>((v, ctx) => {
  if (!isRecord(v)) return void issue(ctx, 'must be a map of limit names to a number or {soft, hard}');
  const out: Record<string, { soft: number; hard: number }> = {};
  for (const [name, limit] of Object.entries(v)) {
    if (!/^[a-z]+$/.test(name)) {
      issue(ctx, `"${name}" is not a ulimit name (lowercase letters, e.g. nofile)`, [name]);
      continue;
    }
    if (isRecord(limit)) {
      const l = delegate(ctx, zUlimit, limit, [name]);
      if (!l) continue;
      if (l.soft > l.hard && l.hard !== -1) issue(ctx, 'soft must not be greater than hard', [name, 'soft']);
      else out[name] = l;
    } else {
      const n = attempt(ctx, () => parseInteger(limit), [name]);
      if (n !== undefined) out[name] = { soft: n, hard: n };
    }
  }
  return out;
}, 'object');

/** uid / gid: strings in the spec, but `uid: 1000` is common. */
const zId = custom<string>((v, ctx) => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return String(v);
  return void issue(ctx, 'must be a user or group id');
}, ['string', 'integer']);

const zFileRefLong = strictMap({
  source: zString(),
  target: zString().optional(),
  uid: zId.optional(),
  gid: zId.optional(),
  mode: zMode.optional(),
});

/** secrets / configs on a service: names or {source, target, uid, gid, mode}; targets are resolved by the normalizer. */
export const zFileRefs = custom<{ source: string; target?: string; uid?: string; gid?: string; mode?: number }[]>((v, ctx) => {
  if (!Array.isArray(v)) return void issue(ctx, 'must be a list of names or {source, target} maps');
  return v.flatMap((entry, i) => {
    if (typeof entry === 'string') return [{ source: entry }];
    const r = delegate(ctx, zFileRefLong, entry, [i]);
    return r ? [compact(r)] : [];
  });
}, 'array');

export interface EnvFileRef {
  path: string;
  required: boolean;
  format?: string;
}

const zEnvFileLong = strictMap({ path: zString(), required: zBool.optional(), format: zString().optional() });

export const zEnvFile = custom<EnvFileRef[]>((v, ctx: Ctx) => {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list)) return void issue(ctx, 'must be a path or a list of paths');
  return list.flatMap((entry, i): EnvFileRef[] => {
    if (typeof entry === 'string') return [{ path: entry, required: true }];
    const f = delegate(ctx, zEnvFileLong, entry, typeof v === 'string' ? [] : [i]);
    if (!f) return [];
    if (f.format !== undefined && f.format !== 'raw' && f.format !== '.env') {
      issue(ctx, `unsupported env_file format "${f.format}": leave it out or use "raw"`, [i, 'format']);
    }
    return [compact({ path: f.path, required: f.required ?? true, format: f.format }) as EnvFileRef];
  });
}, ['string', 'array']);

export const zLogging = strictMap({
  driver: zString().optional(),
  options: zStringMap().optional(),
}).transform((l) => compact(l));
