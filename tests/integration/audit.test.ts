import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/server/env.js';
import { silentLogger } from '../../src/server/log.js';
import { createApp } from '../../src/server/app.js';
import { appRouter } from '../../src/server/routers/_app.js';
import { pruneAudit } from '../../src/server/services/audit-retention.js';
import { uniqueName } from '../helpers/engine.js';
import { ADMIN, isContractError, newDataDir, startTestServer, useServer, waitForDeployment, type TestServer } from '../helpers/server.js';

const ctx = useServer();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DAY = 86_400_000;
const ENTRY_KEYS = ['action', 'actor', 'at', 'details', 'id', 'outcome', 'target'];

const api = (method: string, pathname: string, body?: unknown) =>
  ctx.s.request(method, pathname, { token: ctx.token, ...(body === undefined ? {} : { body }) });

async function allRows(s: TestServer = ctx.s) {
  return (await s.app.database.client.execute('SELECT * FROM audit_log ORDER BY id')).rows;
}

function cli(args: string[], env: Record<string, string>, input = '') {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

interface ProcedureDef {
  _def: { type: 'query' | 'mutation' | 'subscription'; meta?: { audit?: string } };
}
const procedures = () => Object.entries((appRouter._def as unknown as { procedures: Record<string, ProcedureDef> }).procedures);

describe('coverage', () => {
  /** The auth service records these itself: a failed login has no session for the middleware to name. */
  const SELF_AUDITED = new Set(['auth.login', 'auth.logout']);

  /** Mutations only because they take a body: they change nothing (a connection test saves nothing), and reads are not audited. */
  const DRY_RUNS = new Set(['services.validate', 'engines.test']);

  it('every mutation names its audit action, except login and logout, which the auth service records', () => {
    const mutations = procedures().filter(([, p]) => p._def.type === 'mutation');
    expect(mutations.length).toBeGreaterThan(10);
    for (const [name, p] of mutations) {
      if (SELF_AUDITED.has(name) || DRY_RUNS.has(name)) expect(p._def.meta?.audit, name).toBeUndefined();
      else expect(p._def.meta?.audit, name).toMatch(/^[a-z]+\.[a-z_]+$/);
    }
  });

  it('every subscription is known to be read-only or to be audited by its service', () => {
    const READ_ONLY = new Set(['services.onStatus', 'services.followLogs', 'deployments.onUpdate', 'stats.onService', 'stats.onOverview']);
    const AUDITED_BY_SERVICE = new Set(['images.pull']);
    for (const [name, p] of procedures().filter(([, q]) => q._def.type === 'subscription')) {
      expect(READ_ONLY.has(name) || AUDITED_BY_SERVICE.has(name), `${name}: decide whether it changes anything`).toBe(true);
    }
  });

  it('records operations with actor, action, target, outcome and details, and never a password, token or environment value', async () => {
    const secrets = ['Distinct-Wrong-Pw-8841', 'Distinct-Registry-Pw-5521', 'Distinct-Env-Value-7713', 'Distinct-Env-Value-9924', 'Distinct-Cli-Pw-3317'];
    expect((await ctx.s.request('POST', '/auth/login', { body: { username: ADMIN.username, password: secrets[0] } })).status).toBe(401);
    const token = await ctx.s.login();
    secrets.push(token, ctx.token, ADMIN.password);

    expect((await api('PUT', '/api/registries', { host: 'registry.example.test', username: 'bot', password: secrets[1] })).status).toBe(200);
    const name = uniqueName('audited');
    const created = await api('POST', '/api/services', {
      name,
      services: { app: { image: inject('testEnv').image, command: ['sleep', '3600'], environment: { API_KEY: secrets[2], PLAIN: 'x' } } },
    });
    expect(created.status, created.text).toBe(201);
    await waitForDeployment(ctx.s, ctx.token, created.json.deployment_id);
    const env = await api('PUT', `/api/services/${created.json.id}/env`, { environment: { app: { API_KEY: secrets[3] } } });
    expect(env.status, env.text).toBe(200);
    await waitForDeployment(ctx.s, ctx.token, env.json.deployment_id);
    expect((await api('DELETE', `/api/services/${created.json.id}?mode=hard`)).status).toBe(200);
    // The delete runs as a job: wait for its entry, so no entry is still being written when later tests count them.
    await expect
      .poll(async () => (await allRows()).some((r) => r.action === 'deployment.finish' && String(r.details).includes('"kind":"delete"') && String(r.details).includes(created.json.id)), { timeout: 30_000 })
      .toBe(true);
    const added = await cli(['user', 'add', 'auditee'], { CAPSTAN_DATA_DIR: ctx.s.dataDir }, `${secrets[4]}\n`);
    expect(added.code, added.stderr).toBe(0);
    await ctx.s.request('POST', '/auth/logout', { token });

    const rows = await allRows();
    const seen = new Set(rows.map((r) => `${String(r.action)}:${String(r.outcome)}`));
    for (const expected of ['auth.login:success', 'auth.login:failure', 'auth.logout:success', 'registry.set:success', 'service.create:success',
      'service.env:success', 'service.delete:success', 'deployment.start:success', 'deployment.finish:success', 'user.create:success']) {
      expect(seen.has(expected), expected).toBe(true);
    }
    const envEntry = rows.find((r) => r.action === 'service.env')!;
    expect(envEntry).toMatchObject({ actor: 'admin', target: `service:${created.json.id}`, outcome: 'success' });
    expect(JSON.parse(String(envEntry.details))).toMatchObject({ name, changed_keys: expect.anything() });
    for (const r of rows) {
      expect(String(r.actor).length, JSON.stringify(r)).toBeGreaterThan(0);
      expect(['success', 'failure']).toContain(r.outcome);
    }

    const everything = [
      JSON.stringify(rows),
      (await ctx.s.request('GET', '/api/audit/export?format=ndjson', { token: ctx.token })).text,
      (await ctx.s.request('GET', '/api/audit/export?format=csv', { token: ctx.token })).text,
    ].join('\n');
    for (const secret of secrets) expect(everything, 'a secret reached the audit log').not.toContain(secret);
  });
});

describe('GET /api/audit', () => {
  it('answers entries exactly as the contract shows them, newest first', async () => {
    const res = await api('GET', '/api/audit');
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(['entries', 'next_cursor']);
    const entries = res.json.entries as { id: number; at: string }[];
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(Object.keys(e).sort()).toEqual(ENTRY_KEYS);
    expect(entries.map((e) => e.id)).toEqual([...entries.map((e) => e.id)].sort((a, b) => b - a));
    const login = (await api('GET', '/api/audit?action=auth.login&outcome=success&actor=admin')).json.entries[0];
    expect(login).toMatchObject({ actor: 'admin', action: 'auth.login', outcome: 'success', target: expect.stringMatching(/^user:/), details: { address: '127.0.0.1' } });
    expect(new Date(login.at).toISOString()).toBe(login.at);
  });

  it('filters by action, actor, target and outcome', async () => {
    const audit = ctx.s.app.audit;
    for (let i = 0; i < 12; i++) {
      await audit.record({ actor: `filter-actor-${i % 3}`, action: 'test.filter', target: `thing:${i % 4}`, outcome: i % 5 === 0 ? 'failure' : 'success', details: { i } });
    }
    const get = async (query: string) => (await api('GET', `/api/audit?action=test.filter&${query}`)).json.entries as { actor: string; target: string; outcome: string; details: { i: number } }[];
    expect(await get('limit=500')).toHaveLength(12);
    expect((await get('actor=filter-actor-1')).map((e) => e.details.i)).toEqual([10, 7, 4, 1]);
    expect((await get('target=thing:2')).map((e) => e.details.i)).toEqual([10, 6, 2]);
    expect((await get('outcome=failure')).map((e) => e.details.i)).toEqual([10, 5, 0]);
    expect((await get('actor=filter-actor-0&outcome=failure')).map((e) => e.details.i)).toEqual([0]);
    expect(await get('actor=nobody')).toEqual([]);
  });

  it('pages with an opaque cursor until next_cursor is null, without gaps or repeats', async () => {
    for (let i = 0; i < 23; i++) await ctx.s.app.audit.record({ actor: 'pager', action: 'test.page', outcome: 'success', details: { i } });
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await api('GET', `/api/audit?action=test.page&limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, res.text).toBe(200);
      seen.push(...res.json.entries.map((e: { details: { i: number } }) => e.details.i));
      cursor = res.json.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => 22 - i));
  });

  it('filters by time: since and until are inclusive ISO 8601 bounds', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await ctx.s.app.audit.record({ actor: 'clock', action: 'test.time', outcome: 'success' }));
      await new Promise((r) => setTimeout(r, 20));
    }
    const all = (await api('GET', '/api/audit?action=test.time')).json.entries as { id: number; at: string }[];
    const middle = all.find((e) => e.id === ids[1])!.at;
    expect((await api('GET', `/api/audit?action=test.time&since=${middle}`)).json.entries.map((e: { id: number }) => e.id)).toEqual([ids[2], ids[1]]);
    expect((await api('GET', `/api/audit?action=test.time&until=${middle}`)).json.entries.map((e: { id: number }) => e.id)).toEqual([ids[1], ids[0]]);
    expect((await api('GET', `/api/audit?since=${middle}&until=${middle}&action=test.time`)).json.entries.map((e: { id: number }) => e.id)).toEqual([ids[1]]);
    expect((await api('GET', '/api/audit?action=test.time&since=2999-01-01')).json).toEqual({ entries: [], next_cursor: null });
  });

  it('refuses bad limits, cursors, times and outcomes with a 400 naming the field', async () => {
    for (const [query, field] of [['limit=0', /^limit: /], ['limit=501', /^limit: /], ['since=yesterday', /^since: /], ['until=1700000000', /^until: /], ['outcome=maybe', /^outcome: /], ['cursor=bm90LWEtY3Vyc29y', /^cursor: /]] as const) {
      const res = await api('GET', `/api/audit?${query}`);
      expect(res.status, query).toBe(400);
      expect(isContractError(res.json), query).toBe(true);
      expect(res.json.details, query).toMatch(field);
    }
    expect((await api('GET', '/api/audit?limit=500')).status).toBe(200);
  });

  it('has no route that changes or deletes an entry', async () => {
    for (const method of ['PUT', 'PATCH', 'DELETE', 'POST']) {
      for (const p of ['/api/audit', '/api/audit/1', '/api/audit/verify', '/api/audit/export']) {
        const res = await api(method, p, method === 'DELETE' ? undefined : {});
        expect([404, 405], `${method} ${p}`).toContain(res.status);
        expect(isContractError(res.json), `${method} ${p}`).toBe(true);
      }
    }
    expect(procedures().filter(([name, p]) => name.startsWith('audit.') && p._def.type !== 'query')).toEqual([]);
    // Nor can Capstan's own database connection: the triggers refuse.
    const first = Number((await allRows())[0]!.id);
    await expect(ctx.s.app.database.client.execute({ sql: "UPDATE audit_log SET actor = 'eve' WHERE id = ?", args: [first] })).rejects.toThrow(/append-only/);
    await expect(ctx.s.app.database.client.execute({ sql: 'DELETE FROM audit_log WHERE id = ?', args: [first] })).rejects.toThrow(/retention/);
  });
});

describe('GET /api/audit/export', () => {
  it('streams every matching entry, oldest first, as NDJSON and as CSV', async () => {
    const nd = await ctx.s.request('GET', '/api/audit/export?action=test.page', { token: ctx.token });
    expect(nd.status).toBe(200);
    expect(nd.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(nd.headers.get('content-disposition')).toMatch(/^attachment; filename="capstan-audit-.*\.ndjson"$/);
    const lines = nd.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(23);
    for (const e of lines) expect(Object.keys(e).sort()).toEqual(ENTRY_KEYS);
    expect(lines.map((e) => e.details.i)).toEqual(Array.from({ length: 23 }, (_, i) => i));

    const csv = await ctx.s.request('GET', '/api/audit/export?format=csv&action=test.page&actor=pager', { token: ctx.token });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = csv.text.trimEnd().split('\r\n');
    expect(rows[0]).toBe('id,at,actor,action,target,outcome,details');
    expect(rows).toHaveLength(24);
    expect(rows[1]).toMatch(/^\d+,\d{4}-\d\d-\d\dT[^,]+Z,pager,test\.page,,success,"\{""i"":0\}"$/);
  });

  it('needs a session and valid filters, and is in the OpenAPI document', async () => {
    const anonymous = await ctx.s.request('GET', '/api/audit/export');
    expect(anonymous.status).toBe(401);
    expect(isContractError(anonymous.json)).toBe(true);
    const bad = await api('GET', '/api/audit/export?format=xml');
    expect(bad.status).toBe(400);
    expect(bad.json.details).toMatch(/^format: /);
    const doc = (await ctx.s.request('GET', '/api/openapi.json')).json;
    expect(Object.keys(doc.paths['/api/audit/export'].get.responses['200'].content)).toEqual(['application/x-ndjson', 'text/csv']);
    expect(doc.paths['/api/audit'].get).toBeDefined();
    expect(doc.paths['/api/audit/verify'].get).toBeDefined();
  });
});

describe('concurrent writers', () => {
  it('200 concurrent records and concurrent HTTP logins leave one unbroken chain', async () => {
    const before = (await allRows()).length;
    const records = Array.from({ length: 200 }, (_, i) => ctx.s.app.audit.record({ actor: 'racer', action: 'test.race', outcome: 'success', details: { i } }));
    const logins = Array.from({ length: 15 }, () => ctx.s.request('POST', '/auth/login', { body: ADMIN }));
    const failures = Array.from({ length: 5 }, (_, i) => ctx.s.request('POST', '/auth/login', { body: { username: `racer-${i}`, password: 'wrong-password' } }));
    const results = await Promise.all([...logins, ...failures]);
    const ids = await Promise.all(records);
    expect(results.filter((r) => r.status === 200)).toHaveLength(15);
    expect(new Set(ids).size).toBe(200);
    const rows = await allRows();
    expect(rows.length).toBeGreaterThanOrEqual(before + 220);
    expect(rows.map((r) => Number(r.id))).toEqual(rows.map((_, i) => Number(rows[0]!.id) + i));
    const verify = await api('GET', '/api/audit/verify');
    expect(verify.json).toMatchObject({ ok: true, first_broken: null, checked: rows.length });
  });
});

describe('verify', () => {
  it('answers ok over REST and from the CLI while the server runs', async () => {
    const res = await api('GET', '/api/audit/verify?full=1');
    expect(res.status).toBe(200);
    const rows = await allRows();
    expect(res.json).toEqual({ ok: true, full: true, from: null, checked: rows.length, first_broken: null, checkpoint: null, head: { id: Number(rows.at(-1)!.id), hash: String(rows.at(-1)!.hash) } });
    const text = await cli(['audit', 'verify'], { CAPSTAN_DATA_DIR: ctx.s.dataDir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^audit log intact: \d+ entries checked/);
    const json = await cli(['audit', 'verify', '--json'], { CAPSTAN_DATA_DIR: ctx.s.dataDir });
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, first_broken: null });
  });

  it('names an entry edited in the database file, the one after a deleted entry, and a cut-off end', async () => {
    const s = await startTestServer();
    try {
      const token = await s.login();
      for (let i = 0; i < 6; i++) await s.app.audit.record({ actor: 'admin', action: 'test.tamper', outcome: 'success', details: { i } });
      const c = s.app.database.client;
      // An attacker with the file drops the triggers first.
      for (const t of ['audit_log_no_update', 'audit_log_no_early_delete']) await c.execute(`DROP TRIGGER ${t}`);
      const rows = (await c.execute("SELECT * FROM audit_log WHERE action = 'test.tamper' ORDER BY id")).rows;
      type Column = 'id' | 'at' | 'actor' | 'action' | 'target' | 'outcome' | 'details' | 'prev_hash' | 'hash';
      const victim = rows[2]! as unknown as Record<Column, string | number | null>;
      // Full passes: an incremental one starts after the last verified head and would not reread the edited entries.
      const verify = async () => (await s.request('GET', '/api/audit/verify?full=1', { token })).json;

      await c.execute({ sql: "UPDATE audit_log SET outcome = 'failure' WHERE id = ?", args: [victim.id] });
      expect((await verify()).first_broken).toEqual({ id: Number(victim.id), reason: expect.stringMatching(/content does not match/) });
      expect(await verify()).toMatchObject({ ok: false });
      const broken = await cli(['audit', 'verify', '--full'], { CAPSTAN_DATA_DIR: s.dataDir });
      expect(broken.code).toBe(1);
      expect(broken.stdout).toContain(`audit log BROKEN at entry ${Number(victim.id)}`);
      await c.execute({ sql: "UPDATE audit_log SET outcome = 'success' WHERE id = ?", args: [victim.id] });
      expect((await verify()).ok).toBe(true);

      await c.execute({ sql: 'DELETE FROM audit_log WHERE id = ?', args: [victim.id] });
      expect((await verify()).first_broken).toEqual({ id: Number(rows[3]!.id), reason: `entry ${Number(victim.id)} is missing before it: removed outside retention` });
      await c.execute({ sql: 'INSERT INTO audit_log SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?', args: [victim.id, victim.at, victim.actor, victim.action, victim.target, victim.outcome, victim.details, victim.prev_hash, victim.hash] });
      expect((await verify()).ok).toBe(true);

      const last = Number((await c.execute('SELECT MAX(id) AS id FROM audit_log')).rows[0]!.id);
      await c.execute({ sql: 'DELETE FROM audit_log WHERE id = ?', args: [last] });
      expect((await verify()).first_broken).toEqual({ id: Number(last), reason: `entry ${Number(last)} is missing at the end of the log` });
    } finally {
      await s.dispose();
    }
  });
});

describe('retention', () => {
  it('prunes entries older than CAPSTAN_AUDIT_RETENTION_DAYS, audits the run, and the chain verifies from its checkpoint', async () => {
    // Old entries first, in a data dir of their own, as if this Capstan had been running for months.
    const dataDir = newDataDir();
    const config = loadConfig({ CAPSTAN_DATA_DIR: dataDir, DOCKER_HOST: inject('testEnv').dockerHost });
    const early = await createApp(config, silentLogger);
    for (let i = 0; i < 10; i++) {
      await early.audit.record({ actor: 'admin', action: 'test.old', outcome: 'success', details: { i } }, { at: new Date(Date.now() - (100 - i) * DAY) });
    }
    early.database.close();

    const s = await startTestServer({ CAPSTAN_AUDIT_RETENTION_DAYS: '30' }, dataDir);
    try {
      const token = await s.login();
      const c = s.app.database.client;
      expect((await c.execute('SELECT retention_days FROM audit_settings')).rows[0]!.retention_days).toBe(30);
      const setting = (await allRows(s)).find((r) => r.action === 'audit.retention')!;
      expect(setting).toMatchObject({ actor: 'system', outcome: 'success' });
      expect(JSON.parse(String(setting.details))).toMatchObject({ retention_days: 30, previous_days: 90 });

      const result = await pruneAudit(s.app.audit);
      expect(result).toMatchObject({ retention_days: 30, pruned: 10, last_pruned_id: 10 });
      const rows = await allRows(s);
      expect(rows.some((r) => r.action === 'test.old')).toBe(false);
      expect(rows.at(-1)).toMatchObject({ actor: 'system', action: 'audit.prune', target: 'audit_log', outcome: 'success' });
      expect(JSON.parse(String(rows.at(-1)!.details))).toMatchObject({ pruned: 10, retention_days: 30, last_pruned_id: 10 });
      const verify = (await s.request('GET', '/api/audit/verify', { token })).json;
      expect(verify).toMatchObject({ ok: true, checked: rows.length, first_broken: null, checkpoint: { last_id: 10, pruned_count: 10 } });

      // Nothing old is left: a second run removes nothing and says so.
      expect((await pruneAudit(s.app.audit)).pruned).toBe(0);
      // A prune that thinks it is 40 days later is stopped by the trigger, which reads the database's own clock.
      await expect(pruneAudit(s.app.audit, new Date(Date.now() + 40 * DAY))).rejects.toThrow(/younger than the retention period/);
      const failed = (await allRows(s)).at(-1)!;
      expect(failed).toMatchObject({ action: 'audit.prune', outcome: 'failure' });
      expect((await s.request('GET', '/api/audit/verify', { token })).json).toMatchObject({ ok: true, checkpoint: { last_id: 10 } });
    } finally {
      await s.dispose();
    }
  });

  it('runs daily as a graphile-worker cron task, which the queue can also run on demand', async () => {
    const db = new pg.Client({ connectionString: ctx.s.jobs.connectionString });
    await db.connect();
    try {
      const known = await db.query('SELECT identifier FROM graphile_worker._private_known_crontabs');
      expect(known.rows.map((r: { identifier: string }) => r.identifier)).toContain('audit-prune');
    } finally {
      await db.end();
    }
    const before = (await api('GET', '/api/audit?action=audit.prune')).json.entries.length;
    await ctx.s.jobs.utils.addJob('audit-prune', {});
    await expect
      .poll(async () => (await api('GET', '/api/audit?action=audit.prune')).json.entries.length, { timeout: 20_000, interval: 200 })
      .toBe(before + 1);
    expect((await api('GET', '/api/audit?action=audit.prune&limit=1')).json.entries[0]).toMatchObject({ actor: 'system', outcome: 'success', details: { pruned: 0 } });
  });
});
