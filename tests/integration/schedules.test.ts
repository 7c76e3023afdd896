import type Docker from 'dockerode';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { inspect, testDocker, uniqueName } from '../helpers/engine.js';
import { deployAndWait, jobRows, isContractError, newDataDir, startTestServer, waitForDeployment, type TestServer } from '../helpers/server.js';

const docker = testDocker();
let s: TestServer;
let token: string;
const dataDir = newDataDir();

async function api(method: string, path: string, body?: unknown) {
  return s.request(method, path, { token, ...(body === undefined ? {} : { body }) });
}


async function setJobRunAtNow(key: string) {
  const client = new pg.Client({ connectionString: s.jobs.connectionString });
  await client.connect();
  try {
    await client.query('UPDATE graphile_worker._private_jobs SET run_at = now() WHERE key = $1', [key]);
  } finally {
    await client.end();
  }
}

function push(d: Docker, image: Docker.Image, repo: string, tag: string) {
  return new Promise<void>((resolve, reject) => {
    image.tag({ repo, tag }).then(async () => {
      const stream = await d.getImage(`${repo}:${tag}`).push({ tag });
      d.modem.followProgress(stream, (err, out: { error?: string }[]) => (err || out.some((o) => o.error) ? reject(err ?? new Error(JSON.stringify(out))) : resolve()));
    }, reject);
  });
}

/** A new image built from busybox: a container writes a file (or gets an entrypoint), and is committed. */
async function build(changes: { file: string; entrypoint?: string[] }): Promise<string> {
  const c = await docker.createContainer({ Image: inject('testEnv').image, Cmd: ['sh', '-c', `echo ${changes.file} > /version`] });
  await c.start();
  await c.wait();
  const committed = (await c.commit({ ...(changes.entrypoint ? { changes: [`ENTRYPOINT ${JSON.stringify(changes.entrypoint)}`] } : {}) })) as { Id: string };
  await c.remove();
  return committed.Id;
}

const repo = `${inject('testEnv').registry}/capstan/${uniqueName('sched')}`;
const ref = `${repo}:1`;
let v1: string;
let serviceId: string;
let scheduleId: string;

async function waitForRun(id: string, after: string | null) {
  for (const until = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 200))) {
    const sch = (await api('GET', `/api/schedules/${id}`)).json;
    if (sch.last_run_at && sch.last_run_at !== after) return sch;
    if (Date.now() > until) throw new Error(`schedule ${id} did not run: ${JSON.stringify(sch)}`);
  }
}

async function scheduledFinish(deploymentId: string) {
  const rows = await s.app.database.client.execute({
    sql: "SELECT actor, outcome, details FROM audit_log WHERE action = 'deployment.finish' AND target = ? ORDER BY id DESC LIMIT 1",
    args: [`deployment:${deploymentId}`],
  });
  return rows.rows[0];
}

const containerIds = async () =>
  Object.fromEntries((await api('GET', `/api/services/${serviceId}`)).json.containers.map((c: { service: string; container_id: string }) => [c.service, c.container_id]));

beforeAll(async () => {
  v1 = await build({ file: 'v1' });
  await push(docker, docker.getImage(v1), repo, '1');
  s = await startTestServer({}, dataDir);
  token = await s.login();
  const sleeper = (image: string) => ({ image, command: ['sleep', '86400'] });
  const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
    name: uniqueName('upd'),
    services: { app: sleeper(ref), other: sleeper(inject('testEnv').registryImage) },
  });
  expect(service.status).toBe('running');
  serviceId = service.id;
});
afterAll(() => s?.dispose());

describe('schedules', () => {
  it('are created with their next run, and have exactly one pending job', async () => {
    const res = await api('POST', '/api/schedules', { service_id: serviceId, frequency: 'weekly', day_of_week: 'Sunday', time_of_day: '03:00' });
    expect(res.status, res.text).toBe(201);
    scheduleId = res.json.id;
    expect(res.json).toMatchObject({ service_id: serviceId, frequency: 'weekly', day_of_week: 'Sunday', time_of_day: '03:00', timezone: 'UTC', action: 'update', cleanup: false, last_run_at: null, last_status: null });
    const next = new Date(res.json.next_run_at);
    expect(next.getUTCDay()).toBe(0);
    expect(next.getUTCHours()).toBe(3);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime()).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000);
    const jobs = await jobRows(s, `schedule:${scheduleId}`);
    expect(jobs).toHaveLength(1);
    expect(new Date(jobs[0]!.run_at).toISOString()).toBe(res.json.next_run_at);
    expect((await api('GET', `/api/schedules?service_id=${serviceId}`)).json.map((x: { id: string }) => x.id)).toEqual([scheduleId]);
  });

  it('reject bad values naming the field, and unknown services or schedules', async () => {
    for (const [body, field] of [
      [{ service_id: serviceId, frequency: 'weekly', time_of_day: '03:00' }, 'day_of_week'],
      [{ service_id: serviceId, frequency: 'daily', time_of_day: '25:00' }, 'time_of_day'],
      [{ service_id: serviceId, frequency: 'daily', time_of_day: '03:00', timezone: 'Nowhere/Land' }, 'timezone'],
      [{ service_id: serviceId, frequency: 'monthly', time_of_day: '03:00' }, 'frequency'],
    ] as const) {
      const res = await api('POST', '/api/schedules', body);
      expect(res.status).toBe(400);
      expect(isContractError(res.json)).toBe(true);
      expect(res.json.details).toMatch(new RegExp(`^${field}`));
    }
    expect((await api('POST', '/api/schedules', { service_id: 'nope', frequency: 'daily', time_of_day: '03:00' })).status).toBe(404);
    expect((await api('GET', '/api/schedules/nope')).status).toBe(404);
    expect((await api('PUT', '/api/schedules/nope', { frequency: 'daily', time_of_day: '03:00' })).status).toBe(404);
    expect((await api('DELETE', '/api/schedules/nope')).status).toBe(404);
  });

  it('an update run recreates only the container whose image changed in the registry; a second run changes nothing', async () => {
    const v2 = await build({ file: 'v2' });
    await push(docker, docker.getImage(v2), repo, '1');
    // The engine's tag goes back to v1, so the run has to pull v2 from the registry.
    await docker.getImage(v1).tag({ repo, tag: '1' });
    const before = await containerIds();

    await api('POST', `/api/schedules/${scheduleId}/run`);
    const run = await waitForRun(scheduleId, null);
    expect(run.last_status).toBe('updated');
    expect(run.last_summary.changed).toEqual([{ container: expect.stringMatching(/-app-1$/), from: v1, to: v2 }]);
    const after = await containerIds();
    expect(after.other).toBe(before.other);
    expect(after.app).not.toBe(before.app);
    expect((await inspect(docker, after.app!)).Image).toBe(v2);
    // The run's summary is recorded just before its deployment is marked finished (services/operations.ts settle).
    const deployment = await waitForDeployment(s, token, run.last_deployment_id);
    expect(deployment).toMatchObject({ kind: 'scheduled', status: 'succeeded', actor: 'admin' });

    await api('POST', `/api/schedules/${scheduleId}/run`);
    const again = await waitForRun(scheduleId, run.last_run_at);
    expect(again.last_status).toBe('unchanged');
    expect(await containerIds()).toEqual(after);
  });

  it('an image that exits at once is rolled back: the container runs the old image again', async () => {
    const good = (await inspect(docker, (await containerIds()).app!)).Image;
    const broken = await build({ file: 'v3', entrypoint: ['sh', '-c', 'exit 3'] });
    await push(docker, docker.getImage(broken), repo, '1');
    const last = (await api('GET', `/api/schedules/${scheduleId}`)).json.last_run_at;
    await api('POST', `/api/schedules/${scheduleId}/run`);
    const run = await waitForRun(scheduleId, last);
    expect(run.last_status).toBe('rolled_back');
    expect(run.last_summary.rolled_back).toEqual([{ container: expect.stringMatching(/-app-1$/), reason: 'exited with code 3' }]);
    const app = await inspect(docker, (await containerIds()).app!);
    expect(app.Image).toBe(good);
    expect(app.State.Running).toBe(true);
    await expect.poll(async () => (await api('GET', `/api/services/${serviceId}`)).json.status).toBe('running');
    // A scheduled run is a deployment like any other: the runner's finish entry carries its outcome.
    await expect.poll(async () => (await scheduledFinish(run.last_deployment_id))?.outcome).toBe('failure');
    expect(JSON.parse(String((await scheduledFinish(run.last_deployment_id))!.details)).status).toBe('rolled_back');
  });

  it('a restart run restarts the containers in order', async () => {
    const res = await api('PUT', `/api/schedules/${scheduleId}`, { frequency: 'daily', time_of_day: '04:30', timezone: 'Europe/Berlin', action: 'restart' });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ frequency: 'daily', day_of_week: null, time_of_day: '04:30', timezone: 'Europe/Berlin', action: 'restart' });
    expect(await jobRows(s, `schedule:${scheduleId}`)).toHaveLength(1);
    const ids = await containerIds();
    const started = (await inspect(docker, ids.app!)).State.StartedAt;
    const last = (await api('GET', `/api/schedules/${scheduleId}`)).json.last_run_at;
    await api('POST', `/api/schedules/${scheduleId}/run`);
    const run = await waitForRun(scheduleId, last);
    expect(run.last_status).toBe('restarted');
    expect(run.last_summary.restarted).toHaveLength(2);
    expect((await inspect(docker, ids.app!)).State.StartedAt).not.toBe(started);
  });

  it('when its time comes, runs as the scheduler and queues the next occurrence', async () => {
    const before = (await api('GET', `/api/schedules/${scheduleId}`)).json;
    await setJobRunAtNow(`schedule:${scheduleId}`);
    const run = await waitForRun(scheduleId, before.last_run_at);
    expect(run.last_status).toBe('restarted');
    await expect.poll(async () => (await jobRows(s, `schedule:${scheduleId}`)).filter((j) => !j.locked_at).length).toBe(1);
    const jobs = await jobRows(s, `schedule:${scheduleId}`);
    expect(jobs).toHaveLength(1);
    expect(new Date(jobs[0]!.run_at).getTime()).toBeGreaterThan(Date.now());
    await expect.poll(async () => (await scheduledFinish(run.last_deployment_id))?.actor).toBe('scheduler');
  });

  it('after a restart of the server, each schedule still has exactly one pending job', async () => {
    await s.stop();
    s = await startTestServer({}, dataDir);
    token = await s.login();
    expect(await jobRows(s, `schedule:${scheduleId}`)).toHaveLength(1);
  });

  it('deleting the service deletes its schedules and their jobs', async () => {
    const del = await api('DELETE', `/api/services/${serviceId}?mode=hard`);
    expect(del.status).toBe(200);
    expect((await api('GET', `/api/schedules/${scheduleId}`)).status).toBe(404);
    expect(await jobRows(s, `schedule:${scheduleId}`)).toHaveLength(0);
  });
});
