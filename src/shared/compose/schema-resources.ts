// Resources of a service: devices, device requests (gpus, deploy reservations),
// deploy with its limits and restart policy, and blkio_config.
import { z } from 'zod';
import type { ComposeResources } from './model.js';
import { parseInteger } from './parse-units.js';
import { attempt, compact, custom, delegate, issue, strictMap, zLabels, zListOrDict, zString, zStringList } from './schema-kit.js';
import { zBytes, zDuration, zInt, zMemory, zNumber } from './schema-scalars.js';

const zDeviceLong = strictMap({ source: zString(), target: zString().optional(), permissions: zString().optional() });

/** devices: "src[:dst[:perms]]" or {source, target, permissions}, as compose-go's transformDeviceMapping. */
export const zDevices = custom<{ source: string; target: string; permissions: string }[]>((v, ctx) => {
  if (!Array.isArray(v)) return void issue(ctx, 'must be a list of devices like "/dev/ttyUSB0:/dev/ttyUSB0"');
  const out: { source: string; target: string; permissions: string }[] = [];
  v.forEach((entry, i) => {
    if (typeof entry === 'string') {
      const parts = entry.split(':');
      if (parts.length > 3 || parts.some((p) => p === '')) {
        return void issue(ctx, `"${entry}" is not "host_path[:container_path[:permissions]]"`, [i]);
      }
      const [source, target = source, permissions = 'rwm'] = parts as [string, ...string[]];
      if (!/^[rwm]+$/.test(permissions)) return void issue(ctx, `permissions "${permissions}" must be letters of "rwm"`, [i]);
      out.push({ source, target, permissions });
    } else {
      const d = delegate(ctx, zDeviceLong, entry, [i]);
      if (d) out.push({ source: d.source, target: d.target ?? d.source, permissions: d.permissions ?? 'rwm' });
    }
  });
  return out;
}, 'array');

const zDeviceRequest = (defaultCapabilities?: string[]) =>
  strictMap({
    capabilities: defaultCapabilities ? zStringList().optional() : zStringList(),
    count: custom((v, ctx) => (v === 'all' ? ('all' as const) : attempt(ctx, () => parseInteger(v, 'a number or "all"'))), [
      'integer',
      'string',
    ]).optional(),
    device_ids: zStringList().optional(),
    driver: zString().optional(),
    options: zListOrDict({ what: 'a map or a list of "key=value"', bare: 'empty' }).optional(),
  }).transform((d, ctx) => {
    if (d.count !== undefined && d.device_ids !== undefined) issue(ctx, 'set count or device_ids, not both');
    // compose-go: neither count nor device_ids means every device.
    const count = d.count === undefined && d.device_ids === undefined ? ('all' as const) : d.count;
    return compact({ ...d, capabilities: d.capabilities ?? (defaultCapabilities as string[]), count }) as NonNullable<
      ComposeResources['devices']
    >[number];
  });

const deviceList = (defaultCapabilities?: string[]) =>
  custom<NonNullable<ComposeResources['devices']>>((v, ctx) => {
    if (v === 'all' && defaultCapabilities) return [{ capabilities: defaultCapabilities, count: 'all' }];
    if (!Array.isArray(v)) return void issue(ctx, defaultCapabilities ? 'must be "all" or a list of device requests' : 'must be a list');
    return v.flatMap((entry, i) => delegate(ctx, zDeviceRequest(defaultCapabilities), entry, [i]) ?? []);
  }, ['array', 'string']);

/** gpus: "all" or device requests; the GPU capability is implied. */
export const zGpus = deviceList(['gpu']);

const zLimits = strictMap({ cpus: zNumber(0).optional(), memory: zMemory.optional(), pids: zInt(-1).optional() });
const zReservations = strictMap({
  cpus: zNumber(0).optional(),
  memory: zMemory.optional(),
  generic_resources: z.unknown().optional(), // swarm-only, accepted and dropped
  devices: deviceList().optional(),
});

export const zDeploy = strictMap({
  mode: zString().optional(),
  endpoint_mode: zString().optional(),
  replicas: zInt(0).optional(),
  labels: zLabels.optional(),
  rollback_config: z.record(z.string(), z.unknown(), { error: () => 'must be a map' }).optional(),
  update_config: z.record(z.string(), z.unknown(), { error: () => 'must be a map' }).optional(),
  placement: z.record(z.string(), z.unknown(), { error: () => 'must be a map' }).optional(),
  resources: strictMap({ limits: zLimits.optional(), reservations: zReservations.optional() }).optional(),
  restart_policy: strictMap({
    condition: z.enum(['none', 'on-failure', 'any'], { error: () => 'must be none, on-failure or any' }).optional(),
    delay: zDuration.optional(),
    max_attempts: zInt(0).optional(),
    window: zDuration.optional(),
  }).optional(),
}).transform((d) => {
  const out = compact(d) as Record<string, unknown>;
  if (d.resources) {
    const { generic_resources: _dropped, ...reservations } = d.resources.reservations ?? {};
    out.resources = compact({
      limits: d.resources.limits && compact(d.resources.limits),
      reservations: d.resources.reservations && compact(reservations),
    });
  }
  if (d.restart_policy) out.restart_policy = compact(d.restart_policy);
  return out;
});


const zBlkioRate = (bytes: boolean) =>
  z.array(strictMap({ path: zString(), rate: bytes ? zBytes : zInt(0) }), { error: () => 'must be a list of {path, rate}' });

/** 10 to 1000, or 0 for the default, as Docker takes it. */
const zBlkioWeight = custom((v, ctx) => {
  const n = delegate(ctx, zInt(0, 1000), v);
  if (n !== undefined && n > 0 && n < 10) return void issue(ctx, 'must be between 10 and 1000 (or 0)');
  return n;
}, ['integer', 'string']);

export const zBlkio = strictMap({
  weight: zBlkioWeight.optional(),
  weight_device: z.array(strictMap({ path: zString(), weight: zBlkioWeight }), { error: () => 'must be a list of {path, weight}' }).optional(),
  device_read_bps: zBlkioRate(true).optional(),
  device_write_bps: zBlkioRate(true).optional(),
  device_read_iops: zBlkioRate(false).optional(),
  device_write_iops: zBlkioRate(false).optional(),
}).transform((b) => compact(b));

