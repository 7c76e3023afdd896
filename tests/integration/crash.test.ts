import { describe, expect, inject, it } from 'vitest';
import { crashCase, succeeded, type Served } from '../helpers/crash-case.js';
import { projectContainers, testDocker, uniqueName, volumeExists } from '../helpers/engine.js';
import { httpRequest } from '../helpers/server.js';

const docker = testDocker();

const sleeperOf = () => ({ image: inject('testEnv').image, command: ['sleep', '86400'] });

const statusOf = async (p: Served, id: string) => (await httpRequest(p.url, 'GET', `/api/services/${id}`, { token: p.token })).json.status;

describe('crash safety', () => {
  it('kill -9 in the middle of a deploy: the next start retries the job and converges, with no orphans', async () => {
    const name = uniqueName('crash');
    const sleeper = sleeperOf();
    const definition = {
      name,
      services: { a: sleeper, b: { ...sleeper, depends_on: ['a'] }, c: { ...sleeper, depends_on: ['b'] } },
    };
    // Killed the moment the engine reports the first container of the deploy.
    await crashCase(name, 'create', {
      before: async () => undefined,
      crash: (p) => httpRequest(p.url, 'POST', '/api/services', { token: p.token, body: definition }),
      atCrash: async () => {
        const atCrash = await projectContainers(docker, name);
        expect(atCrash.filter((c) => c.State === 'running').length).toBeLessThan(3);
      },
      after: async (p) => {
        const services = (await httpRequest(p.url, 'GET', '/api/services', { token: p.token })).json;
        const service = services.find((s: { name: string }) => s.name === name);
        expect(service).toBeDefined();
        expect((await succeeded(p, service.id)).attempts).toBeGreaterThanOrEqual(2);

        const after = await projectContainers(docker, name);
        expect(after.map((c) => c.Names[0]).sort()).toEqual([`/${name}-a-1`, `/${name}-b-1`, `/${name}-c-1`]);
        expect(after.every((c) => c.State === 'running')).toBe(true);
        await expect.poll(() => statusOf(p, service.id)).toBe('running');
        await httpRequest(p.url, 'DELETE', `/api/services/${service.id}?mode=hard`, { token: p.token });
      },
    });
  });

  it('kill -9 in the middle of a move: the next start finishes it on the new engine, with nothing left on the old one', async () => {
    const name = uniqueName('crashmove');
    const sleeper = sleeperOf();
    // Killed the moment the old engine reports the first removal of the take-down.
    await crashCase(name, 'destroy', {
      before: async (p) => {
        // A second engine entry for the same daemon: a move between them goes through every step of a real one.
        const engine = await httpRequest(p.url, 'POST', '/api/engines', { token: p.token, body: { name: 'same socket', url: inject('testEnv').dockerHost } });
        expect(engine.status, engine.text).toBe(201);
        const created = await httpRequest(p.url, 'POST', '/api/services', { token: p.token, body: { name, services: { a: sleeper, b: { ...sleeper, depends_on: ['a'] } } } });
        expect(created.status, created.text).toBe(201);
        await expect.poll(() => statusOf(p, created.json.id), { timeout: 30_000 }).toBe('running');
        return { id: created.json.id as string, engineId: engine.json.id as string };
      },
      crash: (p, { id, engineId }) => httpRequest(p.url, 'POST', `/api/services/${id}/move`, { token: p.token, body: { engine_id: engineId } }),
      after: async (p, { id, engineId }) => {
        const move = await succeeded(p, id);
        expect(move).toMatchObject({ kind: 'move' });
        expect(move.attempts).toBeGreaterThanOrEqual(2);
        await expect.poll(() => statusOf(p, id), { timeout: 20_000 }).toBe('running');
        const service = (await httpRequest(p.url, 'GET', `/api/services/${id}`, { token: p.token })).json;
        expect(service.engine_id).toBe(engineId);
        // One container per service key, all running: none left over from before the crash, none twice.
        const after = await projectContainers(docker, name);
        expect(after.map((c) => c.Names[0]).sort()).toEqual([`/${name}-a-1`, `/${name}-b-1`]);
        expect(after.every((c) => c.State === 'running')).toBe(true);
        await httpRequest(p.url, 'DELETE', `/api/services/${id}?mode=hard`, { token: p.token });
      },
    });
  });

  it('kill -9 in the middle of a hard delete: the next start finishes it, and removes the anonymous volumes of containers already gone', async () => {
    const name = uniqueName('crashdel');
    const withCache = { ...sleeperOf(), volumes: ['/cache'] };
    const anonymous: string[] = [];
    // Killed the moment the engine reports the first container removed (b, the dependant, goes first).
    await crashCase(name, 'destroy', {
      before: async (p) => {
        const definition = (revision: string) => ({ name, services: { a: { ...withCache, environment: { R: revision } }, b: { ...withCache, environment: { R: revision }, depends_on: ['a'] } } });
        const created = await httpRequest(p.url, 'POST', '/api/services', { token: p.token, body: definition('1') });
        expect(created.status, created.text).toBe(201);
        const id: string = created.json.id;
        await expect.poll(() => statusOf(p, id), { timeout: 30_000 }).toBe('running');
        // A recreate: the new containers mount the old anonymous volumes by name, which the engine's remove -v leaves.
        const changed = await httpRequest(p.url, 'PUT', `/api/services/${id}`, { token: p.token, body: definition('2') });
        expect(changed.status, changed.text).toBe(200);
        await expect.poll(async () => (await httpRequest(p.url, 'GET', `/api/deployments/${changed.json.deployment_id}`, { token: p.token })).json.status, { timeout: 30_000 }).toBe('succeeded');
        for (const c of await projectContainers(docker, name)) {
          anonymous.push(...((await docker.getContainer(c.Id).inspect()).Mounts ?? []).filter((m) => m.Destination === '/cache').map((m) => m.Name!));
        }
        expect(anonymous).toHaveLength(2);
        return id;
      },
      crash: (p, id) => httpRequest(p.url, 'DELETE', `/api/services/${id}?mode=hard`, { token: p.token }),
      after: async (p, id) => {
        await expect.poll(async () => (await httpRequest(p.url, 'GET', `/api/services/${id}`, { token: p.token })).status, { timeout: 60_000, interval: 250 }).toBe(404);
        expect(await projectContainers(docker, name)).toEqual([]);
        for (const v of anonymous) expect(await volumeExists(docker, v), v).toBe(false);
      },
      cleanup: async () => {
        for (const v of anonymous) await docker.getVolume(v).remove().catch(() => {});
      },
    });
  });
});
