import { z } from 'zod';
import { zContainerStatus } from './schemas.js';

const zBytes = z.number().nonnegative();

/** The figures `docker stats` shows for one container at one moment; byte counters are totals since the container started. */
const figures = {
  cpu_percent: z.number().nonnegative().meta({ description: 'As `docker stats`: the share of one CPU, so up to 100 × online CPUs' }),
  memory_bytes: zBytes.meta({ description: 'Usage without the inactive file cache (cgroup v2 inactive_file, v1 total_inactive_file)' }),
  memory_limit_bytes: zBytes.meta({ description: 'The memory limit, or the host memory when none is set' }),
  net_rx_bytes: zBytes.meta({ description: 'Received, summed over the interfaces' }),
  net_tx_bytes: zBytes.meta({ description: 'Sent, summed over the interfaces' }),
  block_read_bytes: zBytes,
  block_write_bytes: zBytes,
  pids: z.number().int().nonnegative(),
};

/** One sample of one container, as the engine's stats stream gives it (Capstan's own shape). */
export const zStatsPoint = z.object({ at: z.number().meta({ description: 'When the engine read it, in ms since the epoch' }), ...figures });
export type StatsPoint = z.infer<typeof zStatsPoint>;

/** GET /api/services/{id}/stats: one entry per container of the service; one that is not running reads as zeros. */
export const zContainerStats = z.object({ name: z.string(), ...figures });
export type ContainerStats = z.infer<typeof zContainerStats>;
export const zServiceStats = z.object({ containers: z.array(zContainerStats) });
export type ServiceStats = z.infer<typeof zServiceStats>;

export const zWatchedContainer = z.object({ name: z.string(), service: z.string(), container_id: z.string().nullable(), status: zContainerStatus });

/**
 * The live feed of one service: the containers it has (first, and whenever that
 * changes), then per running container its kept history at once followed by
 * each new sample; `ended` when a container's engine stream stopped or failed.
 */
export const zStatsEvent = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('containers'), containers: z.array(zWatchedContainer) }),
  z.object({ kind: z.literal('samples'), container: z.string(), container_id: z.string(), samples: z.array(zStatsPoint) }),
  z.object({ kind: z.literal('ended'), container: z.string(), container_id: z.string(), reason: z.string() }),
]);
export type StatsEvent = z.infer<typeof zStatsEvent>;

/** The services list's compact figures: the totals of each service's running containers. */
export const zServiceUsage = z.object({
  id: z.string(),
  cpu_percent: z.number().nonnegative(),
  memory_bytes: zBytes,
  /** How many of its running containers have a sample yet. */
  containers: z.number().int().nonnegative(),
});
export type ServiceUsage = z.infer<typeof zServiceUsage>;
export const zOverviewEvent = z.object({ at: z.number(), services: z.array(zServiceUsage) });
export type OverviewEvent = z.infer<typeof zOverviewEvent>;

/** Subscriptions are not resumed (the history comes again); the id is accepted so zod does not strip it. */
export const zStatsFollowInput = z.object({ id: z.string().min(1).max(64), lastEventId: z.string().nullish() });
export const zStatsOverviewInput = z.object({ lastEventId: z.string().nullish() }).optional();
