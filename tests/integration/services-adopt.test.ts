import { describe, expect, inject, it } from 'vitest';
import { inspect, testDocker, uniqueName } from '../helpers/engine.js';
import { expectContractError, useServer } from '../helpers/server.js';

const ctx = useServer();
const docker = testDocker();

async function api(method: string, path: string, body?: unknown) {
  return ctx.s.request(method, path, { token: ctx.token, ...(body === undefined ? {} : { body }) });
}

describe('adopting a compose project created directly through the engine', () => {
  it('is discovered, adopted without a restart, and then managed', async () => {
    const project = uniqueName('legacy');
    const image = inject('testEnv').image;
    await docker.createNetwork({ Name: `${project}_default`, Labels: { 'com.docker.compose.project': project } });
    await docker.createVolume({ Name: `${project}_cache`, Labels: { 'com.docker.compose.project': project } });
    const make = async (key: string, extra: object = {}) => {
      const c = await docker.createContainer({
        name: `${project}-${key}-1`,
        Image: image,
        Cmd: ['sleep', '86400'],
        Env: ['MODE=legacy', 'PRICE=5$ ${X}'],
        Labels: {
          'com.docker.compose.project': project,
          'com.docker.compose.service': key,
          'com.docker.compose.container-number': '1',
          'com.docker.compose.oneoff': 'False',
          'com.docker.compose.depends_on': key === 'app' ? 'cache:service_started:false' : '',
          team: 'ops',
        },
        HostConfig: { NetworkMode: `${project}_default`, RestartPolicy: { Name: 'always' }, ...extra },
      });
      await c.start();
      return c.id;
    };
    const cacheId = await make('cache', { Mounts: [{ Type: 'volume', Source: `${project}_cache`, Target: '/cache' }] });
    const appId = await make('app');
    const startedBefore = (await inspect(docker, appId)).State.StartedAt;

    const found = await api('GET', '/api/services/discover');
    expect(found.status).toBe(200);
    const mine = found.json.find((p: { project: string }) => p.project === project);
    expect(mine.containers.map((c: { service: string }) => c.service).sort()).toEqual(['app', 'cache']);

    const adopted = await api('POST', '/api/services/adopt', { project });
    expect(adopted.status, adopted.text).toBe(201);
    expect(adopted.json).toMatchObject({ name: project, adopted: true, status: 'running', warnings: [] });
    // The rebuilt definition is the project folder's compose.yaml; `definition` is its normalized form.
    expect(Object.keys(adopted.json.definition.services).sort()).toEqual(['app', 'cache']);
    expect(adopted.json.definition.services).toMatchObject({
      app: {
        image,
        command: ['sleep', '86400'],
        environment: { MODE: 'legacy', PRICE: '5$ ${X}' },
        restart: 'always',
        depends_on: { cache: { condition: 'service_started' } },
        labels: { team: 'ops' },
      },
      cache: {
        image,
        command: ['sleep', '86400'],
        environment: { MODE: 'legacy', PRICE: '5$ ${X}' },
        restart: 'always',
        volumes: [{ type: 'volume', source: 'cache', target: '/cache' }],
        labels: { team: 'ops' },
      },
    });
    expect(adopted.json.definition.services.app.volumes).toBeUndefined();
    expect((await api('GET', `/api/services/${adopted.json.id}/yaml`)).json.yaml).toContain('cache:/cache');
    expect(adopted.json.containers.map((c: { container_id: string }) => c.container_id).sort()).toEqual([appId, cacheId].sort());
    expect((await inspect(docker, appId)).State.StartedAt).toBe(startedBefore);

    expect((await api('GET', '/api/services/discover')).json.find((p: { project: string }) => p.project === project)).toBeUndefined();
    await expectConflict(project);

    // Now managed: stop and start go through Capstan.
    await api('POST', `/api/services/${adopted.json.id}/stop`);
    expect((await api('GET', `/api/services/${adopted.json.id}`)).json.status).toBe('stopped');
    await api('DELETE', `/api/services/${adopted.json.id}?mode=hard`);
    expect((await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } })).length).toBe(0);
  });

  it('per engine: a project is discovered and adopted on the engine named, and the service runs there', async () => {
    const project = uniqueName('legacy-eng');
    const c = await docker.createContainer({
      name: `${project}-app-1`,
      Image: inject('testEnv').image,
      Cmd: ['sleep', '86400'],
      Labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': 'app', 'com.docker.compose.container-number': '1', 'com.docker.compose.oneoff': 'False' },
    });
    await c.start();
    // The same dockerd through a second engine row.
    const alias = await api('POST', '/api/engines', { name: uniqueName('alias'), url: inject('testEnv').dockerHost });
    expect(alias.status, alias.text).toBe(201);
    const other: string = alias.json.id;
    let serviceId = '';
    try {
      expectContractError(await api('GET', '/api/services/discover?engine_id=nope'), 404, /^engine_id: /);
      expectContractError(await api('POST', '/api/services/adopt', { project, engine_id: 'nope' }), 404, /^engine_id: /);
      const found = await api('GET', `/api/services/discover?engine_id=${other}`);
      expect(found.status, found.text).toBe(200);
      expect(found.json.find((p: { project: string }) => p.project === project)?.containers).toEqual([expect.objectContaining({ name: `${project}-app-1`, service: 'app' })]);

      const adopted = await api('POST', '/api/services/adopt', { project, engine_id: other });
      expect(adopted.status, adopted.text).toBe(201);
      serviceId = adopted.json.id;
      expect(adopted.json).toMatchObject({ name: project, adopted: true, engine_id: other, warnings: [] });
      await expect.poll(async () => (await api('GET', `/api/services/${serviceId}`)).json.status, { timeout: 20_000 }).toBe('running');

      // Gone from its discovery; and from `local`'s, as that entry is the same daemon (one /info ID):
      // the adopted containers carry no Capstan label, so only the daemon tells them apart. Adopting
      // the name there again is refused all the same.
      expect((await api('GET', `/api/services/discover?engine_id=${other}`)).json.find((p: { project: string }) => p.project === project)).toBeUndefined();
      expect((await api('GET', '/api/services/discover')).json.find((p: { project: string }) => p.project === project)).toBeUndefined();
      expectContractError(await api('POST', '/api/services/adopt', { project }), 409, new RegExp(`on engine "${other}"`));
    } finally {
      if (serviceId) expect((await api('DELETE', `/api/services/${serviceId}?mode=hard`)).status).toBe(200);
      else await c.remove({ force: true });
      await expect.poll(async () => (await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } })).length, { timeout: 30_000 }).toBe(0);
      await expect.poll(async () => (await api('DELETE', `/api/engines/${other}`)).status, { timeout: 30_000 }).toBe(200);
    }
  });

  it('404 for a project that does not exist', async () => {
    const res = await api('POST', '/api/services/adopt', { project: 'no-such-project' });
    expect(res.status).toBe(404);
  });
});

async function expectConflict(project: string) {
  const res = await api('POST', '/api/services/adopt', { project });
  expect(res.status).toBe(409);
}
