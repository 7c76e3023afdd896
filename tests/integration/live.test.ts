import { parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StatusEvent } from '../../src/shared/schemas.js';
import { startDockerProxy, type DockerProxy } from '../helpers/docker-proxy.js';
import { testDocker, uniqueName } from '../helpers/engine.js';
import { deployAndWait, startTestServer, type TestServer } from '../helpers/server.js';
import { collect, testClient } from '../helpers/trpc.js';

const docker = testDocker();
let proxy: DockerProxy;
let s: TestServer;
let token: string;
let serviceId: string;
let containers: Record<string, string>;

beforeAll(async () => {
  // The server talks to the engine through a counting proxy.
  proxy = await startDockerProxy(inject('testEnv').dockerHost);
  s = await startTestServer({ DOCKER_HOST: proxy.dockerHost });
  token = await s.login();
  const sleeper = { image: inject('testEnv').image, command: ['sleep', '86400'] };
  const { service } = await deployAndWait(s, token, 'POST', '/api/services', { name: uniqueName('live'), services: { a: sleeper, b: { ...sleeper, depends_on: ['a'] } } });
  expect(service.status).toBe('running');
  serviceId = service.id;
  containers = Object.fromEntries(service.containers.map((c: { service: string; container_id: string }) => [c.service, c.container_id]));
});
afterAll(async () => {
  await s?.dispose();
  await proxy?.close();
});

type Tracked = { id: string; data: StatusEvent };
const statusOf = (items: Tracked[], status: string) =>
  items.find((i) => i.data.kind === 'service' && i.data.id === serviceId && i.data.status === status);

describe('live state', () => {
  it('reads of services and health cost no Docker call: they come from the event-fed view', async () => {
    // Let the engine's last events (and the one list call each burst triggers) settle first.
    for (let n = -1; n !== proxy.requests(); ) {
      n = proxy.requests();
      await new Promise((r) => setTimeout(r, 500));
    }
    const before = proxy.requests();
    for (let i = 0; i < 10; i++) {
      expect((await s.request('GET', '/api/services', { token })).status).toBe(200);
      expect((await s.request('GET', `/api/services/${serviceId}`, { token })).status).toBe(200);
      expect((await s.request('GET', '/api/health/status', { token })).status).toBe(200);
    }
    expect(proxy.requests()).toBe(before);
  });

  it('services.onStatus pushes a change made directly through the engine, and resumes from lastEventId', async () => {
    const client = testClient(s.url, token);
    let stopped = false;
    const first = await collect<Tracked>(
      (h) => client.services.onStatus.subscribe(undefined, h as never),
      (items) => {
        if (!stopped && statusOf(items, 'running')) {
          stopped = true;
          void docker.getContainer(containers.b!).stop({ t: 1 });
        }
        return Boolean(statusOf(items, 'partial'));
      },
    );
    const lastId = first[first.length - 1]!.id;

    // While nobody listens, the other container stops too.
    await docker.getContainer(containers.a!).stop({ t: 1 });
    await expect.poll(async () => (await s.request('GET', `/api/services/${serviceId}`, { token })).json.status).toBe('stopped');

    const resumed = await collect<Tracked>(
      (h) => client.services.onStatus.subscribe({ lastEventId: lastId }, h as never),
      (items) => Boolean(statusOf(items, 'stopped')),
    );
    // The missed event came from the backlog: numbered after the last one seen, not a fresh snapshot.
    const seq = (id: string) => Number(id.split('-')[1]);
    expect(resumed[0]!.id.split('-')[0]).toBe(lastId.split('-')[0]);
    expect(seq(resumed[0]!.id)).toBeGreaterThan(seq(lastId));
    expect(resumed.some((i) => i.data.kind === 'engine')).toBe(false);
  });

  it('deployments.onUpdate streams a deployment step by step until it ends', async () => {
    const doc = parseDocument((await s.request('GET', `/api/services/${serviceId}/yaml`, { token })).json.yaml);
    doc.setIn(['services', 'a', 'command'], ['sleep', '86402']);
    const res = await s.request('PUT', `/api/services/${serviceId}`, { token, body: { yaml: doc.toString() } });
    const client = testClient(s.url, token);
    type D = { id: string; data: { status: string; steps: unknown[] } };
    const items = await collect<D>(
      (h) => client.deployments.onUpdate.subscribe({ id: res.json.deployment_id }, h as never),
      (list) => list.some((i) => i.data.status === 'succeeded'),
    );
    const versions = items.map((i) => Number(i.id));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(items.at(-1)!.data.steps.length).toBeGreaterThan(0);
    expect(items.map((i) => i.data.status)).toContain('succeeded');
  });

  it('audits the start and outcome of every job, as the user who asked', async () => {
    const rows = await s.app.database.client.execute("SELECT actor, action, outcome FROM audit_log WHERE action LIKE 'deployment.%' ORDER BY id");
    const entries = rows.rows.map((r) => `${r.actor} ${r.action} ${r.outcome}`);
    expect(entries.filter((e) => e === 'admin deployment.start success').length).toBeGreaterThanOrEqual(2);
    expect(entries.filter((e) => e === 'admin deployment.finish success').length).toBeGreaterThanOrEqual(2);
  });
});
