import type { Client } from '@libsql/client';
import type { AuditVerifyResult } from '../../shared/audit.js';
import type { AuditLog } from './audit.js';
import { chainRowFromDb, ChainVerifier, entryHash, GENESIS_TAIL, type BrokenLink, type ChainTail } from './audit-chain.js';

const PAGE = 2000;
const COLUMNS = 'id, at, actor, action, target, outcome, details, prev_hash, hash';

export interface VerifyOptions {
  /** Every entry from the first on, not only those after the last verified head. */
  full?: boolean;
}

interface Checkpoint {
  info: NonNullable<AuditVerifyResult['checkpoint']>;
  tail: ChainTail;
}

async function latestCheckpoint(client: Client): Promise<Checkpoint | null> {
  const cp = await client.execute(
    `SELECT last_id, last_hash, last_at, at, (SELECT COALESCE(SUM(count), 0) FROM audit_checkpoint) AS pruned
     FROM audit_checkpoint ORDER BY last_id DESC LIMIT 1`,
  );
  const c = cp.rows[0];
  if (!c) return null;
  return {
    info: { last_id: Number(c.last_id), last_hash: String(c.last_hash), pruned_count: Number(c.pruned), at: new Date(Number(c.at)).toISOString() },
    tail: { id: Number(c.last_id), at: Number(c.last_at), hash: String(c.last_hash) },
  };
}

async function verifiedHead(client: Client): Promise<{ id: number; hash: string } | null> {
  const r = (await client.execute('SELECT last_id, last_hash FROM audit_verified_head WHERE id = 1')).rows[0];
  return r ? { id: Number(r.last_id), hash: String(r.last_hash) } : null;
}

/**
 * Where an incremental pass continues: the verified head entry itself, if it
 * is still there and unchanged; the checkpoint, if retention pruned past it.
 */
async function resumeAfter(client: Client, head: { id: number; hash: string }, cp: Checkpoint | null): Promise<ChainTail | BrokenLink> {
  const r = (await client.execute({ sql: `SELECT ${COLUMNS} FROM audit_log WHERE id = ?`, args: [head.id] })).rows[0];
  if (r) {
    const row = chainRowFromDb(r);
    if (row.hash !== head.hash || row.prevHash === null || entryHash({ ...row, prevHash: row.prevHash }) !== row.hash) {
      return { id: row.id, reason: 'the last verified entry was changed after it was verified' };
    }
    return { id: row.id, at: row.at, hash: row.hash };
  }
  if (cp && cp.tail.id >= head.id && (cp.tail.id > head.id || cp.tail.hash === head.hash)) return cp.tail;
  return { id: head.id, reason: 'the last verified entry is missing: removed outside retention' };
}

/**
 * Recomputes the chain and names the first entry that does not hold: changed
 * content, a missing predecessor, a link to the wrong hash. By default only
 * the entries after the last verified head (remembered in
 * audit_verified_head) are checked, linked to that head; a full pass starts
 * at the last checkpoint (or the genesis) and reads every row. Entries
 * removed from the end are caught by SQLite's AUTOINCREMENT counter, which
 * remembers the highest id ever written. A pass that holds moves the head.
 */
export async function verifyAudit(audit: AuditLog, opts: VerifyOptions = {}): Promise<AuditVerifyResult> {
  await audit.ready();
  const client = audit.client;
  const cp = await latestCheckpoint(client);
  const from = opts.full ? null : await verifiedHead(client);

  let verifier: ChainVerifier;
  // A full pass reads from the first row, not from the checkpoint: a row that should have been pruned is itself a finding.
  let afterId = Number.MIN_SAFE_INTEGER;
  const start = from ? await resumeAfter(client, from, cp) : (cp?.tail ?? GENESIS_TAIL);
  if ('reason' in start) {
    verifier = new ChainVerifier(GENESIS_TAIL);
    verifier.broken = start;
  } else {
    verifier = new ChainVerifier(start);
    if (from) afterId = start.id;
  }

  let more = !verifier.broken;
  while (more) {
    const page = await client.execute({ sql: `SELECT ${COLUMNS} FROM audit_log WHERE id > ? ORDER BY id LIMIT ?`, args: [afterId, PAGE] });
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
  if (!verifier.broken && head.id > 0) {
    await client.execute({
      sql: `INSERT INTO audit_verified_head (id, last_id, last_hash, at) VALUES (1, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash, at = excluded.at`,
      args: [head.id, head.hash, Date.now()],
    });
  }
  return {
    ok: verifier.broken === null,
    full: from === null,
    from,
    checked: verifier.checked,
    first_broken: verifier.broken,
    checkpoint: cp?.info ?? null,
    head: head.id === 0 ? null : { id: head.id, hash: head.hash },
  };
}
