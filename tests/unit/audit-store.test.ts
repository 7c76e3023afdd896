import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { silentLogger } from '../../src/server/log.js';
import { AuditLog } from '../../src/server/services/audit.js';
import { pageStatement } from '../../src/server/services/audit-query.js';
import { verifyAudit } from '../../src/server/services/audit-verify.js';

/** The audit tables on a real libSQL file, as a second Capstan process would open them. */
let dir: string;
let url: string;
let database: Database;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'capstan-audit-'));
  url = `file:${path.join(dir, 'capstan.db')}`;
  database = await openDatabase(url);
  await migrateDatabase(database.db);
});
afterAll(() => {
  database?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The plan SQLite chooses for a page query. On a client of its own: libSQL
 * leaves an EXPLAIN statement open, and the read snapshot it holds would make
 * that connection's later writes fail with SQLITE_BUSY_SNAPSHOT.
 */
async function plan(filters: Parameters<typeof pageStatement>[0], beforeId?: number): Promise<string> {
  const statement = pageStatement(filters, { beforeId, limit: 51, order: 'desc' }) as { sql: string; args: (string | number)[] };
  const own = await openDatabase(url);
  try {
    const result = await own.client.execute({ sql: `EXPLAIN QUERY PLAN ${statement.sql}`, args: statement.args });
    return result.rows.map((r) => String(r.detail)).join('\n');
  } finally {
    own.close();
  }
}

describe('page queries', () => {
  it('walk an index in id order for every filter: no sort, so a page stops after limit rows', async () => {
    const cases: [Parameters<typeof pageStatement>[0], RegExp][] = [
      [{}, /SCAN audit_log|USING INTEGER PRIMARY KEY \(rowid<\?\)/],
      [{ action: 'service.restart' }, /USING (COVERING )?INDEX audit_action_id_idx \(action=\?/],
      [{ actor: 'admin' }, /USING (COVERING )?INDEX audit_actor_id_idx \(actor=\?/],
      [{ target: 'service:x' }, /USING (COVERING )?INDEX audit_target_id_idx \(target=\?/],
      [{ outcome: 'failure' }, /USING (COVERING )?INDEX audit_outcome_id_idx \(outcome=\?/],
      [{ since: '2026-01-01' }, /USING INTEGER PRIMARY KEY \(rowid>\?/],
      [{ since: '2026-01-01', until: '2026-02-01', action: 'auth.login' }, /INDEX audit_action_id_idx \(action=\? AND id>\? AND id<\?\)/],
    ];
    for (const [filters, expected] of cases) {
      for (const cursor of [undefined, 1000]) {
        const text = await plan(filters, cursor);
        expect(text, `${JSON.stringify(filters)} cursor ${cursor}\n${text}`).toMatch(expected);
        expect(text, JSON.stringify(filters)).not.toMatch(/TEMP B-TREE/);
      }
    }
    // The time bounds are found through the at index, one row each.
    expect(await plan({ since: '2026-01-01' })).toMatch(/SEARCH audit_log USING (COVERING )?INDEX audit_at_idx \(at>\?\)/);
  });
});

describe('the database refuses to rewrite history', () => {
  it('refuses updates, deletes of young entries, inserts outside the chain, and a retention under one day', async () => {
    const audit = new AuditLog(database.db, silentLogger);
    const id = await audit.record({ actor: 'admin', action: 'service.restart', target: 'service:x', outcome: 'success' });
    const c = database.client;
    await expect(c.execute({ sql: "UPDATE audit_log SET actor = 'eve' WHERE id = ?", args: [id] })).rejects.toThrow(/append-only/);
    await expect(c.execute({ sql: 'UPDATE audit_log SET hash = hash WHERE id = ?', args: [id] })).rejects.toThrow(/append-only/);
    await expect(c.execute({ sql: 'DELETE FROM audit_log WHERE id = ?', args: [id] })).rejects.toThrow(/retention/);
    await expect(c.execute("INSERT INTO audit_log (at, actor, action, outcome) VALUES (1, 'eve', 'x', 'success')")).rejects.toThrow(/prev_hash and hash/);
    await expect(c.execute('UPDATE audit_settings SET retention_days = 0')).rejects.toThrow(/CHECK/);
    await expect(c.execute('DELETE FROM audit_settings')).rejects.toThrow(/cannot be deleted/);
    await expect(c.execute("INSERT INTO audit_settings (id, retention_days) VALUES (2, 5)")).rejects.toThrow(/CHECK/);
    expect((await verifyAudit(audit)).ok).toBe(true);
  });
});

describe('concurrent writers', () => {
  it('two processes appending at once (two clients on one file) never fork the chain', async () => {
    const other = await openDatabase(url);
    try {
      const a = new AuditLog(database.db, silentLogger);
      const b = new AuditLog(other.db, silentLogger);
      const writes = Array.from({ length: 150 }, (_, i) =>
        (i % 2 ? a : b).record({ actor: i % 2 ? 'a' : 'b', action: 'test.concurrent', target: `n:${i}`, outcome: 'success', details: { i } }),
      );
      const ids = await Promise.all(writes);
      expect(new Set(ids).size).toBe(150);
      const result = await verifyAudit(a);
      expect(result).toMatchObject({ ok: true, first_broken: null });
      const rows = await database.client.execute("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'test.concurrent'");
      expect(Number(rows.rows[0]!.n)).toBe(150);
    } finally {
      other.close();
    }
  });
});

describe('entries written before the chain existed', () => {
  it('are sealed into the chain, in id order, before the first append', async () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'capstan-audit-legacy-'));
    const db = await openDatabase(`file:${path.join(d, 'capstan.db')}`);
    try {
      await migrateDatabase(db.db);
      // What a database migrated from 0003 holds: rows without hashes (the insert trigger is new too).
      await db.client.execute('DROP TRIGGER audit_log_insert_chained');
      for (let i = 0; i < 3; i++) {
        await db.client.execute({ sql: "INSERT INTO audit_log (at, actor, action, outcome, details) VALUES (?, 'admin', 'auth.login', 'success', '{\"address\":\"127.0.0.1\"}')", args: [Date.now() + i] });
      }
      const audit = new AuditLog(db.db, silentLogger);
      await audit.record({ actor: 'admin', action: 'auth.logout', outcome: 'success' });
      const result = await verifyAudit(audit);
      expect(result).toMatchObject({ ok: true, checked: 4, head: { id: 4 } });
      // Sealed once: the trigger now refuses any further change of those rows.
      await expect(db.client.execute("UPDATE audit_log SET hash = 'x' WHERE id = 1")).rejects.toThrow(/append-only/);
    } finally {
      db.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});
