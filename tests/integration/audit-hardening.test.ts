import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/server/auth/throttle.js';
import { CapstanError } from '../../src/server/errors.js';
import { silentLogger } from '../../src/server/log.js';
import { AuthService } from '../../src/server/services/auth.js';
import { isContractError, useServer } from '../helpers/server.js';

const ctx = useServer();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function count(where = '1 = 1', args: (string | number)[] = []): Promise<number> {
  const r = await ctx.s.app.database.client.execute({ sql: `SELECT COUNT(*) AS n FROM audit_log WHERE ${where}`, args });
  return Number(r.rows[0]!.n);
}

async function throttledEntries(username: string) {
  const r = await ctx.s.app.database.client.execute({
    sql: "SELECT * FROM audit_log WHERE action = 'auth.login_throttled' AND actor = ? ORDER BY id",
    args: [username],
  });
  return r.rows.map((row) => ({ id: Number(row.id), outcome: String(row.outcome), details: JSON.parse(String(row.details)) as Record<string, unknown> }));
}

const highestId = async () => Number((await ctx.s.app.database.client.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'")).rows[0]?.seq ?? 0);

function cli(args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', ...args], { cwd: root, env: { ...process.env, CAPSTAN_DATA_DIR: ctx.s.dataDir } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

describe('throttled logins', () => {
  it('200 wrong-password logins from one address grow the log by a bounded number of entries, the count written when the window ends', async () => {
    await ctx.s.app.users.add('flooder', 'flooder-real-password');
    const before = await count();
    const seqBefore = await highestId();
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) {
      statuses.push((await ctx.s.request('POST', '/auth/login', { body: { username: 'flooder', password: `wrong-${i}` } })).status);
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(195);
    // 5 bad-credential entries; no insert at all for the 195 refusals while their window is open.
    expect(await count()).toBe(before + 5);
    expect(await highestId()).toBe(seqBefore + 5);
    expect(await count("action = 'auth.login' AND actor = 'flooder' AND outcome = 'failure'")).toBe(5);
    expect(await throttledEntries('flooder')).toHaveLength(0);

    // The window ends (here: as at shutdown): one entry carries the count of its refusals.
    await ctx.s.app.auth.throttled.flush();
    const after = await throttledEntries('flooder');
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ outcome: 'failure', details: { address: '127.0.0.1', username: 'flooder', scope: 'user', count: 195 } });
    expect(await count()).toBe(before + 6);
    // The refusal still answers 429 in the contract's shape.
    const refused = await ctx.s.request('POST', '/auth/login', { body: { username: 'flooder', password: 'flooder-real-password' } });
    expect(refused.status).toBe(429);
    expect(isContractError(refused.json)).toBe(true);
  });

  it('a window that ends on its timer writes its count; a refusal after the window closes it and opens the next', async () => {
    const { users, sessions, audit } = ctx.s.app;
    await users.add('windowed', 'windowed-real-password');
    const refusals = async (auth: AuthService, n: number) => {
      for (let i = 0; i < n; i++) {
        const err = await auth.login('windowed', 'wrong', '10.9.8.7').catch((e: unknown) => e);
        expect(err instanceof CapstanError && err.code).toBe('TOO_MANY_REQUESTS');
      }
    };
    const fail5 = async (auth: AuthService) => {
      for (let i = 0; i < 5; i++) await expect(auth.login('windowed', 'wrong', '10.9.8.7')).rejects.toThrow(/Invalid username or password/);
    };

    // A short real window: its timer writes the summary.
    const timed = new AuthService(users, sessions, new LoginThrottle(), audit, silentLogger, { windowMs: 1500, now: Date.now, maxKeys: 100 });
    await fail5(timed);
    await refusals(timed, 20);
    await expect.poll(async () => (await throttledEntries('windowed')).length, { timeout: 15_000, interval: 100 }).toBe(1);
    const [summary] = await throttledEntries('windowed');
    expect(summary!.details).toMatchObject({ address: '10.9.8.7', username: 'windowed', count: 20 });

    // A clock that moves past the window before its timer runs: the next refusal writes the old window's count.
    let now = Date.now();
    const clocked = new AuthService(users, sessions, new LoginThrottle(undefined, () => now), audit, silentLogger, {
      windowMs: 60_000,
      now: () => now,
      maxKeys: 100,
    });
    await fail5(clocked);
    await refusals(clocked, 7);
    expect(await throttledEntries('windowed')).toHaveLength(1);
    now += 61_000;
    await refusals(clocked, 1);
    await clocked.throttled.flush();
    const entries = (await throttledEntries('windowed')).slice(1);
    expect(entries.map((e) => e.details)).toEqual([expect.objectContaining({ count: 7 }), expect.objectContaining({ count: 1 })]);
  });
});

describe('incremental verify', () => {
  it('checks only the entries after the last verified head, still finds a tampered new entry, and --full finds an old one', async () => {
    const verify = async (query = '') => {
      const res = await ctx.s.request('GET', `/api/audit/verify${query}`, { token: ctx.token });
      expect(res.status, res.text).toBe(200);
      return res.json;
    };
    const full = await verify('?full=1');
    expect(full).toMatchObject({ ok: true, full: true, from: null, first_broken: null, checked: await count() });
    const record = (i: number) => ctx.s.app.audit.record({ actor: 'verifier', action: 'test.verify', outcome: 'success', details: { i } });
    for (let i = 0; i < 3; i++) await record(i);

    const second = await verify();
    expect(second).toMatchObject({ ok: true, full: false, from: full.head, checked: await count('id > ?', [full.head.id]) });
    expect(second.checked).toBeGreaterThanOrEqual(3);
    expect(second.checked).toBeLessThan(full.checked);
    expect((await verify()).checked).toBe(await count('id > ?', [second.head.id]));

    // An attacker with the file, on a connection of their own, drops the update trigger.
    const other = createClient({ url: ctx.s.config.databaseUrl });
    try {
      await other.execute('DROP TRIGGER audit_log_no_update');
      const head = (await verify()).head as { id: number };
      const ids = [await record(10), await record(11), await record(12)];
      await other.execute({ sql: "UPDATE audit_log SET outcome = 'failure' WHERE id = ?", args: [ids[1]!] });
      const found = await verify();
      expect(found).toMatchObject({ ok: false, full: false, from: { id: head.id }, first_broken: { id: ids[1], reason: expect.stringMatching(/content does not match/) } });
      // The head did not move past the break: it is found again.
      expect((await verify()).first_broken).toMatchObject({ id: ids[1] });
      await other.execute({ sql: "UPDATE audit_log SET outcome = 'success' WHERE id = ?", args: [ids[1]!] });
      expect(await verify()).toMatchObject({ ok: true, checked: await count('id > ?', [head.id]) });

      // Before the head: the incremental pass does not read it, a full pass does.
      const old = Number((await other.execute('SELECT MIN(id) AS id FROM audit_log')).rows[0]!.id);
      await other.execute({ sql: "UPDATE audit_log SET actor = 'eve' WHERE id = ?", args: [old] });
      expect(await verify()).toMatchObject({ ok: true, full: false });
      expect(await verify('?full=1')).toMatchObject({ ok: false, full: true, first_broken: { id: old } });
      const viaCli = await cli(['audit', 'verify', '--full', '--json']);
      expect(viaCli.code).toBe(1);
      expect(JSON.parse(viaCli.stdout)).toMatchObject({ ok: false, full: true, first_broken: { id: old } });
      const incremental = await cli(['audit', 'verify']);
      expect(incremental.code, incremental.stderr).toBe(0);
      expect(incremental.stdout).toMatch(/^audit log intact: \d+ entries checked after the last verified entry \d+/);
    } finally {
      other.close();
    }
    const bad = await ctx.s.request('GET', '/api/audit/verify?full=yes', { token: ctx.token });
    expect(bad.status).toBe(400);
    expect(isContractError(bad.json)).toBe(true);
  });
});
