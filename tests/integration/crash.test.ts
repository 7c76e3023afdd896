import { rmSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { projectContainers, testDocker, uniqueName, volumeExists } from '../helpers/engine.js';
import { spawnCapstan, type CapstanProcess } from '../helpers/process.js';
import { ADMIN, httpRequest, newDataDir } from '../helpers/server.js';

const docker = testDocker();

async function login(url: string): Promise<string> {
  const res = await httpRequest(url, 'POST', '/auth/login', { body: ADMIN });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${res.text}`);
  return res.json.token;
}

/** A Capstan process on its own data dir and the shared engine, and the container every test service runs. */
const envOf = (dataDir: string) => ({
  CAPSTAN_DATA_DIR: dataDir,
  DOCKER_HOST: inject('testEnv').dockerHost,
  CAPSTAN_ADMIN_USERNAME: ADMIN.username,
  CAPSTAN_ADMIN_PASSWORD: ADMIN.password,
});
const sleeperOf = () => ({ image: inject('testEnv').image, command: ['sleep', '86400'] });

/**
 * Listens for `event` on a container of the project, and SIGKILLs the
 * process the moment the engine reports it; `killed` settles once it has.
 * (An object, not a promise: awaiting the listener must not wait for the kill.)
 */
async function killOnFirst(p: CapstanProcess, event: string, project: string): Promise<{ killed: Promise<void> }> {
  const events = (await docker.getEvents({ filters: { type: ['container'], event: [event], label: [`com.docker.compose.project=${project}`] } })) as NodeJS.ReadableStream;
  const killed = new Promise<void>((resolve) => {
    events.once('data', () => {
      p.child.kill('SIGKILL');
      (events as unknown as { destroy(): void }).destroy();
      resolve();
    });
  });
  return { killed };
}

describe('crash safety', () => {
  it('kill -9 in the middle of a deploy: the next start retries the job and converges, with no orphans', async () => {
    const dataDir = newDataDir();
    const name = uniqueName('crash');
    const env = envOf(dataDir);
    const sleeper = sleeperOf();
    const definition = {
      name,
      services: { a: sleeper, b: { ...sleeper, depends_on: ['a'] }, c: { ...sleeper, depends_on: ['b'] } },
    };
    try {
      const first = await spawnCapstan(env);
      const token = await login(first.url);

      // Kill the server the moment the engine reports the first container of the deploy.
      const { killed } = await killOnFirst(first, 'create', name);
      void httpRequest(first.url, 'POST', '/api/services', { token, body: definition }).catch(() => undefined);
      await killed;
      expect(await first.exited).toBeNull();

      const atCrash = await projectContainers(docker, name);
      expect(atCrash.filter((c) => c.State === 'running').length).toBeLessThan(3);

      const second = await spawnCapstan(env);
      try {
        const token2 = await login(second.url);
        const services = (await httpRequest(second.url, 'GET', '/api/services', { token: token2 })).json;
        const service = services.find((s: { name: string }) => s.name === name);
        expect(service).toBeDefined();
        let deployment: { status: string; attempts: number } | undefined;
        await expect
          .poll(
            async () => {
              deployment = (await httpRequest(second.url, 'GET', `/api/services/${service.id}/deployments`, { token: token2 })).json[0];
              return deployment?.status;
            },
            { timeout: 60_000, interval: 250 },
          )
          .toBe('succeeded');
        expect(deployment!.attempts).toBeGreaterThanOrEqual(2);

        const after = await projectContainers(docker, name);
        expect(after.map((c) => c.Names[0]).sort()).toEqual([`/${name}-a-1`, `/${name}-b-1`, `/${name}-c-1`]);
        expect(after.every((c) => c.State === 'running')).toBe(true);
        await expect.poll(async () => (await httpRequest(second.url, 'GET', `/api/services/${service.id}`, { token: token2 })).json.status).toBe('running');
        await httpRequest(second.url, 'DELETE', `/api/services/${service.id}?mode=hard`, { token: token2 });
      } finally {
        second.child.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      }
    } finally {
      for (const c of await projectContainers(docker, name)) await docker.getContainer(c.Id).remove({ force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('kill -9 in the middle of a move: the next start finishes it on the new engine, with nothing left on the old one', async () => {
    const dataDir = newDataDir();
    const name = uniqueName('crashmove');
    const env = envOf(dataDir);
    const sleeper = sleeperOf();
    try {
      const first = await spawnCapstan(env);
      const token = await login(first.url);
      // A second engine entry for the same daemon: a move between them goes through every step of a real one.
      const engine = await httpRequest(first.url, 'POST', '/api/engines', { token, body: { name: 'same socket', url: inject('testEnv').dockerHost } });
      expect(engine.status, engine.text).toBe(201);
      const created = await httpRequest(first.url, 'POST', '/api/services', { token, body: { name, services: { a: sleeper, b: { ...sleeper, depends_on: ['a'] } } } });
      expect(created.status, created.text).toBe(201);
      await expect.poll(async () => (await httpRequest(first.url, 'GET', `/api/services/${created.json.id}`, { token })).json.status, { timeout: 30_000 }).toBe('running');

      // Killed the moment the old engine reports the first removal of the take-down.
      const { killed } = await killOnFirst(first, 'destroy', name);
      void httpRequest(first.url, 'POST', `/api/services/${created.json.id}/move`, { token, body: { engine_id: engine.json.id } }).catch(() => undefined);
      await killed;
      expect(await first.exited).toBeNull();

      const second = await spawnCapstan(env);
      try {
        const token2 = await login(second.url);
        let move: { kind: string; status: string; attempts: number } | undefined;
        await expect
          .poll(
            async () => {
              move = (await httpRequest(second.url, 'GET', `/api/services/${created.json.id}/deployments`, { token: token2 })).json[0];
              return move?.status;
            },
            { timeout: 60_000, interval: 250 },
          )
          .toBe('succeeded');
        expect(move).toMatchObject({ kind: 'move' });
        expect(move!.attempts).toBeGreaterThanOrEqual(2);
        await expect.poll(async () => (await httpRequest(second.url, 'GET', `/api/services/${created.json.id}`, { token: token2 })).json.status, { timeout: 20_000 }).toBe('running');
        const service = (await httpRequest(second.url, 'GET', `/api/services/${created.json.id}`, { token: token2 })).json;
        expect(service.engine_id).toBe(engine.json.id);
        // One container per service key, all running: none left over from before the crash, none twice.
        const after = await projectContainers(docker, name);
        expect(after.map((c) => c.Names[0]).sort()).toEqual([`/${name}-a-1`, `/${name}-b-1`]);
        expect(after.every((c) => c.State === 'running')).toBe(true);
        await httpRequest(second.url, 'DELETE', `/api/services/${created.json.id}?mode=hard`, { token: token2 });
      } finally {
        second.child.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      }
    } finally {
      for (const c of await projectContainers(docker, name)) await docker.getContainer(c.Id).remove({ force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
  it('kill -9 in the middle of a hard delete: the next start finishes it, and removes the anonymous volumes of containers already gone', async () => {
    const dataDir = newDataDir();
    const name = uniqueName('crashdel');
    const env = envOf(dataDir);
    const withCache = { ...sleeperOf(), volumes: ['/cache'] };
    const anonymous: string[] = [];
    try {
      const first = await spawnCapstan(env);
      const token = await login(first.url);
      const definition = (revision: string) => ({ name, services: { a: { ...withCache, environment: { R: revision } }, b: { ...withCache, environment: { R: revision }, depends_on: ['a'] } } });
      const created = await httpRequest(first.url, 'POST', '/api/services', { token, body: definition('1') });
      expect(created.status, created.text).toBe(201);
      const id: string = created.json.id;
      await expect.poll(async () => (await httpRequest(first.url, 'GET', `/api/services/${id}`, { token })).json.status, { timeout: 30_000 }).toBe('running');
      // A recreate: the new containers mount the old anonymous volumes by name, which the engine's remove -v leaves.
      const changed = await httpRequest(first.url, 'PUT', `/api/services/${id}`, { token, body: definition('2') });
      expect(changed.status, changed.text).toBe(200);
      await expect.poll(async () => (await httpRequest(first.url, 'GET', `/api/deployments/${changed.json.deployment_id}`, { token })).json.status, { timeout: 30_000 }).toBe('succeeded');
      for (const c of await projectContainers(docker, name)) {
        anonymous.push(...((await docker.getContainer(c.Id).inspect()).Mounts ?? []).filter((m) => m.Destination === '/cache').map((m) => m.Name!));
      }
      expect(anonymous).toHaveLength(2);

      // Killed the moment the engine reports the first container removed (b, the dependant, goes first).
      const { killed } = await killOnFirst(first, 'destroy', name);
      void httpRequest(first.url, 'DELETE', `/api/services/${id}?mode=hard`, { token }).catch(() => undefined);
      await killed;
      expect(await first.exited).toBeNull();

      const second = await spawnCapstan(env);
      try {
        const token2 = await login(second.url);
        await expect.poll(async () => (await httpRequest(second.url, 'GET', `/api/services/${id}`, { token: token2 })).status, { timeout: 60_000, interval: 250 }).toBe(404);
        expect(await projectContainers(docker, name)).toEqual([]);
        for (const v of anonymous) expect(await volumeExists(docker, v), v).toBe(false);
      } finally {
        second.child.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      }
    } finally {
      for (const c of await projectContainers(docker, name)) await docker.getContainer(c.Id).remove({ force: true });
      for (const v of anonymous) await docker.getVolume(v).remove().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
