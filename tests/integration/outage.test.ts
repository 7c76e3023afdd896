import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StatusEvent } from '../../src/shared/schemas.js';
import { uniqueName } from '../helpers/engine.js';
import { startSecondDockerd, startSecondEngine, stopSecondDockerd } from '../helpers/second-engine.js';
import { deployAndWait, isContractError, startTestServer, type TestServer } from '../helpers/server.js';
import { testClient } from '../helpers/trpc.js';

let s: TestServer;
let token: string;
let docker: Docker;

beforeAll(async () => {
  const engine = startSecondEngine();
  docker = new Docker({ socketPath: new URL(engine.dockerHost).pathname });
  s = await startTestServer({ DOCKER_HOST: engine.dockerHost });
  token = await s.login();
});
afterAll(async () => {
  startSecondDockerd();
  await s?.dispose();
});

describe('the engine goes away and comes back', () => {
  it('answers 503 meanwhile, stays up, tells subscribers, and resyncs without a restart', async () => {
    const image = inject('testEnv').image;
    const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
      name: uniqueName('outage'),
      services: { a: { image, command: ['sleep', '86400'], restart: 'always' } },
    });
    expect(service.status).toBe('running');

    const events: StatusEvent[] = [];
    const sub = testClient(s.url, token).services.onStatus.subscribe(undefined, {
      onData: (d) => events.push((d as unknown as { data: StatusEvent }).data),
    });
    await expect.poll(() => events.some((e) => e.kind === 'service' && e.id === service.id)).toBe(true);

    stopSecondDockerd();
    await expect.poll(async () => (await s.request('GET', '/api/services', { token })).status, { timeout: 20_000 }).toBe(503);
    const list = await s.request('GET', '/api/services', { token });
    expect(isContractError(list.json)).toBe(true);
    expect(list.json.error).toBe('Docker engine unavailable');
    const health = await s.request('GET', '/api/health/status', { token });
    expect(health.status).toBe(503);
    expect(health.json.error).toBe('Docker engine unavailable');
    expect((await s.request('POST', `/api/services/${service.id}/restart`, { token })).status).toBe(503);
    expect((await s.request('GET', '/auth/me', { token })).status).toBe(200);
    await expect.poll(() => events.some((e) => e.kind === 'engine' && !e.available)).toBe(true);

    startSecondDockerd();
    await expect.poll(async () => (await s.request('GET', `/api/services/${service.id}`, { token })).json?.status, { timeout: 30_000 }).toBe('running');
    expect((await s.request('GET', '/api/health/status', { token })).status).toBe(200);
    await expect.poll(() => events.some((e) => e.kind === 'engine' && e.available)).toBe(true);

    // The event stream is live again: a change made through the engine shows up.
    const id = (await s.request('GET', `/api/services/${service.id}`, { token })).json.containers[0].container_id;
    await docker.getContainer(id).stop({ t: 1 });
    await expect.poll(async () => (await s.request('GET', `/api/services/${service.id}`, { token })).json.status).toBe('stopped');
    sub.unsubscribe();
    await s.request('DELETE', `/api/services/${service.id}?mode=hard`, { token });
  });
});
