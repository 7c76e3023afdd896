import { zAuditPage, zAuditQuery, zAuditVerifyQuery, zAuditVerifyResult } from '../../shared/audit.js';
import { listAudit } from '../services/audit-query.js';
import { verifyAudit } from '../services/audit-verify.js';
import { authedProcedure, router } from '../trpc.js';

const tags = ['audit'];

/**
 * Reading the audit log. There is deliberately no procedure that changes or
 * deletes an entry; the export (NDJSON, CSV) is served beside trpc-to-openapi
 * in src/server/audit-export.ts because it is not JSON.
 */
export const auditRouter = router({
  // Declared before /api/audit so that nothing after it can take "verify" for a parameter.
  verify: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/api/audit/verify',
        tags,
        summary: 'Recompute the hash chain from the last verified head (every entry with full=1) and name the first entry that does not hold',
      },
    })
    .input(zAuditVerifyQuery)
    .output(zAuditVerifyResult)
    .query(({ ctx, input }) => verifyAudit(ctx.app.audit, { full: input?.full === '1' || input?.full === 'true' })),

  list: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/api/audit',
        tags,
        summary: 'Audit entries, newest first, with filters and cursor pagination (limit 1-500, default 50)',
      },
    })
    .input(zAuditQuery)
    .output(zAuditPage)
    .query(({ ctx, input }) => listAudit(ctx.app.audit.client, input)),
});
