import { CapstanError } from '../errors.js';
import type { AuditLog } from './audit.js';

const DAY_MS = 86_400_000;
/** Entries removed per transaction: keeps each write (and the event loop) short even after a long pause. */
const PRUNE_BATCH = 5000;

export interface PruneResult {
  retention_days: number;
  cutoff: string;
  pruned: number;
  last_pruned_id: number | null;
}

async function retentionDays(audit: AuditLog): Promise<number> {
  const result = await audit.client.execute('SELECT retention_days FROM audit_settings WHERE id = 1');
  const days = Number(result.rows[0]?.retention_days);
  if (!Number.isInteger(days) || days < 1) throw new CapstanError('INTERNAL_SERVER_ERROR', 'Audit retention setting missing');
  return days;
}

/**
 * Writes the retention period where the delete trigger reads it. Called by the
 * server at start, not by the CLI: the server's configuration is the one that counts.
 */
export async function applyRetentionSetting(audit: AuditLog, days: number): Promise<void> {
  const before = await audit.client.execute('SELECT retention_days FROM audit_settings WHERE id = 1');
  const previous = before.rows[0] ? Number(before.rows[0].retention_days) : null;
  if (previous === days) return;
  await audit.client.execute({
    sql: 'INSERT INTO audit_settings (id, retention_days) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET retention_days = excluded.retention_days',
    args: [days],
  });
  await audit.record({
    actor: 'system',
    action: 'audit.retention',
    target: 'audit_log',
    outcome: 'success',
    details: { retention_days: days, previous_days: previous, source: 'CAPSTAN_AUDIT_RETENTION_DAYS' },
  });
}

/**
 * Removes the entries older than the retention period, oldest first. Only a
 * prefix of the chain goes (it stops at the first entry that is still young),
 * and each batch records a checkpoint, the last removed id and its hash, in
 * the same transaction, so the chain still verifies from there. The delete
 * trigger checks the age again with the database's own clock. The run is
 * itself audited, as the system.
 */
export async function pruneAudit(audit: AuditLog, now: Date = new Date()): Promise<PruneResult> {
  const client = audit.client;
  let days: number | undefined;
  let cutoff: number | undefined;
  let pruned = 0;
  let lastId: number | null = null;
  try {
    await audit.ready();
    days = await retentionDays(audit);
    cutoff = now.getTime() - days * DAY_MS;
    for (;;) {
      const page = await client.execute({ sql: 'SELECT id, at, hash FROM audit_log ORDER BY id LIMIT ?', args: [PRUNE_BATCH] });
      const old = [];
      for (const r of page.rows) {
        if (Number(r.at) >= cutoff) break;
        old.push(r);
      }
      const last = old.at(-1);
      if (!last) break;
      const id = Number(last.id);
      // Serialized with this process's appends: the cached end of the chain may be among the removed entries.
      const [inserted] = await audit.exclusive(async () => {
        audit.forgetTail();
        return client.batch(
          [
            {
              // Only if that entry is still there: another process may have pruned it already.
              sql: `INSERT INTO audit_checkpoint (last_id, last_hash, last_at, count, at)
                    SELECT id, hash, at, (SELECT COUNT(*) FROM audit_log WHERE id <= ?), ? FROM audit_log WHERE id = ? AND hash = ?`,
              args: [id, Date.now(), id, String(last.hash)],
            },
            { sql: 'DELETE FROM audit_log WHERE id <= ?', args: [id] },
          ],
          'write',
        );
      });
      if (inserted && inserted.rowsAffected === 1) {
        pruned += old.length;
        lastId = id;
      }
      if (old.length < page.rows.length || page.rows.length < PRUNE_BATCH) break;
    }
  } catch (err) {
    await audit.record({
      actor: 'system',
      action: 'audit.prune',
      target: 'audit_log',
      outcome: 'failure',
      details: {
        retention_days: days ?? null,
        pruned,
        error: err instanceof Error ? err.message : String(err),
      },
    });
    throw err;
  }
  const result: PruneResult = { retention_days: days!, cutoff: new Date(cutoff!).toISOString(), pruned, last_pruned_id: lastId };
  await audit.record({ actor: 'system', action: 'audit.prune', target: 'audit_log', outcome: 'success', details: { ...result } });
  return result;
}
