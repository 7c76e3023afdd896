/**
 * Audit log queries at 1,000,000 entries: one page (50, newest first) for each
 * filter, deep in the log, with keyset pagination (what GET /api/audit runs)
 * against the same query with OFFSET pagination; the time window against a
 * plain `at` range; verify against a bare scan; appends against plain inserts.
 * Prints medians and ratios (peer / ours: above 1 means ours is faster).
 *   npx tsx bench/audit-query.ts [entries=1000000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, InStatement } from '@libsql/client';
import { openDatabase } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { silentLogger } from '../src/server/log.js';
import { AuditLog } from '../src/server/services/audit.js';
import { canonicalJson, entryHash, GENESIS_HASH } from '../src/server/services/audit-chain.js';
import { pageStatement } from '../src/server/services/audit-query.js';
import { verifyAudit } from '../src/server/services/audit-verify.js';
import type { AuditFilters } from '../src/shared/audit.js';

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const PAGE = 50;
const ROUNDS = 15;
const ROWS_PER_STATEMENT = 500;
const STATEMENTS_PER_BATCH = 40;
const START = Date.UTC(2026, 0, 1);
const SPACING_MS = Math.floor((90 * 86_400_000) / TOTAL);

const ACTIONS = ['auth.login', 'auth.logout', 'service.create', 'service.update', 'service.restart', 'service.start', 'service.stop',
  'service.delete', 'service.env', 'deployment.start', 'deployment.finish', 'image.pull', 'image.remove', 'image.prune',
  'schedule.create', 'schedule.update', 'schedule.run', 'registry.set', 'user.create', 'audit.prune'];

/** Deterministic pseudo-random numbers (mulberry32), so every run measures the same data. */
let seed = 42;
const rand = (n: number) => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) % n;
};

async function fill(client: Client): Promise<void> {
  // Indexes are built once at the end: much faster than maintaining six of them row by row.
  const indexes = await client.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log' AND sql IS NOT NULL");
  for (const r of indexes.rows) await client.execute(`DROP INDEX ${String(r.name)}`);
  let prev = GENESIS_HASH;
  let id = 0;
  const t0 = performance.now();
  while (id < TOTAL) {
    const statements: InStatement[] = [];
    for (let s = 0; s < STATEMENTS_PER_BATCH && id < TOTAL; s++) {
      const values: string[] = [];
      const args: (string | number | null)[] = [];
      for (let i = 0; i < ROWS_PER_STATEMENT && id < TOTAL; i++) {
        id++;
        const action = ACTIONS[rand(ACTIONS.length)]!;
        const row = {
          id,
          at: START + id * SPACING_MS,
          actor: rand(10) === 0 ? 'system' : `user${rand(50)}`,
          action,
          target: `service:s${rand(5000)}`,
          outcome: rand(20) === 0 ? 'failure' : 'success',
          details: canonicalJson({ n: id, address: '127.0.0.1' }),
          prevHash: prev,
        };
        const hash = entryHash(row);
        values.push('(?, ?, ?, ?, ?, ?, ?, ?, ?)');
        args.push(row.id, row.at, row.actor, row.action, row.target, row.outcome, row.details, prev, hash);
        prev = hash;
      }
      statements.push({ sql: `INSERT INTO audit_log (id, at, actor, action, target, outcome, details, prev_hash, hash) VALUES ${values.join(', ')}`, args });
    }
    await client.batch(statements, 'write');
  }
  const t1 = performance.now();
  for (const r of indexes.rows) await client.execute(String(r.sql));
  // No ANALYZE: a Capstan database never runs it, so the planner here decides as it does there.
  console.log(`filled ${TOTAL} entries in ${((t1 - t0) / 1000).toFixed(1)} s, indexes in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(client: Client, statement: InStatement): Promise<{ ms: number; rows: number }> {
  const samples: number[] = [];
  let rows = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    rows = (await client.execute(statement)).rows.length;
    samples.push(performance.now() - t0);
  }
  return { ms: median(samples), rows };
}

/** The same filters written the plain way, with OFFSET instead of a cursor. */
function offsetStatement(filters: AuditFilters, offset: number, count = false): InStatement {
  const where: string[] = [];
  const args: (string | number)[] = [];
  for (const column of ['action', 'actor', 'target', 'outcome'] as const) {
    if (filters[column] !== undefined) {
      where.push(`${column} = ?`);
      args.push(filters[column]!);
    }
  }
  if (filters.since) (where.push('at >= ?'), args.push(Date.parse(filters.since)));
  if (filters.until) (where.push('at <= ?'), args.push(Date.parse(filters.until)));
  const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  if (count) return { sql: `SELECT COUNT(*) AS n FROM audit_log${clause}`, args };
  return { sql: `SELECT id, at, actor, action, target, outcome, details FROM audit_log${clause} ORDER BY id DESC LIMIT ? OFFSET ?`, args: [...args, PAGE, offset] };
}

const row = (label: string, ours: number, peer: number, note = '') =>
  console.log(`${label.padEnd(34)} ${ours.toFixed(2).padStart(8)} ms ${peer.toFixed(2).padStart(10)} ms ${(peer / ours).toFixed(1).padStart(9)}x ${note}`);

const dir = mkdtempSync(path.join(os.tmpdir(), 'capstan-bench-audit-'));
const database = await openDatabase(`file:${path.join(dir, 'capstan.db')}`);
try {
  await migrateDatabase(database.db);
  const client = database.client;
  await fill(client);

  const mid = new Date(START + (TOTAL / 2) * SPACING_MS);
  const cases: [string, AuditFilters][] = [
    ['no filter', {}],
    ['action=service.restart', { action: 'service.restart' }],
    ['actor=user7', { actor: 'user7' }],
    ['target=service:s42', { target: 'service:s42' }],
    ['outcome=failure', { outcome: 'failure' }],
    ['since/until (one day, mid-log)', { since: mid.toISOString(), until: new Date(mid.getTime() + 86_400_000).toISOString() }],
    ['action + since (last 30 days)', { action: 'auth.login', since: new Date(START + 60 * 86_400_000).toISOString() }],
  ];
  console.log(`\none page of ${PAGE}, newest first, median of ${ROUNDS}; peer = same filter with LIMIT/OFFSET at the same depth`);
  console.log(`${'filter (page half-way into matches)'.padEnd(34)} ${'keyset'.padStart(11)} ${'offset'.padStart(13)} ${'ratio'.padStart(10)}`);
  for (const [label, filters] of cases) {
    const count = Number((await client.execute(offsetStatement(filters, 0, true))).rows[0]!.n);
    const depth = Math.max(0, Math.floor(count / 2 / PAGE) * PAGE);
    const at = await client.execute(offsetStatement(filters, Math.max(0, depth - 1)));
    const cursor = depth === 0 ? undefined : Number(at.rows[0]?.id);
    const ours = await time(client, pageStatement(filters, { beforeId: cursor, limit: PAGE + 1, order: 'desc' }));
    const peer = await time(client, offsetStatement(filters, depth));
    const first = await time(client, pageStatement(filters, { limit: PAGE + 1, order: 'desc' }));
    row(label, ours.ms, peer.ms, `(${count} matches, first page ${first.ms.toFixed(2)} ms)`);
  }

  console.log('\nthe time window as an id range (ours) against a plain at range ordered by id (first page)');
  const window = { since: mid.toISOString(), until: new Date(mid.getTime() + 86_400_000).toISOString() };
  const plain: InStatement = {
    sql: 'SELECT id, at, actor, action, target, outcome, details FROM audit_log WHERE at >= ? AND at <= ? ORDER BY id DESC LIMIT ?',
    args: [Date.parse(window.since), Date.parse(window.until), PAGE + 1],
  };
  row('since/until, first page', (await time(client, pageStatement(window, { limit: PAGE + 1, order: 'desc' }))).ms, (await time(client, plain)).ms);

  const audit = new AuditLog(database.db, silentLogger);
  const t0 = performance.now();
  const result = await verifyAudit(audit);
  const verifyMs = performance.now() - t0;
  const t1 = performance.now();
  for (let after = 0, n = 1; n > 0; ) {
    const page = await client.execute({ sql: 'SELECT id, at, actor, action, target, outcome, details, prev_hash, hash FROM audit_log WHERE id > ? ORDER BY id LIMIT 2000', args: [after] });
    n = page.rows.length;
    if (n) after = Number(page.rows.at(-1)!.id);
  }
  const scanMs = performance.now() - t1;
  console.log(`\nverify (recompute every hash) against reading the same rows without hashing`);
  row(`verify ${result.checked} entries (ok=${result.ok})`, verifyMs, scanMs, '(ratio below 1: the hashing cost)');

  const APPENDS = 1000;
  const t2 = performance.now();
  for (let i = 0; i < APPENDS; i++) await audit.record({ actor: 'bench', action: 'bench.append', target: `n:${i}`, outcome: 'success', details: { i } });
  const chained = (performance.now() - t2) / APPENDS;
  await client.execute('DROP TRIGGER audit_log_insert_chained');
  const t3 = performance.now();
  for (let i = 0; i < APPENDS; i++) {
    await client.execute({ sql: "INSERT INTO audit_log (at, actor, action, target, outcome, details) VALUES (?, 'bench', 'bench.plain', ?, 'success', ?)", args: [Date.now(), `n:${i}`, canonicalJson({ i })] });
  }
  const plainInsert = (performance.now() - t3) / APPENDS;
  console.log(`\nappend one entry at ${TOTAL} entries: chained record() against a plain INSERT (per entry)`);
  row('record()', chained, plainInsert, '(ratio below 1: the chain cost)');
} finally {
  database.close();
  rmSync(dir, { recursive: true, force: true });
}
