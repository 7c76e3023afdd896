import { z } from 'zod';

export const MAX_TAIL = 10_000;

export const zLogLine = z.object({
  container: z.string(),
  stream: z.enum(['stdout', 'stderr']),
  timestamp: z.string().meta({ description: 'RFC 3339 UTC with nanoseconds, as the engine recorded it' }),
  message: z.string(),
});
export type LogLine = z.infer<typeof zLogLine>;

/** 9999-12-31T23:59:59Z: the last second Docker's RFC 3339 parser (four-digit years) and its int64 seconds both take. */
export const MAX_INSTANT_SECONDS = 253_402_300_799;

/** Unix seconds of a `since`/`until` value: digits with up to 9 decimals, or an ISO 8601 time; NaN otherwise. */
export function instantSeconds(v: string): number {
  if (/^\d{1,12}(\.\d{1,9})?$/.test(v)) return Number(v);
  if (!/^\d{4}-\d\d-\d\d(?:[T ][\d:.]+)?(?:Z|[+-]\d\d:?\d\d)?$/i.test(v)) return Number.NaN;
  return Date.parse(v) / 1000;
}

/**
 * A point in time as Docker takes it: RFC 3339 / ISO 8601, or Unix seconds,
 * between 1970 and 9999. Out of that range the engine's own parser fails
 * (strconv.ParseInt), which is bad input, not an engine error.
 */
const zInstant = z
  .string()
  .max(64, 'must be an ISO 8601 time or Unix seconds')
  .refine((v) => {
    const s = instantSeconds(v);
    return Number.isFinite(s) && s >= 0 && s <= MAX_INSTANT_SECONDS;
  }, 'must be an ISO 8601 time or Unix seconds, between 1970 and the year 9999');

/** Query of GET /api/services/{id}/logs (its own schema: trpc-to-openapi coerces query schemas in place). */
export const zLogsQuery = z.object({
  id: z.string().min(1).max(64),
  tail: z.number().int().min(0, 'must be 0 or more').max(MAX_TAIL, `must be at most ${MAX_TAIL}`).default(100),
  container: z.string().min(1).max(128).optional().meta({ description: 'Only this container (name or compose service key)' }),
  since: zInstant.optional(),
  until: zInstant.optional(),
  format: z.enum(['json', 'text']).optional().meta({ description: 'text answers text/plain, "container | message" per line' }),
});
export type LogsQuery = z.infer<typeof zLogsQuery>;

export const zLogsOutput = z.object({ lines: z.array(zLogLine) });

export const zFollowLogsInput = z.object({
  id: z.string().min(1).max(64),
  container: z.string().min(1).max(128).optional(),
  tail: z.number().int().min(0).max(MAX_TAIL).default(0).meta({ description: 'Lines of history to send first' }),
  lastEventId: z.string().nullish(),
});
