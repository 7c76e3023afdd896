import type { AuditVerifyResult } from '../../shared/audit.js';
import type { AuditLog } from './audit.js';
import { chainRowFromDb, ChainVerifier, GENESIS_TAIL } from './audit-chain.js';

const PAGE = 2000;

/**
 * Recomputes the chain from the last checkpoint (or the genesis) to the
 * newest entry and names the first entry that does not hold: changed content,
 * a missing predecessor, a link to the wrong hash. Entries removed from the
 * end are caught by SQLite's AUTOINCREMENT counter, which remembers the
 * highest id ever written.
 */
export async function verifyAudit(audit: AuditLog): Promise<AuditVerifyResult> {
  await audit.ready();
  const client = audit.client;
  const cp = await client.execute(
    `SELECT last_id, last_hash, last_at, at, (SELECT COALESCE(SUM(count), 0) FROM audit_checkpoint) AS pruned
     FROM audit_checkpoint ORDER BY last_id DESC LIMIT 1`,
  );
  const c = cp.rows[0];
  const checkpoint = c
    ? { last_id: Number(c.last_id), last_hash: String(c.last_hash), pruned_count: Number(c.pruned), at: new Date(Number(c.at)).toISOString() }
    : null;
  const verifier = new ChainVerifier(c ? { id: Number(c.last_id), at: Number(c.last_at), hash: String(c.last_hash) } : GENESIS_TAIL);

  // From the first row, not from the checkpoint: a row that should have been pruned is itself a finding.
  let afterId = Number.MIN_SAFE_INTEGER;
  let more = true;
  while (more) {
    const page = await client.execute({
      sql: 'SELECT id, at, actor, action, target, outcome, details, prev_hash, hash FROM audit_log WHERE id > ? ORDER BY id LIMIT ?',
      args: [afterId, PAGE],
    });
    for (const r of page.rows) {
      const row = chainRowFromDb(r);
      if (!verifier.feed(row)) break;
      afterId = row.id;
    }
    more = !verifier.broken && page.rows.length === PAGE;
  }

  if (!verifier.broken) {
    const seq = await client.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'");
    const highest = Number(seq.rows[0]?.seq ?? 0);
    const head = verifier.head.id;
    if (highest > head) {
      verifier.broken = {
        id: head + 1,
        reason: `${highest === head + 1 ? `entry ${highest} is` : `entries ${head + 1} to ${highest} are`} missing at the end of the log`,
      };
    }
  }
  const head = verifier.head;
  return {
    ok: verifier.broken === null,
    checked: verifier.checked,
    first_broken: verifier.broken,
    checkpoint,
    head: head.id === 0 ? null : { id: head.id, hash: head.hash },
  };
}
