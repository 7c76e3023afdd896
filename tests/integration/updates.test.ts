import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDockerProxy, type DockerProxy } from '../helpers/docker-proxy.js';
import { inspect, testDocker, uniqueName } from '../helpers/engine.js';
import { registryImages } from '../helpers/registry-images.js';
import { deployAndWait, jobRows, expectContractError, newDataDir, startTestServer, waitForDeployment, type TestServer } from '../helpers/server.js';

// Update badges against the real local registry, on a repository of this file's own (never capstan/busybox).
const docker = testDocker();
const repo = `${inject('testEnv').registry}/${uniqueName('updates-test')}`;
const ref = `${repo}:1`;
const unreachable = '127.0.0.1:1/nothing:1';
const dataDir = newDataDir();
let proxy: DockerProxy;
let s: TestServer;
let token: string;
let serviceId: string;
const images = registryImages(docker, repo, inject('testEnv').image);
const { build, push } = images;
const digests: Record<string, string> = {};

const api = (method: string, path: string, body?: unknown) => s.request(method, path, { token, ...(body === undefined ? {} : { body }) });
const pulls = () => proxy.urls().filter((u) => u.startsWith('/images/create')).length;
/** The entry of an image on an engine (default `local`): each engine has its own. */
const entry = (list: { image: string; engine_id: string }[], image: string, engineId = 'local') => list.find((i) => i.image === image && i.engine_id === engineId) as any;


async function sql(text: string, args: unknown[] = []) {
  const client = new pg.Client({ connectionString: s.jobs.connectionString });
  await client.connect();
  try {
    await client.query(text, args);
  } finally {
    await client.end();
  }
}

const appContainer = async () => (await api('GET', `/api/services/${serviceId}`)).json.containers[0].container_id as string;

beforeAll(async () => {
  const v1 = await build('v1');
  digests.v1 = await push(v1);
  digests.v1id = v1;
  proxy = await startDockerProxy(inject('testEnv').dockerHost);
  s = await startTestServer({ DOCKER_HOST: proxy.dockerHost }, dataDir);
  token = await s.login();
  const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
    name: uniqueName('updates-test'),
    services: { app: { image: ref, command: ['sleep', '86400'] } },
  });
  expect(service.status).toBe('running');
  serviceId = service.id;
});

afterAll(async () => {
  await s?.dispose();
  await proxy?.close();
  for (const tag of [ref]) await docker.getImage(tag).remove({ noprune: false }).catch(() => {});
  await images.cleanup();
});

describe('update badges', () => {
  it('an image just deployed is up to date: local and registry digests are equal', async () => {
    const res = await api('POST', '/api/updates/check');
    expect(res.status, res.text).toBe(200);
    expect(entry(res.json.images, ref)).toEqual({
      engine_id: 'local',
      image: ref,
      service_ids: [serviceId],
      local_digest: digests.v1,
      remote_digest: digests.v1,
      update_available: false,
      checked_at: expect.any(String),
      error: null,
    });
    const list = await api('GET', '/api/updates');
    expect(list.status).toBe(200);
    expect(entry(list.json.images, ref)).toEqual(entry(res.json.images, ref));
  });

  it('the one-click update pulls nothing when the registry has the same image', async () => {
    const before = await appContainer();
    const pullsBefore = pulls();
    const res = await api('POST', `/api/services/${serviceId}/update`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ success: true, deployment_id: expect.any(String) });
    const d = (await api('GET', `/api/deployments/${res.json.deployment_id}`)).json;
    expect(d).toMatchObject({ kind: 'image-update', status: 'succeeded', actor: 'admin' });
    expect(d.steps.map((x: { action: string }) => x.action)).toEqual(['pull-skipped']);
    expect(pulls()).toBe(pullsBefore);
    expect(await appContainer()).toBe(before);
  });

  it('a new image under the same tag shows an update before any pull; the local image stays', async () => {
    const v2 = await build('v2');
    digests.v2 = await push(v2);
    digests.v2id = v2;
    expect(digests.v2).not.toBe(digests.v1);
    // The engine's tag goes back to v1: as if another machine had pushed v2.
    await docker.getImage(digests.v1id!).tag({ repo, tag: '1' });
    const pullsBefore = pulls();
    const res = await api('POST', '/api/updates/check');
    expect(res.status, res.text).toBe(200);
    expect(entry(res.json.images, ref)).toMatchObject({ local_digest: digests.v1, remote_digest: digests.v2, update_available: true, error: null });
    expect(pulls()).toBe(pullsBefore);
    expect((await docker.getImage(ref).inspect()).Id).toBe(digests.v1id);
    expect(entry((await api('GET', '/api/updates')).json.images, ref).update_available).toBe(true);
  });

  it('the one-click update recreates the container on the new image, and the badge clears', async () => {
    const before = await appContainer();
    const pullsBefore = pulls();
    const res = await api('POST', `/api/services/${serviceId}/update`);
    expect(res.status, res.text).toBe(200);
    const d = await waitForDeployment(s, token, res.json.deployment_id);
    expect(d.status).toBe('succeeded');
    expect(d.steps.map((x: { action: string }) => x.action)).toEqual(['pull', 'recreate']);
    expect(pulls()).toBe(pullsBefore + 1);
    const after = await appContainer();
    expect(after).not.toBe(before);
    expect((await inspect(docker, after)).Image).toBe(digests.v2id);
    // Checked again when the deployment ended, before it was marked finished.
    expect(entry((await api('GET', '/api/updates')).json.images, ref)).toMatchObject({ local_digest: digests.v2, remote_digest: digests.v2, update_available: false });
  });

  it('a scheduled update when nothing changed pulls nothing, and records its run', async () => {
    const sched = await api('POST', '/api/schedules', { service_id: serviceId, frequency: 'daily', time_of_day: '03:00' });
    expect(sched.status, sched.text).toBe(201);
    const pullsBefore = pulls();
    expect((await api('POST', `/api/schedules/${sched.json.id}/run`)).status).toBeLessThan(300);
    let run: any;
    await expect.poll(async () => (run = (await api('GET', `/api/schedules/${sched.json.id}`)).json).last_status, { timeout: 60_000 }).toBe('unchanged');
    // The run's outcome is recorded on its schedule just before its deployment is marked finished.
    let d: any;
    await expect.poll(async () => (d = (await api('GET', `/api/deployments/${run.last_deployment_id}`)).json).status, { timeout: 10_000 }).toBe('succeeded');
    expect(d).toMatchObject({ kind: 'scheduled', status: 'succeeded' });
    expect(d.steps.map((x: { action: string }) => x.action)).toEqual(['pull-skipped']);
    expect(pulls()).toBe(pullsBefore);
    expect((await api('DELETE', `/api/schedules/${sched.json.id}`)).status).toBe(200);
  });

  it('an image whose registry cannot be reached is an error entry; the check still finishes', async () => {
    const res = await api('POST', '/api/services', { name: uniqueName('updates-test-bad'), services: { app: { image: unreachable } } });
    expect(res.status, res.text).toBe(201);
    await waitForDeployment(s, token, res.json.deployment_id);
    const check = await api('POST', '/api/updates/check');
    expect(check.status, check.text).toBe(200);
    const bad = entry(check.json.images, unreachable);
    expect(bad).toMatchObject({ service_ids: [res.json.id], local_digest: null, remote_digest: null, update_available: false });
    expect(bad.error).toMatch(/127\.0\.0\.1:1/);
    expect(entry(check.json.images, ref)).toMatchObject({ update_available: false, error: null });
    // A service deleted: its image leaves the list at the next check.
    expect((await api('DELETE', `/api/services/${res.json.id}`)).status).toBe(200);
    expect(entry((await api('POST', '/api/updates/check')).json.images, unreachable)).toBeUndefined();
    const stored = await s.app.database.client.execute({ sql: 'SELECT image FROM image_update WHERE image = ?', args: [unreachable] });
    expect(stored.rows).toHaveLength(0);
  });

  it('a deploy checks its images by itself; an image built or imported here is never sent to a registry', async () => {
    // The test image was made with docker import: it has no registry digest, and its name would send the engine to Docker Hub.
    const local = inject('testEnv').image;
    const asked = () => proxy.urls().filter((u) => u.startsWith('/distribution/')).length;
    const before = asked();
    const res = await api('POST', '/api/services', { name: uniqueName('updates-test-local'), services: { app: { image: local, command: ['sleep', '86400'] } } });
    expect(res.status, res.text).toBe(201);
    await waitForDeployment(s, token, res.json.deployment_id);
    try {
      // The check after the deploy runs in the background: its row appears without anyone asking.
      let found: any;
      await expect.poll(async () => (found = entry((await api('GET', '/api/updates')).json.images, local.includes(':') ? local : `${local}:latest`)), { timeout: 10_000 }).toBeDefined();
      expect(found).toMatchObject({ service_ids: [res.json.id], local_digest: null, remote_digest: null, update_available: false, error: expect.stringMatching(/not pulled from a registry/) });
      expect(asked()).toBe(before);
      await api('POST', '/api/updates/check');
      expect(asked()).toBeGreaterThan(before); // the registry image of the first service is asked about ...
      expect(proxy.urls().filter((u) => u.startsWith('/distribution/') && u.includes('capstan-test'))).toEqual([]); // ... the local one never
    } finally {
      await api('DELETE', `/api/services/${res.json.id}?mode=hard`);
    }
  });

  it('an unknown service is a 404 in the contract shape; checks and updates are audited', async () => {
    expectContractError(await api('POST', '/api/services/nope/update'), 404);
    const rows = await s.app.database.client.execute("SELECT action, target, outcome FROM audit_log WHERE action IN ('image.check', 'service.image_update') ORDER BY id");
    const seen = rows.rows.map((r) => `${r.action} ${r.target} ${r.outcome}`);
    expect(seen).toContain('image.check images:in-use success');
    expect(seen).toContain(`service.image_update service:${serviceId} success`);
    expect(seen).toContain('service.image_update service:nope failure');
  });

  it('is per engine and image; an engine that does not answer gets an error on its images, the others are checked', async () => {
    // A second engine: the same dockerd through a proxy of its own, which can be taken away.
    let proxy2 = await startDockerProxy(inject('testEnv').dockerHost);
    const added = await api('POST', '/api/engines', { name: uniqueName('second'), url: proxy2.dockerHost });
    expect(added.status, added.text).toBe(201);
    const other: string = added.json.id;
    let otherService = '';
    try {
      const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
        name: uniqueName('updates-test-other'),
        engine_id: other,
        services: { app: { image: ref, command: ['sleep', '86400'] } },
      });
      otherService = service.id;
      expect(service).toMatchObject({ engine_id: other, status: 'running' });

      const check = await api('POST', '/api/updates/check');
      expect(check.status, check.text).toBe(200);
      const mine = entry(check.json.images, ref);
      const theirs = entry(check.json.images, ref, other);
      expect(mine).toMatchObject({ service_ids: [serviceId], error: null });
      // One daemon behind both: the same digests, each engine's own services.
      expect(theirs).toMatchObject({ service_ids: [otherService], error: null, local_digest: mine.local_digest, remote_digest: mine.remote_digest });
      const onlyOther = await api('GET', `/api/updates?engine_id=${other}`);
      expect(onlyOther.status, onlyOther.text).toBe(200);
      expect(onlyOther.json.images.map((i: { engine_id: string }) => i.engine_id)).toEqual([other]);
      // An id no engine has is a 404 naming the field, not an empty list that looks like "nothing to update".
      expectContractError(await api('GET', '/api/updates?engine_id=nope'), 404, /^engine_id: no engine with id "nope"/);

      await proxy2.close();
      const down = await api('POST', '/api/updates/check');
      expect(down.status, down.text).toBe(200);
      expect(entry(down.json.images, ref)).toMatchObject({ service_ids: [serviceId], error: null });
      const failed = entry(down.json.images, ref, other);
      expect(failed).toMatchObject({ service_ids: [otherService], update_available: false, local_digest: null, remote_digest: null });
      expect(failed.error).toMatch(new RegExp(`^engine "${other}": Docker engine unavailable`));
      const stored = await s.app.database.client.execute({ sql: 'SELECT engine_id FROM image_update WHERE image = ? ORDER BY engine_id', args: [ref] });
      expect(stored.rows.map((r) => r.engine_id).sort()).toEqual(['local', other].sort());
    } finally {
      // The engine back (a new proxy, the row pointed at it), so the service can go, then the engine.
      proxy2 = await startDockerProxy(inject('testEnv').dockerHost);
      expect((await api('PUT', `/api/engines/${other}`, { url: proxy2.dockerHost })).status).toBe(200);
      if (otherService) {
        await expect.poll(async () => (await api('DELETE', `/api/services/${otherService}?mode=hard`)).status, { timeout: 30_000 }).toBe(200);
        await expect.poll(async () => (await api('GET', `/api/services/${otherService}`)).status, { timeout: 30_000 }).toBe(404);
      }
      expect((await api('DELETE', `/api/engines/${other}`)).status).toBe(200);
      await proxy2.close();
    }
    // Its rows go with the next check.
    expect(entry((await api('POST', '/api/updates/check')).json.images, ref, other)).toBeUndefined();
    const left = await s.app.database.client.execute({ sql: 'SELECT engine_id FROM image_update WHERE image = ?', args: [ref] });
    expect(left.rows.map((r) => r.engine_id)).toEqual(['local']);
  });

  it('the scheduled check has one job; it runs, checks and queues its next run; 0 hours unschedules it', async () => {
    const jobs = await jobRows(s, 'update-check');
    expect(jobs).toHaveLength(1);
    const hours = (new Date(jobs[0]!.run_at).getTime() - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(5.9);
    expect(hours).toBeLessThanOrEqual(6);
    const checkedBefore = entry((await api('GET', '/api/updates')).json.images, ref).checked_at;
    await sql("UPDATE graphile_worker._private_jobs SET run_at = now() WHERE key = 'update-check'");
    await expect.poll(async () => entry((await api('GET', '/api/updates')).json.images, ref).checked_at, { timeout: 30_000 }).not.toBe(checkedBefore);
    await expect.poll(async () => (await jobRows(s, 'update-check')).filter((j) => !j.locked_at && new Date(j.run_at).getTime() > Date.now() + 5 * 3_600_000).length, { timeout: 30_000 }).toBe(1);
    const runAt = (await jobRows(s, 'update-check'))[0]!.run_at;

    // A restart keeps the one pending check and its time.
    await s.stop();
    s = await startTestServer({ DOCKER_HOST: proxy.dockerHost }, dataDir);
    token = await s.login();
    const again = await jobRows(s, 'update-check');
    expect(again).toHaveLength(1);
    expect(new Date(again[0]!.run_at).toISOString()).toBe(new Date(runAt).toISOString());

    await s.stop();
    s = await startTestServer({ DOCKER_HOST: proxy.dockerHost, CAPSTAN_UPDATE_CHECK_HOURS: '0' }, dataDir);
    token = await s.login();
    expect(await jobRows(s, 'update-check')).toHaveLength(0);
    // On demand still works.
    expect(entry((await api('POST', '/api/updates/check')).json.images, ref).update_available).toBe(false);
  });
});
