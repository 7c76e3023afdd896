import { z } from 'zod';

export const MAX_TAIL = 10_000;

export const zLogLine = z.object({
  container: z.string(),
  stream: z.enum(['stdout', 'stderr']),
  timestamp: z.string().meta({ description: 'RFC 3339 UTC with nanoseconds, as the engine recorded it' }),
  message: z.string(),
});
export type LogLine = z.infer<typeof zLogLine>;

/** A point in time as Docker takes it: RFC 3339 / ISO 8601, or Unix seconds. */
const zInstant = z
  .string()
  .refine((v) => /^\d+(\.\d+)?$/.test(v) || !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 time or Unix seconds');

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
