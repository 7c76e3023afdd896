import { z } from 'zod';
import { zEngineField } from './images.js';

/** Docker's rule for volume and network names (the CLI's `[a-zA-Z0-9][a-zA-Z0-9_.-]+`). */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

const zObjectName = (what: string, example: string) =>
  z
    .string()
    .min(1, 'required')
    .max(255, 'must be at most 255 characters')
    .regex(NAME_RE, `must be a ${what} name: letters, digits, "_", "." or "-", starting with a letter or digit`)
    .meta({ example });

export const zVolumeNameInput = z.object({ name: zObjectName('volume', 'myapp_dbdata'), engine_id: zEngineField('The engine holding the volume') });
export const zNetworkNameInput = z.object({ name: zObjectName('network', 'myapp_default'), engine_id: zEngineField('The engine holding the network') });

/** A label filter as the docker CLI takes it: `key` or `key=value`. */
const zLabelFilter = z
  .string()
  .min(1, 'required')
  .max(512, 'must be at most 512 characters')
  .regex(/^[^=\s][^\s]*$/, 'must be "key" or "key=value", without spaces');

export const zVolumePruneInput = z
  .object({
    all: z.boolean().default(false).meta({ description: 'Also remove unused named volumes (their data is lost); by default only anonymous ones, as `docker volume prune`' }),
    label: z.array(zLabelFilter).max(20, 'at most 20 filters').default([]).meta({ description: 'Only volumes carrying every one of these labels (`key` or `key=value`)' }),
    engine_id: zEngineField('The engine to prune'),
  })
  .default({ all: false, label: [] });

export const zNetworkPruneInput = z
  .object({
    label: z.array(zLabelFilter).max(20, 'at most 20 filters').default([]).meta({ description: 'Only networks carrying every one of these labels (`key` or `key=value`)' }),
    engine_id: zEngineField('The engine to prune'),
  })
  .default({ label: [] });

export type VolumePruneInput = z.infer<typeof zVolumePruneInput>;
export type NetworkPruneInput = z.infer<typeof zNetworkPruneInput>;

export const zAttachedContainer = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  service_id: z.string().nullable().meta({ description: 'The Capstan service the container belongs to; null for other containers' }),
  service_name: z.string().nullable(),
});

const common = {
  name: z.string(),
  driver: z.string(),
  scope: z.string(),
  used_by: z.array(z.string()).meta({ description: 'Ids of the Capstan services (of this engine) whose containers use it' }),
  containers: z.array(zAttachedContainer).meta({ description: 'Every container using it (running or stopped), Capstan\'s or not' }),
  in_use: z.boolean(),
  managed: z.boolean().meta({ description: "Capstan's own (created for one of its services, by labels) rather than foreign" }),
  service_id: z.string().nullable().meta({ description: 'The Capstan service it was created for (its labels); the service may be gone' }),
  project: z.string().nullable().meta({ description: 'The compose project label, for Capstan\'s and other compose tools\' objects' }),
  labels: z.record(z.string(), z.string()),
  created_at: z.iso.datetime().nullable(),
};

export const zVolumeObject = z.object({
  ...common,
  size_bytes: z.number().int().nullable().meta({ description: "Bytes on disk, from the engine's disk-usage call; null when the driver cannot tell" }),
  anonymous: z.boolean(),
});
export type VolumeObject = z.infer<typeof zVolumeObject>;

export const zNetworkObject = z.object({
  ...common,
  id: z.string(),
  size_bytes: z.null().meta({ description: 'Networks have no size' }),
  internal: z.boolean(),
  predefined: z.boolean().meta({ description: 'Created by the engine itself (bridge, host, none); never removed' }),
});
export type NetworkObject = z.infer<typeof zNetworkObject>;

export const zRemovedObject = z.object({ success: z.literal(true), name: z.string() });

export const zVolumePruneResult = z.object({
  deleted: z.array(z.string()).meta({ description: 'Names of the volumes removed' }),
  space_reclaimed: z.number().int().meta({ description: 'Bytes, as measured before removal' }),
});
export type VolumePruneResult = z.infer<typeof zVolumePruneResult>;

export const zNetworkPruneResult = z.object({ deleted: z.array(z.string()).meta({ description: 'Names of the networks removed' }) });
export type NetworkPruneResult = z.infer<typeof zNetworkPruneResult>;
