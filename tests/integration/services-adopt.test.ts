import { describe, expect, inject, it } from 'vitest';
import { inspect, testDocker, uniqueName } from '../helpers/engine.js';
import { useServer } from '../helpers/server.js';

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

  it('404 for a project that does not exist', async () => {
    const res = await api('POST', '/api/services/adopt', { project: 'no-such-project' });
    expect(res.status).toBe(404);
  });
});

async function expectConflict(project: string) {
  const res = await api('POST', '/api/services/adopt', { project });
  expect(res.status).toBe(409);
}
