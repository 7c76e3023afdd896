import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { OverviewEvent, StatsEvent } from '../../src/shared/stats.js';
import { startDockerProxy, type DockerProxy } from '../helpers/docker-proxy.js';
import { testDocker, uniqueName } from '../helpers/engine.js';
import { deployAndWait, expectContractError, startTestServer, type TestServer } from '../helpers/server.js';
import { collect, testClient } from '../helpers/trpc.js';
import { until } from '../helpers/until.js';

type Tracked<T> = { id?: string; data: T };

const MEM_LIMIT = 64 * 1024 * 1024;
const docker = testDocker();
const image = () => inject('testEnv').image;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let proxy: DockerProxy;
let s: TestServer;
let token: string;
let busy: { id: string; name: string; containerId: string; container: string };
let stopped: { id: string; container: string };

const api = (method: string, path: string) => s.request(method, path, { token });
/** The engine stats streams Capstan opened for one container (stream:false reads are counted apart). */
const streamRequests = (id: string) => proxy.urls().filter((u) => u.startsWith(`/containers/${id}/stats`) && u.includes('stream=true')).length;
const oneShotRequests = (id: string) => proxy.urls().filter((u) => u.startsWith(`/containers/${id}/stats`) && u.includes('stream=false')).length;

/**
 * The fewest engine connections open over 6 s: the watcher's own stream and whatever else stays. Every engine
 * event (other test files share the engine) makes the watcher list containers, and Node's agent keeps that
 * socket idle for 5 s: that noise comes and goes, while a stream left open would stay.
 */
async function baseConnections() {
  let n = proxy.openConnections();
  for (const end = Date.now() + 6000; Date.now() < end; ) {
    await sleep(200);
    n = Math.min(n, proxy.openConnections());
  }
  return n;
}

/** Polls (until.ts) for the count to come down to the base again: idle sockets close within 5 s of their last use. */
const backToBase = (base: number) => until(`engine connections back at ${base}`, async () => (proxy.openConnections() <= base ? true : undefined), 30_000);

/** Polls the hub closely: leaving must release the engine stream soon, and the next cycle waits for that. */
async function noStreamOpen() {
  for (let end = Date.now() + 10_000; s.app.stats.openStreams() > 0; await sleep(10)) {
    if (Date.now() > end) throw new Error('an engine stats stream stayed open after its watcher left');
  }
}

/** docker/cli's calculateMemUsageUnixNoCache, written out again here so the product's parser is not its own oracle. */
function dockerMemory(raw: any): number {
  const mem = raw.memory_stats;
  const v1 = mem.stats?.total_inactive_file;
  if (v1 !== undefined && v1 < mem.usage) return mem.usage - v1;
  const v2 = mem.stats?.inactive_file ?? 0;
  return v2 < mem.usage ? mem.usage - v2 : mem.usage;
}

beforeAll(async () => {
  proxy = await startDockerProxy(inject('testEnv').dockerHost);
  s = await startTestServer({ DOCKER_HOST: proxy.dockerHost });
  token = await s.login();
  const name = uniqueName('stx-busy');
  const created = await deployAndWait(s, token, 'POST', '/api/services', {
    name,
    services: { spin: { image: image(), command: ['sh', '-c', 'while :; do :; done'], mem_limit: '64m' } },
  });
  const c = created.service.containers[0];
  busy = { id: created.service.id, name, containerId: c.container_id, container: c.name };
  const other = await deployAndWait(s, token, 'POST', '/api/services', { name: uniqueName('stx-idle'), services: { nap: { image: image(), command: ['sleep', '86400'] } } });
  expect((await api('POST', `/api/services/${other.service.id}/stop`)).status).toBe(200);
  stopped = { id: other.service.id, container: other.service.containers[0].name };
}, 180_000);

afterAll(async () => {
  await s?.dispose();
  await proxy?.close();
});

describe('GET /api/services/{id}/stats', () => {
  it('a busy container: CPU above 0, memory as the Engine API reports it, the limit set, pids', async () => {
    // Read side by side, so the two samples are as close in time as two one-shot reads can be.
    const [res, raw] = await Promise.all([api('GET', `/api/services/${busy.id}/stats`), docker.getContainer(busy.containerId).stats({ stream: false })]);
    expect(res.status, res.text).toBe(200);
    expect(res.json.containers).toHaveLength(1);
    const c = res.json.containers[0];
    expect(Object.keys(c).sort()).toEqual(
      ['block_read_bytes', 'block_write_bytes', 'cpu_percent', 'memory_bytes', 'memory_limit_bytes', 'name', 'net_rx_bytes', 'net_tx_bytes', 'pids'].sort(),
    );
    expect(c.name).toBe(busy.container);
    expect(c.cpu_percent).toBeGreaterThan(0);
    expect(c.memory_limit_bytes).toBe(MEM_LIMIT);
    expect(c.memory_limit_bytes).toBe((raw as any).memory_stats.limit);
    // The kernel keeps per-CPU charge stocks of up to 64 pages (MEMCG_CHARGE_BATCH), so two reads of a cgroup's usage
    // a moment apart may differ by that much per CPU even when nothing allocates; a busy `sh` loop allocates nothing.
    const cpus = (raw as any).cpu_stats.online_cpus || 1;
    expect(Math.abs(c.memory_bytes - dockerMemory(raw))).toBeLessThanOrEqual(64 * 4096 * cpus);
    expect(c.memory_bytes).toBeGreaterThan(0);
    expect(c.pids).toBeGreaterThanOrEqual(1);
    for (const k of ['net_rx_bytes', 'net_tx_bytes', 'block_read_bytes', 'block_write_bytes']) {
      expect(typeof c[k], k).toBe('number');
      expect(c[k], k).toBeGreaterThanOrEqual(0);
    }
  });

  it('an unknown service is a 404 in the contract shape', async () => {
    expectContractError(await api('GET', '/api/services/no-such-service/stats'), 404);
  });

  it('a stopped service answers, its container listed with zeros, without asking the engine', async () => {
    const before = proxy.urls().filter((u) => u.includes('/stats')).length;
    const res = await api('GET', `/api/services/${stopped.id}/stats`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({
      containers: [{ name: stopped.container, cpu_percent: 0, memory_bytes: 0, memory_limit_bytes: 0, net_rx_bytes: 0, net_tx_bytes: 0, block_read_bytes: 0, block_write_bytes: 0, pids: 0 }],
    });
    expect(proxy.urls().filter((u) => u.includes('/stats')).length).toBe(before);
  });

  it('needs a session', async () => {
    expectContractError(await s.request('GET', `/api/services/${busy.id}/stats`), 401);
  });
});

describe('stats.onService', () => {
  const samplesOf = (items: Tracked<StatsEvent>[]) => items.flatMap((i) => (i.data.kind === 'samples' ? i.data.samples : []));

  it('two watchers share one engine stream; a third gets the history at once; a GET meanwhile uses the live sample', async () => {
    const base = await baseConnections();
    const streamsBefore = streamRequests(busy.containerId);
    const a = testClient(s.url, token);
    const b = testClient(s.url, token);
    const seenA: Tracked<StatsEvent>[] = [];
    const seenB: Tracked<StatsEvent>[] = [];
    const subA = a.stats.onService.subscribe({ id: busy.id }, { onData: (d) => void seenA.push(d as never) });
    const subB = b.stats.onService.subscribe({ id: busy.id }, { onData: (d) => void seenB.push(d as never) });
    try {
      await until('both watchers to have 3 samples', async () => (samplesOf(seenA).length >= 3 && samplesOf(seenB).length >= 3 ? true : undefined), 30_000);
      expect(streamRequests(busy.containerId) - streamsBefore).toBe(1);
      expect(s.app.stats.openStreams()).toBe(1);
      expect(seenA[0]!.data).toEqual({ kind: 'containers', containers: [{ name: busy.container, service: 'spin', container_id: busy.containerId, status: 'running' }] });
      expect(samplesOf(seenA).some((p) => p.cpu_percent > 0)).toBe(true);
      expect(samplesOf(seenA).every((p) => p.memory_limit_bytes === MEM_LIMIT && p.pids >= 1)).toBe(true);

      const third = await collect<Tracked<StatsEvent>>((h) => testClient(s.url, token).stats.onService.subscribe({ id: busy.id }, h as never), (l) => l.length >= 2, 15_000);
      const history = third[1]!.data;
      expect(history.kind).toBe('samples');
      expect(history.kind === 'samples' && history.samples.length).toBeGreaterThanOrEqual(3);

      const oneShots = oneShotRequests(busy.containerId);
      const res = await api('GET', `/api/services/${busy.id}/stats`);
      expect(res.status).toBe(200);
      expect(res.json.containers[0].cpu_percent).toBeGreaterThan(0);
      expect(oneShotRequests(busy.containerId)).toBe(oneShots);
      expect(streamRequests(busy.containerId) - streamsBefore).toBe(1);
    } finally {
      subA.unsubscribe();
      subB.unsubscribe();
    }
    await until('the engine stream to close', async () => (s.app.stats.openStreams() === 0 ? true : undefined), 20_000);
    await backToBase(base);
  });

  it('after 100 subscribe/leave cycles the engine connections are back at their base', async () => {
    const base = await baseConnections();
    const client = testClient(s.url, token);
    const cycle = (i: number) =>
      // Even cycles leave once the first event is in (the stream is being opened), odd ones once a sample came.
      collect<Tracked<StatsEvent>>((h) => client.stats.onService.subscribe({ id: busy.id }, h as never), (l) => l.length >= (i % 2 === 0 ? 1 : 2), 15_000);
    // Back to back: a leave and the next join overlap on the server.
    for (let i = 0; i < 50; i++) await cycle(i);
    // One at a time: each leave closes the stream and the next join opens a new one.
    const opened = streamRequests(busy.containerId);
    for (let i = 0; i < 50; i++) {
      await noStreamOpen();
      await cycle(i);
    }
    await noStreamOpen();
    // Every cycle that saw a sample had a stream of its own.
    expect(streamRequests(busy.containerId) - opened).toBeGreaterThanOrEqual(25);
    await backToBase(base);
    // The streams were shared and closed, not leaked: it still works.
    const after = await collect<Tracked<StatsEvent>>((h) => client.stats.onService.subscribe({ id: busy.id }, h as never), (l) => samplesOf(l).length >= 1, 15_000);
    expect(samplesOf(after)[0]!.pids).toBeGreaterThanOrEqual(1);
  });

  it('a watched service that is stopped closes its engine stream; started again, it is followed again', async () => {
    const { service } = await deployAndWait(s, token, 'POST', '/api/services', { name: uniqueName('stx-cycle'), services: { nap: { image: image(), command: ['sleep', '86400'] } } });
    const seen: Tracked<StatsEvent>[] = [];
    const sub = testClient(s.url, token).stats.onService.subscribe({ id: service.id }, { onData: (d) => void seen.push(d as never) });
    const statuses = () => seen.flatMap((i) => (i.data.kind === 'containers' ? [i.data.containers[0]!.status] : []));
    try {
      await until('a first sample', async () => (samplesOf(seen).length > 0 ? true : undefined));
      expect((await api('POST', `/api/services/${service.id}/stop`)).status).toBe(200);
      await until('the feed to say the container stopped', async () => (statuses().at(-1) === 'exited' ? true : undefined));
      await until('the engine stream to close while the watcher stays', async () => (s.app.stats.openStreams() === 0 ? true : undefined), 20_000);
      const startedAt = Date.now();
      expect((await api('POST', `/api/services/${service.id}/start`)).status).toBe(200);
      await until('a sample after the start', async () => (samplesOf(seen).some((p) => p.at > startedAt) ? true : undefined), 20_000);
      expect(statuses().at(-1)).toBe('running');
      expect(s.app.stats.openStreams()).toBe(1);
    } finally {
      sub.unsubscribe();
    }
    await until('the engine stream to close', async () => (s.app.stats.openStreams() === 0 ? true : undefined), 20_000);
  });

  it('an unknown service is an error on the subscription', async () => {
    const client = testClient(s.url, token);
    await expect(collect((h) => client.stats.onService.subscribe({ id: 'no-such-service' }, h as never), () => true, 10_000)).rejects.toThrow(/not found/i);
  });
});

describe('stats.onOverview', () => {
  it('per-service CPU and memory of the running services, from one stream per container, not one call per refresh', async () => {
    const streamsBefore = streamRequests(busy.containerId);
    const oneShotsBefore = oneShotRequests(busy.containerId);
    const client = testClient(s.url, token);
    const events = await collect<Tracked<OverviewEvent>>(
      (h) => client.stats.onOverview.subscribe(undefined, h as never),
      (l) => l.filter((e) => e.data.services.some((u) => u.id === busy.id && u.cpu_percent > 0)).length >= 3,
      30_000,
    );
    const last = events.at(-1)!.data.services.find((u) => u.id === busy.id)!;
    expect(last.memory_bytes).toBeGreaterThan(0);
    expect(last.containers).toBe(1);
    // The stopped service has no running container: it is not in the list.
    expect(events.some((e) => e.data.services.some((u) => u.id === stopped.id))).toBe(false);
    // Several refreshes, and one stream opened for the container in all of them.
    expect(streamRequests(busy.containerId) - streamsBefore).toBe(1);
    expect(oneShotRequests(busy.containerId)).toBe(oneShotsBefore);
    await until('the overview stream to close', async () => (s.app.stats.openStreams() === 0 ? true : undefined), 20_000);
  });
});

describe('a service on another engine', () => {
  it('its figures and streams come from its own engine; the overview watches both engines at once', async () => {
    // A second engine: the same dockerd through a proxy of its own, so each engine's requests can be told apart.
    const proxy2 = await startDockerProxy(inject('testEnv').dockerHost);
    const added = await api2('POST', '/api/engines', { name: uniqueName('stx-engine'), url: proxy2.dockerHost });
    expect(added.status, added.text).toBe(201);
    const engineId: string = added.json.id;
    let serviceId = '';
    try {
      const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
        name: uniqueName('stx-far'),
        engine_id: engineId,
        services: { spin: { image: image(), command: ['sh', '-c', 'while :; do :; done'] } },
      });
      serviceId = service.id;
      const containerId: string = service.containers[0].container_id;
      const on = (p: DockerProxy, kind: 'true' | 'false') => p.urls().filter((u) => u.startsWith(`/containers/${containerId}/stats`) && u.includes(`stream=${kind}`)).length;

      const res = await api('GET', `/api/services/${serviceId}/stats`);
      expect(res.status, res.text).toBe(200);
      expect(res.json.containers).toEqual([expect.objectContaining({ name: service.containers[0].name, pids: expect.any(Number) })]);
      expect(on(proxy2, 'false')).toBe(1);
      expect(on(proxy, 'false')).toBe(0);

      const seen = await collect<Tracked<StatsEvent>>(
        (h) => testClient(s.url, token).stats.onService.subscribe({ id: serviceId }, h as never),
        (l) => l.some((e) => e.data.kind === 'samples'),
        30_000,
      );
      expect(seen[0]!.data).toEqual({ kind: 'containers', containers: [{ name: service.containers[0].name, service: 'spin', container_id: containerId, status: 'running' }] });
      expect(on(proxy2, 'true')).toBe(1);
      expect(on(proxy, 'true')).toBe(0);
      await until('the engine stream to close', async () => (s.app.stats.openStreams() === 0 ? true : undefined), 20_000);

      const localStreams = streamRequests(busy.containerId);
      const events = await collect<Tracked<OverviewEvent>>(
        (h) => testClient(s.url, token).stats.onOverview.subscribe(undefined, h as never),
        // Several refreshes with both: the first may come from the history the hub kept, before a stream was asked for.
        (l) => l.filter((e) => [busy.id, serviceId].every((id) => e.data.services.some((u) => u.id === id && u.containers === 1))).length >= 3,
        30_000,
      );
      expect(events.length).toBeGreaterThan(0);
      expect(streamRequests(busy.containerId) - localStreams).toBe(1);
      expect(on(proxy2, 'true')).toBe(2);
      expect(on(proxy, 'true')).toBe(0);
      await until('the overview streams to close', async () => (s.app.stats.openStreams() === 0 ? true : undefined), 20_000);
    } finally {
      if (serviceId) expect((await api('DELETE', `/api/services/${serviceId}?mode=hard`)).status).toBe(200);
      await until('the service to be gone', async () => ((await api('GET', `/api/services/${serviceId}`)).status === 404 || !serviceId ? true : undefined), 30_000);
      await until('the engine to be removed', async () => ((await api2('DELETE', `/api/engines/${engineId}`)).status === 200 ? true : undefined), 30_000);
      await proxy2.close();
    }
  });
});

const api2 = (method: string, path: string, body?: unknown) => s.request(method, path, { token, ...(body === undefined ? {} : { body }) });
