import { z } from 'zod';

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 500;

export const zAuditOutcome = z.enum(['success', 'failure']);
export type AuditOutcome = z.infer<typeof zAuditOutcome>;

/** One audit entry, as the contract shows it. */
export const zAuditEntry = z.object({
  id: z.number().int(),
  at: z.iso.datetime(),
  actor: z.string().meta({ description: 'The username, or "system", "scheduler", "cli"' }),
  action: z.string().meta({ example: 'service.restart' }),
  target: z.string().nullable().meta({ example: 'service:k3v9q2' }),
  outcome: zAuditOutcome,
  details: z.record(z.string(), z.unknown()).meta({ description: 'What else is worth knowing; never passwords, tokens or environment values' }),
});
export type AuditEntry = z.infer<typeof zAuditEntry>;

/** ISO 8601: a date, or a date and time (UTC when no offset is given). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Epoch milliseconds of an ISO 8601 instant, or NaN. A time without an offset is UTC, as everywhere in the API. */
export function instantMs(value: string): number {
  if (!ISO_INSTANT.test(value)) return Number.NaN;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) && value.length > 10;
  const iso = value.length === 10 ? `${value}T00:00:00Z` : hasZone ? value : `${value}Z`;
  return Date.parse(iso.replace(' ', 'T'));
}

/**
 * The filters of the list and the export. A function, so each query schema
 * gets its own instances: trpc-to-openapi sets coercion on query schemas in place.
 */
function filterFields() {
  const instant = (what: string) =>
    z
      .string()
      .refine((v) => !Number.isNaN(instantMs(v)), 'must be an ISO 8601 date or time, e.g. 2026-01-31T12:00:00Z')
      .optional()
      .meta({ description: what });
  return {
    action: z.string().min(1).max(128).optional().meta({ description: 'Only this action, e.g. service.restart' }),
    actor: z.string().min(1).max(128).optional().meta({ description: 'Only entries by this actor' }),
    target: z.string().min(1).max(256).optional().meta({ description: 'Only entries about this target, e.g. service:k3v9q2' }),
    outcome: zAuditOutcome.optional(),
    since: instant('Only entries at or after this time'),
    until: instant('Only entries at or before this time'),
  };
}

/** Query of GET /api/audit. */
export const zAuditQuery = z.object({
  ...filterFields(),
  limit: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(AUDIT_PAGE_MAX, `must be at most ${AUDIT_PAGE_MAX}`)
    .default(AUDIT_PAGE_DEFAULT),
  cursor: z.string().min(1).max(200).optional().meta({ description: 'next_cursor of the previous page' }),
});
export type AuditQuery = z.infer<typeof zAuditQuery>;
export type AuditFilters = Omit<AuditQuery, 'limit' | 'cursor'>;

/** Query of GET /api/audit/export (served beside trpc-to-openapi: it is not JSON). */
export const zAuditExportQuery = z.object({
  ...filterFields(),
  format: z.enum(['ndjson', 'csv']).default('ndjson'),
});

export const zAuditPage = z.object({
  entries: z.array(zAuditEntry).meta({ description: 'Newest first' }),
  next_cursor: z.string().nullable().meta({ description: 'Pass as cursor for the next (older) page; null on the last page' }),
});
export type AuditPage = z.infer<typeof zAuditPage>;

export const zAuditVerifyResult = z.object({
  ok: z.boolean(),
  full: z.boolean().meta({ description: 'A full pass from the first entry; false: from the last verified head on' }),
  from: z
    .object({ id: z.number().int(), hash: z.string() })
    .nullable()
    .meta({ description: 'The last verified head this pass started after; null for a full pass' }),
  checked: z.number().int().meta({ description: 'Entries whose hash and link were checked by this pass' }),
  first_broken: z
    .object({ id: z.number().int(), reason: z.string() })
    .nullable()
    .meta({ description: 'The first entry whose content, hash or link to the entry before it does not hold' }),
  checkpoint: z
    .object({
      last_id: z.number().int(),
      last_hash: z.string(),
      pruned_count: z.number().int().meta({ description: 'Entries removed by retention so far' }),
      at: z.iso.datetime(),
    })
    .nullable()
    .meta({ description: 'Where the chain starts after pruning; null when nothing was pruned yet' }),
  head: z
    .object({ id: z.number().int(), hash: z.string() })
    .nullable()
    .meta({ description: 'The newest entry and its hash: note it elsewhere to detect a rewrite of the whole chain' }),
});
export type AuditVerifyResult = z.infer<typeof zAuditVerifyResult>;

/** Query of GET /api/audit/verify. */
export const zAuditVerifyQuery = z
  .object({
    full: z.enum(['0', '1', 'true', 'false']).optional().meta({ description: '1: verify every entry, not only those after the last verified head' }),
  })
  .optional();
