import { describe, expect, inject, it } from 'vitest';
import { freePort, startPortHolder, testDocker, uniqueName } from '../helpers/engine.js';
import { crashCase } from '../helpers/crash-case.js';
import { ADMIN, deployAndWait, httpRequest, isContractError, useServer, waitForDeployment } from '../helpers/server.js';

// One runner for every change to a service: each is a deployment row, run in order on the service's queue.
const ctx = useServer();
const docker = testDocker();
const image = () => inject('testEnv').image;
// Exits on SIGTERM at once, so stops and recreates do not wait for the engine's kill timeout.
const quick = (extra: Record<string, unknown> = {}) => ({ image: image(), command: ['sh', '-c', 'trap "exit 0" TERM; sleep 86400 & wait'], ...extra });
// Ignores SIGTERM: the engine waits the whole 10 s grace period before it kills it.
const stubborn = () => ({ image: image(), command: ['sh', '-c', 'trap "" TERM; while :; do sleep 1; done'] });

const api = (method: string, path: string, body?: unknown) => ctx.s.request(method, path, { token: ctx.token, ...(body === undefined ? {} : { body }) });
const deployments = async (id: string) => (await api('GET', `/api/services/${id}/deployments`)).json as any[];

async function auditFor(target: string) {
  const rows = await ctx.s.app.database.client.execute({ sql: 'SELECT action, outcome FROM audit_log WHERE target = ? ORDER BY id', args: [target] });
  return rows.rows.map((r) => `${r.action}:${r.outcome}`);
}

describe('a failed delete', () => {
  it('a hard delete whose volume is in use answers 409, leaves the service usable, and a second DELETE retries it', async () => {
    const name = uniqueName('vol');
    const { service } = await deployAndWait(ctx.s, ctx.token, 'POST', '/api/services', {
      name,
      services: { app: quick({ volumes: ['data:/data'] }) },
      volumes: { data: {} },
    });
    expect(service.status).toBe('running');
    const foreign = await docker.createContainer({ name: uniqueName('holder'), Image: image(), Cmd: ['sleep', '86400'], HostConfig: { Binds: [`${name}_data:/data`] } });
    try {
      const del = await api('DELETE', `/api/services/${service.id}?mode=hard`);
      expect(del.status, del.text).toBe(409);
      expect(isContractError(del.json), del.text).toBe(true);
      expect(`${del.json.error} ${del.json.details}`).toMatch(new RegExp(`${name}_data`));

      const after = await api('GET', `/api/services/${service.id}`);
      expect(after.status).toBe(200);
      expect(after.json.last_error).toMatchObject({ code: 'CONFLICT' });
      const failed = (await deployments(service.id))[0];
      expect(failed).toMatchObject({ kind: 'delete', status: 'failed', error: { code: 'CONFLICT' } });
      expect(await auditFor(`deployment:${failed.id}`)).toContain('deployment.finish:failure');
      const deleteAudit = await ctx.s.app.database.client.execute("SELECT outcome FROM audit_log WHERE action = 'service.delete' ORDER BY id DESC LIMIT 1");
      expect(deleteAudit.rows[0]!.outcome).toBe('failure');

      // Not stuck "being deleted": it starts again (its containers were removed, so start recreates them).
      const start = await api('POST', `/api/services/${service.id}/start`);
      expect(start.status, start.text).toBe(200);
      expect(start.json).toEqual({ success: true });
      expect((await api('GET', `/api/services/${service.id}`)).json.status).toBe('running');
    } finally {
      await foreign.remove({ force: true });
    }
    const again = await api('DELETE', `/api/services/${service.id}?mode=hard`);
    expect(again.status, again.text).toBe(200);
    expect(again.json).toEqual({ success: true });
    expect((await api('GET', `/api/services/${service.id}`)).status).toBe(404);
  });
});

describe('start, stop and restart', () => {
  it('a start racing an update: both are deployments, run one after the other, both audited', async () => {
    const name = uniqueName('race');
    const { service } = await deployAndWait(ctx.s, ctx.token, 'POST', '/api/services', { name, services: { a: quick(), b: quick({ depends_on: ['a'] }) } });
    const changed = { name, services: { a: quick({ environment: { V: '2' } }), b: quick({ depends_on: ['a'] }) } };
    const [update, start] = await Promise.all([api('PUT', `/api/services/${service.id}`, changed), api('POST', `/api/services/${service.id}/start`)]);
    expect(update.status, update.text).toBe(200);
    expect([200, 202], start.text).toContain(start.status);
    await waitForDeployment(ctx.s, ctx.token, update.json.deployment_id);
    const list = await deployments(service.id);
    const u = list.find((d) => d.id === update.json.deployment_id);
    const st = list.find((d) => d.kind === 'start');
    expect(st, JSON.stringify(list)).toBeDefined();
    const s = await waitForDeployment(ctx.s, ctx.token, st.id);
    expect([u.status, s.status]).toEqual(['succeeded', 'succeeded']);
    const [first, second] = Date.parse(u.started_at) < Date.parse(s.started_at) ? [u, s] : [s, u];
    expect(Date.parse(first.finished_at)).toBeLessThanOrEqual(Date.parse(second.started_at));
    for (const d of [u, s]) expect(await auditFor(`deployment:${d.id}`)).toEqual(['deployment.start:success', 'deployment.finish:success']);
    expect(await auditFor(`service:${service.id}`)).toEqual(expect.arrayContaining(['service.update:success', 'service.start:success']));
    await api('DELETE', `/api/services/${service.id}?mode=hard`);
  });

  it('stop and restart answer after the work, with the real state; a failed start answers with its error', async () => {
    const name = uniqueName('life');
    const port = await freePort();
    const { service } = await deployAndWait(ctx.s, ctx.token, 'POST', '/api/services', { name, services: { web: quick({ ports: [`127.0.0.1:${port}:80`] }) } });
    const stop = await api('POST', `/api/services/${service.id}/stop`);
    expect(stop.status, stop.text).toBe(200);
    expect(stop.json).toEqual({ success: true });
    const stopped = (await api('GET', `/api/services/${service.id}`)).json;
    expect(stopped.status).toBe('stopped');
    expect((await deployments(service.id))[0]).toMatchObject({ kind: 'stop', status: 'succeeded' });

    const restart = await api('POST', `/api/services/${service.id}/restart`);
    expect(restart.status, restart.text).toBe(200);
    expect((await api('GET', `/api/services/${service.id}`)).json.status).toBe('running');
    expect((await deployments(service.id))[0]).toMatchObject({ kind: 'restart', status: 'succeeded', actor: ADMIN.username });

    // The port taken while the service is stopped: the start fails, and says why.
    await api('POST', `/api/services/${service.id}/stop`);
    const stranger = await startPortHolder(docker, image(), port);
    try {
      const start = await api('POST', `/api/services/${service.id}/start`);
      expect(start.status, start.text).toBe(409);
      expect(isContractError(start.json), start.text).toBe(true);
      const failed = (await deployments(service.id))[0];
      expect(failed).toMatchObject({ kind: 'start', status: 'failed' });
      expect(start.json).toMatchObject({ error: failed.error.error, code: failed.error.code });
    } finally {
      await stranger.remove({ force: true });
    }
    await api('DELETE', `/api/services/${service.id}?mode=hard`);
  });

  it('a stop that outlasts the bounded wait answers 202 with its deployment, which goes on to the end', async () => {
    // Each container takes the 10 s grace period to stop, 40 s in all.
    const slow = stubborn();
    const services = { a: slow, b: { ...slow, depends_on: ['a'] }, c: { ...slow, depends_on: ['b'] }, d: { ...slow, depends_on: ['c'] } };
    const { service } = await deployAndWait(ctx.s, ctx.token, 'POST', '/api/services', { name: uniqueName('slow'), services });
    // Not the helper's request: it gives up after 30 s, the server's wait.
    const stop = await fetch(new URL(`/api/services/${service.id}/stop`, ctx.s.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.token}` },
      signal: AbortSignal.timeout(60_000),
    });
    const body = await stop.json();
    expect(stop.status, JSON.stringify(body)).toBe(202);
    expect(body).toEqual({ success: true, deployment_id: expect.any(String) });
    const done = await waitForDeployment(ctx.s, ctx.token, body.deployment_id);
    expect(done).toMatchObject({ kind: 'stop', status: 'succeeded' });
    expect((await api('GET', `/api/services/${service.id}`)).json.status).toBe('stopped');
    await api('DELETE', `/api/services/${service.id}?mode=hard`);
  }, 120_000);
});

describe('a scheduled run', () => {
  it('kill -9 in the middle of one: after the restart it converges, with exactly one deployment for the run', async () => {
    const name = uniqueName('schedcrash');
    // The container ignores SIGTERM, so the restart is still waiting for the engine's kill when Capstan dies.
    await crashCase(name, 'kill', {
      before: async (p) => {
        const created = await httpRequest(p.url, 'POST', '/api/services', { token: p.token, body: { name, services: { a: stubborn() } } });
        expect(created.status, created.text).toBe(201);
        await expect.poll(async () => (await httpRequest(p.url, 'GET', `/api/services/${created.json.id}`, { token: p.token })).json.status, { timeout: 60_000 }).toBe('running');
        const sched = await httpRequest(p.url, 'POST', '/api/schedules', { token: p.token, body: { service_id: created.json.id, frequency: 'daily', time_of_day: '03:00', action: 'restart' } });
        expect(sched.status, sched.text).toBe(201);
        return { serviceId: created.json.id as string, scheduleId: sched.json.id as string };
      },
      crash: (p, { scheduleId }) => httpRequest(p.url, 'POST', `/api/schedules/${scheduleId}/run`, { token: p.token }),
      after: async (p, { serviceId, scheduleId }) => {
        const get = (path: string) => httpRequest(p.url, 'GET', path, { token: p.token });
        await expect.poll(async () => (await get(`/api/schedules/${scheduleId}`)).json.last_status, { timeout: 60_000, interval: 250 }).toBe('restarted');
        const schedule = (await get(`/api/schedules/${scheduleId}`)).json;
        const scheduled = ((await get(`/api/services/${serviceId}/deployments`)).json as any[]).filter((d) => d.kind !== 'create');
        expect(scheduled.map((d) => [d.kind, d.status])).toEqual([['scheduled', 'succeeded']]);
        expect(schedule.last_deployment_id).toBe(scheduled[0].id);
        expect(scheduled[0].attempts).toBeGreaterThanOrEqual(2);
        // Nothing else comes later for that run.
        await new Promise((r) => setTimeout(r, 2000));
        expect(((await get(`/api/services/${serviceId}/deployments`)).json as any[]).length).toBe(2);
        await httpRequest(p.url, 'DELETE', `/api/services/${serviceId}?mode=hard`, { token: p.token });
      },
    });
  }, 180_000);
});
