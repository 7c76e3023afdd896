import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueName } from '../helpers/engine.js';
import { spawnCapstan, type CapstanProcess } from '../helpers/process.js';
import { ADMIN, httpRequest, newDataDir } from '../helpers/server.js';
import { openSse, type SseEvent } from '../helpers/sse.js';
import { collect, testClient } from '../helpers/trpc.js';

// Two real Capstan processes on one libSQL file, one PostgreSQL queue and one engine act as one system.
const admin = new URL(inject('testEnv').pgUrl);
const dbName = `capstan_two_${Math.random().toString(36).slice(2, 10)}`;
const jobsUrl = new URL(admin.href);
jobsUrl.pathname = `/${dbName}`;
const shared = newDataDir();
let a: CapstanProcess;
let b: CapstanProcess;
const tokens = new Map<CapstanProcess, string>();

// Exits on SIGTERM at once, so stops and recreates do not wait for the engine's kill timeout.
const quick = (extra: Record<string, unknown> = {}) => ({
  image: inject('testEnv').image,
  command: ['sh', '-c', 'trap "exit 0" TERM; sleep 86400 & wait'],
  ...extra,
});
// Ignores SIGTERM: replacing it takes the engine's whole 10 s grace period, so the update runs long.
const stubborn = (extra: Record<string, unknown> = {}) => ({ image: inject('testEnv').image, command: ['sh', '-c', 'trap "" TERM; while :; do sleep 1; done'], ...extra });

async function sql(connectionString: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function spawn(): Promise<CapstanProcess> {
  return spawnCapstan({
    CAPSTAN_DATA_DIR: newDataDir(),
    CAPSTAN_DATABASE_URL: `file:${path.join(shared, 'capstan.db')}`,
    CAPSTAN_PROJECTS_DIR: path.join(shared, 'projects'),
    CAPSTAN_JOBS_DATABASE_URL: jobsUrl.href,
    DOCKER_HOST: inject('testEnv').dockerHost,
    CAPSTAN_ADMIN_USERNAME: ADMIN.username,
    CAPSTAN_ADMIN_PASSWORD: ADMIN.password,
  });
}

const api = (p: CapstanProcess, method: string, pathname: string, body?: unknown) =>
  httpRequest(p.url, method, pathname, { token: tokens.get(p)!, ...(body === undefined ? {} : { body }) });

async function finished(p: CapstanProcess, id: string): Promise<any> {
  for (let i = 0; i < 600; i++) {
    const d = (await api(p, 'GET', `/api/deployments/${id}`)).json;
    if (d.status === 'succeeded' || d.status === 'failed') return d;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`deployment ${id} did not finish`);
}

beforeAll(async () => {
  await sql(admin.href, `CREATE DATABASE ${dbName}`);
  mkdirSync(path.join(shared, 'projects'), { recursive: true });
  // One after the other: the second finds the migrations and the first admin done.
  a = await spawn();
  b = await spawn();
  for (const p of [a, b]) {
    const res = await httpRequest(p.url, 'POST', '/auth/login', { body: ADMIN });
    expect(res.status, res.text).toBe(200);
    tokens.set(p, res.json.token);
  }
}, 180_000);

afterAll(async () => {
  for (const p of [a, b]) {
    if (!p) continue;
    p.child.kill('SIGTERM');
    await p.exited;
  }
  await sql(admin.href, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
}, 60_000);

describe('two Capstan processes on one queue and one database', () => {
  it('a deploy requested on A streams to succeeded for subscribers on both A and B, whichever worker runs it', async () => {
    const res = await api(a, 'POST', '/api/services', { name: uniqueName('two'), services: { x: quick(), y: quick({ depends_on: ['x'] }) } });
    expect(res.status, res.text).toBe(201);
    type D = { id: string; data: { status: string; steps: unknown[] } };
    // Each process's subscriber: the runner is in one of them, so one of the two hears it only from the other.
    const [onA, onB] = await Promise.all(
      [a, b].map((p) =>
        collect<D>(
          (h) => testClient(p.url, tokens.get(p)!).deployments.onUpdate.subscribe({ id: res.json.deployment_id }, h as never),
          (items) => items.some((i) => i.data.status === 'succeeded'),
          60_000,
        ),
      ),
    );
    for (const items of [onA!, onB!]) {
      const statuses = items.map((i) => i.data.status);
      expect(statuses.at(-1)).toBe('succeeded');
      expect(items.at(-1)!.data.steps.length).toBeGreaterThan(0);
      const versions = items.map((i) => Number(i.id));
      expect(versions).toEqual([...versions].sort((x, y) => x - y));
    }
    // The status feed of both shows the service running.
    for (const p of [a, b]) {
      const status = await collect<{ data: { kind: string; id?: string; status?: string } }>(
        (h) => testClient(p.url, tokens.get(p)!).services.onStatus.subscribe(undefined, h as never),
        (items) => items.some((i) => i.data.kind === 'service' && i.data.id === res.json.id && i.data.status === 'running'),
      );
      expect(status.length).toBeGreaterThan(0);
    }
    await api(a, 'DELETE', `/api/services/${res.json.id}?mode=hard`);
  });

  it('GET /api/events on either process streams every step of a deploy requested on the other, and each has its own ids', async () => {
    const [onA, onB] = await Promise.all([a, b].map((p) => openSse(new URL('/api/events', p.url).href, { authorization: `Bearer ${tokens.get(p)!}` })));
    try {
      await Promise.all([onA!, onB!].map((c) => c.waitFor((e) => e.event === 'snapshot')));
      const res = await api(b, 'POST', '/api/services', { name: uniqueName('two-ev'), services: { x: quick() } });
      expect(res.status, res.text).toBe(201);
      const done = (e: SseEvent) => e.event === 'deployment' && e.json.id === res.json.deployment_id && e.json.status === 'succeeded';
      await Promise.all([onA!, onB!].map((c) => c.waitFor(done, 60_000)));
      for (const c of [onA!, onB!]) {
        const steps = c.events.filter((e) => e.event === 'deployment' && e.json.id === res.json.deployment_id);
        // Every version once, in order, whichever process ran it.
        const lengths = steps.map((e) => e.json.steps.length);
        expect(lengths).toEqual([...lengths].sort((x, y) => x - y));
        expect(steps.at(-1)!.json.steps.length).toBeGreaterThan(0);
        await c.waitFor((e) => e.event === 'status' && e.json.id === res.json.id && e.json.status === 'running', 30_000);
      }
      // The epochs differ: an id from one process is a snapshot on the other, never a wrong resume.
      expect(onA!.events[0]!.id!.split('-')[0]).not.toBe(onB!.events[0]!.id!.split('-')[0]);
      const crossed = await openSse(new URL('/api/events', b.url).href, { authorization: `Bearer ${tokens.get(b)!}`, 'last-event-id': onA!.events.at(-1)!.id! });
      expect((await crossed.waitFor(() => true)).event).toBe('snapshot');
      crossed.close();
      await api(a, 'DELETE', `/api/services/${res.json.id}?mode=hard`);
    } finally {
      onA?.close();
      onB?.close();
    }
  });

  it('a start on one process while an update from the other runs: one after the other, and the start answers its outcome', async () => {
    for (const [updater, starter] of [[a, b], [b, a]] as const) {
      const name = uniqueName('order');
      const created = await api(updater, 'POST', '/api/services', { name, services: { s: stubborn() } });
      expect(created.status, created.text).toBe(201);
      expect((await finished(updater, created.json.deployment_id)).status).toBe('succeeded');
      const id = created.json.id as string;

      const update = await api(updater, 'PUT', `/api/services/${id}`, { name, services: { s: stubborn({ environment: { V: '2' } }) } });
      expect(update.status, update.text).toBe(200);
      const start = await api(starter, 'POST', `/api/services/${id}/start`);
      // Answered after its deployment ran, wherever it ran: the starter heard the outcome from the shared queue.
      expect(start.status, start.text).toBe(200);
      expect(start.json).toEqual({ success: true });

      const u = await finished(starter, update.json.deployment_id);
      const list = (await api(starter, 'GET', `/api/services/${id}/deployments`)).json as any[];
      const st = list.find((d) => d.kind === 'start');
      expect([u.status, st.status]).toEqual(['succeeded', 'succeeded']);
      const [first, second] = Date.parse(u.started_at) < Date.parse(st.started_at) ? [u, st] : [st, u];
      expect(Date.parse(first.finished_at)).toBeLessThanOrEqual(Date.parse(second.started_at));
      expect((await api(a, 'DELETE', `/api/services/${id}?mode=hard`)).status).toBe(200);
    }
  }, 120_000);

  it('a logout on one process ends the session on the other at once, though the other had it cached', async () => {
    const login = await httpRequest(a.url, 'POST', '/auth/login', { body: ADMIN });
    const token = login.json.token as string;
    expect((await httpRequest(b.url, 'GET', '/api/health/status', { token })).status).toBe(200);
    expect((await httpRequest(b.url, 'GET', '/api/health/status', { token })).status).toBe(200);
    expect((await httpRequest(a.url, 'POST', '/auth/logout', { token })).status).toBe(200);
    // Well within the 5 s the cache would otherwise trust it: the notice, not the expiry, ended it.
    await expect.poll(async () => (await httpRequest(b.url, 'GET', '/api/health/status', { token })).status, { timeout: 2000, interval: 50 }).toBe(401);
  });

  it('an engine added on one process is used by the other at once; a change or a removal on one reaches the other', async () => {
    const added = await api(a, 'POST', '/api/engines', { name: uniqueName('shared-engine'), url: inject('testEnv').dockerHost });
    expect(added.status, added.text).toBe(201);
    const id = added.json.id as string;
    // B has not heard of it, and uses it all the same: a create there deploys on it, whichever worker runs it.
    const created = await api(b, 'POST', '/api/services', { name: uniqueName('on-shared'), engine_id: id, services: { app: quick() } });
    expect(created.status, created.text).toBe(201);
    expect(created.json.engine_id).toBe(id);
    expect((await finished(b, created.json.deployment_id)).status).toBe('succeeded');
    await expect.poll(async () => (await api(a, 'GET', `/api/services/${created.json.id}`)).json.status, { timeout: 10_000 }).toBe('running');

    // A rename on A reaches B's connection (told over the queue's database, not found out later).
    expect((await api(a, 'PUT', `/api/engines/${id}`, { name: 'renamed on a' })).status).toBe(200);
    await expect.poll(async () => (await api(b, 'GET', `/api/engines/${id}`)).json.name, { timeout: 5000, interval: 50 }).toBe('renamed on a');

    const removed = await api(b, 'DELETE', `/api/services/${created.json.id}?mode=hard`);
    expect(removed.status, removed.text).toBe(200);
    expect((await api(b, 'DELETE', `/api/engines/${id}`)).status).toBe(200);
    await expect.poll(async () => (await api(a, 'GET', `/api/engines/${id}`)).status, { timeout: 5000, interval: 50 }).toBe(404);
    expect((await api(a, 'GET', '/api/engines')).json.map((e: { id: string }) => e.id)).not.toContain(id);
  });

  it('login failures split across the processes count together: the 6th attempt is 429 on either', async () => {
    const username = uniqueName('nobody');
    const wrong = { username, password: 'not-the-password' };
    for (const p of [a, b, a, b, a]) {
      const res = await httpRequest(p.url, 'POST', '/auth/login', { body: wrong });
      expect(res.status, res.text).toBe(401);
    }
    for (const p of [b, a]) {
      const res = await httpRequest(p.url, 'POST', '/auth/login', { body: wrong });
      expect(res.status, res.text).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Other usernames from the same address are not blocked by it.
    expect((await httpRequest(b.url, 'POST', '/auth/login', { body: ADMIN })).status).toBe(200);
  });
});
