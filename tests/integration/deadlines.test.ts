import { rmSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Config } from '../../src/server/env.js';
import { uniqueName } from '../helpers/engine.js';
import { newDataDir, startTestServer, waitForDeployment, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/until.js';

// Deadlines: a stalled registry or a wait that never ends fails the job with a clear error, frees the
// service's queue, and does not hold up shutdown. One server at a time, on one data dir (a restart in the middle).
const image = () => inject('testEnv').image;
const quick = (extra: Record<string, unknown> = {}) => ({ image: image(), command: ['sh', '-c', 'trap "exit 0" TERM; sleep 86400 & wait'], ...extra });
/** Short bounds for this file; the runner reads them at each attempt, so a test may change them in place. */
const limits = (): NonNullable<Config['limits']> => ({ pullInactivityMs: 2000, jobDeadlineMs: 6000 });

/**
 * A registry that answers the engine's ping (GET /v2/) and then never answers
 * a manifest request: the engine waits on it for good (a registry that answers
 * nothing at all makes the engine give up by itself after its ping timeout).
 * A TLS hello is refused at once, so the engine falls back to plain HTTP, as
 * it does for a 127.0.0.1 registry.
 */
function stalledRegistry(): Promise<{ port: number; stalls: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let stalls = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let buffered = '';
    socket.on('data', (chunk) => {
      if (chunk[0] === 0x16 && !buffered) return void socket.destroy();
      buffered += chunk.toString('latin1');
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
        const requestLine = buffered.slice(0, buffered.indexOf('\r\n'));
        buffered = buffered.slice(end + 4);
        if (/^GET \/v2\/ /.test(requestLine)) {
          socket.write('HTTP/1.1 200 OK\r\nDocker-Distribution-API-Version: registry/2.0\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
        } else stalls++;
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        stalls: () => stalls,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

const dataDir = newDataDir();
let s: TestServer;
let token: string;
let stalled: Awaited<ReturnType<typeof stalledRegistry>>;
/** Set once a test has stopped the server itself. */
let stopped = false;
const serverLimits = limits();

const api = (method: string, path: string, body?: unknown) => s.request(method, path, { token, ...(body === undefined ? {} : { body }) });

beforeAll(async () => {
  stalled = await stalledRegistry();
  s = await startTestServer({}, dataDir, { limits: serverLimits });
  token = await s.login();
});

afterAll(async () => {
  if (!stopped) await s?.dispose();
  else rmSync(dataDir, { recursive: true, force: true });
  await stalled?.close();
});

describe('a stalled registry', () => {
  it('fails the pull with a clear, retryable error naming the image, and the service queue runs the next deployment', async () => {
    const ref = `127.0.0.1:${stalled.port}/stalled/img:1`;
    const name = uniqueName('stall');
    const created = await api('POST', '/api/services', { name, services: { app: quick({ image: ref }) } });
    expect(created.status, created.text).toBe(201);
    const id = created.json.deployment_id as string;
    // The first attempt's error, recorded while the deployment waits for its retry (or after its last).
    const d = await until('the stalled pull to fail', async () => {
      const r = (await api('GET', `/api/deployments/${id}`)).json;
      return r.error ? r : undefined;
    });
    expect(stalled.stalls()).toBeGreaterThan(0);
    expect(d.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(d.error.error).toContain(ref);
    expect(d.error.error).toMatch(/registry stopped answering/);
    expect(d.error.details).toMatch(/no progress .* 2 s/);

    // The queue is free: a fixed definition deploys.
    const fixed = await api('PUT', `/api/services/${created.json.id}`, { name, services: { app: quick() } });
    expect(fixed.status, fixed.text).toBe(200);
    const done = await waitForDeployment(s, token, fixed.json.deployment_id);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    // The stalled deployment's retry applies the folder as it is now (fixed), and ends too.
    expect((await waitForDeployment(s, token, id)).status).toBe('succeeded');
    expect((await api('GET', `/api/services/${created.json.id}`)).json.status).toBe('running');
  });
});

describe('the per-job deadline', () => {
  it('stops a wait that would last minutes, fails the deployment with "deadline exceeded" (not retried), and frees the queue', async () => {
    const name = uniqueName('deadline');
    // Never checked for an hour: the depends_on wait alone would hold the job for its 10-minute cap.
    const slow = { test: ['CMD', 'true'], interval: '1h', timeout: '1h', retries: 3 };
    const created = await api('POST', '/api/services', {
      name,
      services: { db: quick({ healthcheck: slow }), app: quick({ depends_on: { db: { condition: 'service_healthy' } } }) },
    });
    expect(created.status, created.text).toBe(201);
    const d = await waitForDeployment(s, token, created.json.deployment_id, 40_000);
    expect(d.status).toBe('failed');
    expect(d.attempts).toBe(1);
    expect(d.error.error).toBe('Deployment deadline exceeded');
    expect(d.steps.map((x: { action: string; target: string }) => `${x.action}: ${x.target}`)).toContainEqual(expect.stringMatching(/^error: deadline exceeded/));

    const fixed = await api('PUT', `/api/services/${created.json.id}`, { name, services: { db: quick(), app: quick({ depends_on: ['db'] }) } });
    expect(fixed.status, fixed.text).toBe(200);
    expect((await waitForDeployment(s, token, fixed.json.deployment_id)).status).toBe('succeeded');
  });
});

describe('recovery at start', () => {
  it('a running deployment whose job was spent on its last attempt (a kill) is failed with that reason at the next start', async () => {
    const name = uniqueName('spent');
    const created = await api('POST', '/api/services', { name, services: { app: quick() } });
    expect(created.status, created.text).toBe(201);
    await waitForDeployment(s, token, created.json.deployment_id);
    const serviceId = created.json.id as string;
    // What a kill -9 during the 5th attempt leaves: the row running, its job's attempts used up.
    const row = await s.app.deployments.create({ serviceId, serviceName: name, kind: 'redeploy', actor: 'admin' });
    await s.app.deployments.markRunning(row.id, 5);
    const key = `deployment:${row.id}`;
    await s.jobs.utils.addJob('deploy', { deploymentId: row.id }, { queueName: `service:${serviceId}`, jobKey: key, maxAttempts: 5, runAt: new Date(Date.now() + 3600_000) });
    await s.jobs.utils.withPgClient((c) => c.query('UPDATE graphile_worker._private_jobs SET attempts = max_attempts, run_at = now() WHERE key = $1', [key]));

    await s.stop();
    s = await startTestServer({}, dataDir, { limits: serverLimits });
    token = await s.login();
    const d = await waitForDeployment(s, token, row.id, 30_000);
    expect(d.status).toBe('failed');
    expect(d.error.error).toBe('Deployment interrupted on its last attempt');
    // The service is not held: its next operation runs.
    const next = await api('POST', `/api/services/${serviceId}/redeploy`);
    expect([200, 201, 202], next.text).toContain(next.status);
    expect((await waitForDeployment(s, token, next.json.deployment_id)).status).toBe('succeeded');
  });
});

describe('shutdown', () => {
  it('stop() does not wait for a pull that would stall for ten minutes', async () => {
    // Long bounds for this attempt: only the shutdown can end it.
    serverLimits.pullInactivityMs = 600_000;
    serverLimits.jobDeadlineMs = 600_000;
    const before = stalled.stalls();
    const created = await api('POST', '/api/services', { name: uniqueName('stop'), services: { app: quick({ image: `127.0.0.1:${stalled.port}/stalled/other:1` }) } });
    expect(created.status, created.text).toBe(201);
    await until('the engine to reach the stalled registry', async () => (stalled.stalls() > before ? true : undefined));
    expect((await api('GET', `/api/deployments/${created.json.deployment_id}`)).json.status).toBe('running');
    // A correctness bound: without the abort, stop() waits on the pull for good (the engine never gives up on
    // this registry) and the test's timeout ends it.
    stopped = true;
    await s.stop();
    // The next start finds the deployment queued again, with the shutdown as its reason.
    serverLimits.pullInactivityMs = 2000;
    serverLimits.jobDeadlineMs = 6000;
    s = await startTestServer({}, dataDir, { limits: serverLimits });
    stopped = false;
    token = await s.login();
    const d = (await api('GET', `/api/deployments/${created.json.deployment_id}`)).json;
    expect(d.steps.map((x: { action: string; target: string }) => `${x.action}: ${x.target}`)).toContainEqual(expect.stringMatching(/^error: the server stopped/));
  }, 40_000);
});
