import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { uniqueName } from '../helpers/engine.js';
import { until } from '../helpers/until.js';
import { deployAndWait, startTestServer, waitForDeployment } from '../helpers/server.js';

const sleeper = () => ({ image: inject('testEnv').image, command: ['sleep', '86400'] });

async function query(connectionString: string, sql: string) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('the job queue', () => {
  it('runs on an embedded PostgreSQL in the data dir, with its own password, on 127.0.0.1 only', async () => {
    const s = await startTestServer();
    try {
      expect(existsSync(path.join(s.dataDir, 'pg', 'PG_VERSION'))).toBe(true);
      expect(statSync(path.join(s.dataDir, 'pg-password')).mode & 0o777).toBe(0o600);
      const [row] = await query(s.jobs.connectionString, 'SHOW listen_addresses');
      expect(row.listen_addresses).toBe('127.0.0.1');
      expect(new URL(s.jobs.connectionString).hostname).toBe('127.0.0.1');
      const token = await s.login();
      const { deployment } = await deployAndWait(s, token, 'POST', '/api/services', { name: uniqueName('emb'), services: { a: sleeper() } });
      expect(deployment.status).toBe('succeeded');
      const [count] = await query(s.jobs.connectionString, "SELECT count(*)::int AS n FROM graphile_worker._private_tasks WHERE identifier = 'deploy'");
      expect(count.n).toBe(1);
    } finally {
      await s.dispose();
    }
  });

  it('runs on an external PostgreSQL from CAPSTAN_JOBS_DATABASE_URL, and starts none of its own', async () => {
    const admin = new URL(inject('testEnv').pgUrl);
    const dbName = `capstan_t_${Math.random().toString(36).slice(2, 10)}`;
    await query(admin.href, `CREATE DATABASE ${dbName}`);
    const url = new URL(admin.href);
    url.pathname = `/${dbName}`;
    const s = await startTestServer({ CAPSTAN_JOBS_DATABASE_URL: url.href });
    try {
      expect(existsSync(path.join(s.dataDir, 'pg'))).toBe(false);
      const token = await s.login();
      const name = uniqueName('ext');
      const { service, deployment } = await deployAndWait(s, token, 'POST', '/api/services', { name, services: { a: sleeper() } });
      expect(deployment.status).toBe('succeeded');
      expect(service.status).toBe('running');
      // The worker removes a job just after its task returns, so the row may outlive the deployment's end briefly.
      const left = await until('the finished job to leave the queue', async () => {
        // The update check's one pending job (jobs/tasks/update-check.ts) stays: it is the next check, not a leftover.
        const [row] = await query(url.href, "SELECT count(*)::int AS n FROM graphile_worker._private_jobs WHERE key IS DISTINCT FROM 'update-check'");
        return row.n === 0 ? row.n : undefined;
      }, 10_000);
      expect(left).toBe(0);

      // Operations on one service run in order: two updates queued back to back end in the second one's state.
      const one = { name, services: { a: { ...sleeper(), command: ['sleep', '86401'] } } };
      const two = { name, services: { a: { ...sleeper(), command: ['sleep', '86402'] } } };
      const r1 = await s.request('PUT', `/api/services/${service.id}`, { token, body: one });
      const r2 = await s.request('PUT', `/api/services/${service.id}`, { token, body: two });
      const d1 = await waitForDeployment(s, token, r1.json.deployment_id);
      const d2 = await waitForDeployment(s, token, r2.json.deployment_id);
      expect(Date.parse(d1.finished_at)).toBeLessThanOrEqual(Date.parse(d2.started_at));
      const after = (await s.request('GET', `/api/services/${service.id}`, { token })).json;
      expect(after.definition.services.a.command).toEqual(['sleep', '86402']);
      const list = (await s.request('GET', `/api/services/${service.id}/deployments`, { token })).json;
      expect(list.map((d: { kind: string }) => d.kind)).toEqual(['update', 'update', 'create']);
      await s.request('DELETE', `/api/services/${service.id}?mode=hard`, { token });
    } finally {
      await s.dispose();
      await query(admin.href, `DROP DATABASE ${dbName} WITH (FORCE)`);
    }
  });

  it('404 for an unknown deployment', async () => {
    const s = await startTestServer();
    try {
      const token = await s.login();
      expect((await s.request('GET', '/api/deployments/nope', { token })).status).toBe(404);
      expect((await s.request('GET', '/api/services/nope/deployments', { token })).status).toBe(404);
    } finally {
      await s.dispose();
    }
  });
});
