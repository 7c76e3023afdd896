import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { AuditLog } from '../../server/services/audit.js';
import { pruneAudit } from '../../server/services/audit-retention.js';

export const AUDIT_PRUNE_TASK = 'audit-prune';

/**
 * Daily at 03:17 UTC. fill=1d: a Capstan that was down at that time prunes
 * when it comes back, within the day. graphile-worker runs each tick once,
 * however many workers share the queue.
 */
export const AUDIT_PRUNE_CRONTAB = `17 3 * * * ${AUDIT_PRUNE_TASK} ?fill=1d&max=3`;

/** graphile-worker's cron payload; nothing in it changes what a prune does. */
export const zAuditPrunePayload = z.looseObject({ _cron: z.looseObject({ ts: z.string() }).optional() });

/** Removes audit entries older than the retention period; the run audits itself (actor system). */
export function auditPruneTask(audit: AuditLog): Task {
  return async (payload, helpers) => {
    zAuditPrunePayload.parse(payload ?? {});
    const result = await pruneAudit(audit);
    helpers.logger.info(`audit prune: ${result.pruned} entries older than ${result.cutoff} removed`);
  };
}
