import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, inject, it } from 'vitest';
import { freePort, inspect, projectContainers, startPortHolder, testDocker, uniqueName } from '../helpers/engine.js';
import { deployAndWait, expectContractError, useServer } from '../helpers/server.js';

const ctx = useServer();
const docker = testDocker();
const image = () => inject('testEnv').image;

const sleeper = (extra: Record<string, unknown> = {}) => ({ image: image(), command: ['sleep', '86400'], ...extra });

async function api(method: string, path: string, body?: unknown) {
  return ctx.s.request(method, path, { token: ctx.token, ...(body === undefined ? {} : { body }) });
}

const deploy = (method: string, path: string, body?: unknown) => deployAndWait(ctx.s, ctx.token, method, path, body);

describe('bad definitions are a 400 naming the field, and change nothing', () => {
  const cases: [string, unknown, RegExp][] = [
    ['unknown key', { name: 'x1', services: { a: sleeper({ privilegd: true }) } }, /services\.a.*privilegd/],
    ['unknown top-level key', { name: 'x1', services: { a: sleeper() }, netwerks: {} }, /netwerks/],
    ['depends_on cycle', { name: 'x1', services: { a: sleeper({ depends_on: ['b'] }), b: sleeper({ depends_on: ['a'] }) } }, /cycle/],
    ['unknown depends_on', { name: 'x1', services: { a: sleeper({ depends_on: ['ghost'] }) } }, /services\.a\.depends_on/],
    ['bad port', { name: 'x1', services: { a: sleeper({ ports: ['80:99999'] }) } }, /services\.a\.ports\.0/],
    ['bad volume', { name: 'x1', services: { a: sleeper({ volumes: ['data:relative/target'] }) } }, /services\.a\.volumes\.0/],
    ['build instead of an image', { name: 'x1', services: { a: { build: '.' } } }, /services\.a\.build/],
    ['duplicate container_name', { name: 'x1', services: { a: sleeper({ container_name: 'same' }), b: sleeper({ container_name: 'same' }) } }, /container_name/],
    ['invalid name', { name: 'Bad Name!', services: { a: sleeper() } }, /^name/],
    ['no image', { name: 'x1', services: { a: { command: ['sleep', '1'] } } }, /services\.a\.image/],
  ];
  it.each(cases)('%s', async (_label, body, details) => {
    await expectContractError(await api('POST', '/api/services', body), 400, details);
    expect((await api('GET', '/api/services')).json).toEqual([]);
    // Nothing was written either: no project folder.
    expect(existsSync(ctx.s.config.projectsDir) ? readdirSync(ctx.s.config.projectsDir) : []).toEqual([]);
  });

  it('YAML errors name their line', async () => {
    const res = await ctx.s.request('POST', '/trpc/services.create', {
      token: ctx.token,
      body: { name: 'yamlbad', yaml: `services:\n  a:\n    image: ${image()}\n    ports:\n      - "nope"\n` },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.details).toMatch(/line 5/);
  });

  it('a rename is refused', async () => {
    const name = uniqueName('ren');
    const { service } = await deploy('POST', '/api/services', { name, services: { a: sleeper() } });
    const res = await api('PUT', `/api/services/${service.id}`, { name: `${name}x`, services: { a: sleeper() } });
    await expectContractError(res, 400, /^name/);
    await api('DELETE', `/api/services/${service.id}?mode=hard`);
  });
});

describe('404 for an unknown id', () => {
  it.each([
    ['GET', '/api/services/nope123'],
    ['PUT', '/api/services/nope123'],
    ['DELETE', '/api/services/nope123'],
    ['POST', '/api/services/nope123/start'],
    ['POST', '/api/services/nope123/stop'],
    ['POST', '/api/services/nope123/restart'],
    ['GET', '/api/services/nope123/env'],
    ['PUT', '/api/services/nope123/env'],
  ])('%s %s', async (method, path) => {
    const body = method === 'PUT' ? (path.endsWith('/env') ? { environment: {} } : { name: 'nope', services: { a: sleeper() } }) : undefined;
    await expectContractError(await api(method, path, body), 404);
  });
});

describe('409 conflicts', () => {
  it('a name already used', async () => {
    const name = uniqueName('dup');
    const first = await deploy('POST', '/api/services', { name, services: { a: sleeper() } });
    expect(first.res.status).toBe(201);
    await expectContractError(await api('POST', '/api/services', { name, services: { b: sleeper() } }), 409, /name/);
    await api('DELETE', `/api/services/${first.service.id}?mode=hard`);
  });

  it('a port published by another container, and a container name Capstan does not manage', async () => {
    const port = await freePort();
    const stranger = await startPortHolder(docker, image(), port);
    try {
      const portClash = await api('POST', '/api/services', { name: uniqueName('pc'), services: { a: sleeper({ ports: [`127.0.0.1:${port}:80`] }) } });
      await expectContractError(portClash, 409, new RegExp(`${port}`));
      const strangerName = (await stranger.inspect()).Name.slice(1);
      const nameClash = await api('POST', '/api/services', { name: uniqueName('nc'), services: { a: sleeper({ container_name: strangerName }) } });
      await expectContractError(nameClash, 409, /Capstan does not manage/);
      expect((await api('GET', '/api/services')).json).toEqual([]);
    } finally {
      await stranger.remove({ force: true });
    }
  });
});

describe('a deploy that fails half-way', () => {
  it('a bad image: status error with the reason, and what ran before keeps running', async () => {
    const name = uniqueName('badimg');
    const def = { name, services: { a: sleeper(), b: sleeper() } };
    const created = (await deploy('POST', '/api/services', def)).service;
    const before = created.containers.map((c: { container_id: string }) => c.container_id);
    def.services.b.image = `${inject('testEnv').registry}/capstan/does-not-exist:1`;
    const { res, deployment, service } = await deploy('PUT', `/api/services/${created.id}`, def);
    expect(res.status).toBe(200);
    expect(deployment.status).toBe('failed');
    expect(deployment.error).toMatchObject({ code: 'NOT_FOUND' });
    expect(service.status).toBe('error');
    expect(service.last_error).toMatchObject({ error: expect.stringMatching(/not found/), code: 'NOT_FOUND' });
    expect(service.last_error.details).toBeTruthy();
    expect(service.containers.map((c: { container_id: string }) => c.container_id)).toEqual(before);
    for (const id of before) expect((await inspect(docker, id)).State.Running).toBe(true);

    // Fixing the definition clears the error.
    def.services.b.image = image();
    const fixed = await deploy('PUT', `/api/services/${created.id}`, def);
    expect(fixed.service.status).toBe('running');
    expect(fixed.service.last_error).toBeNull();
    await api('DELETE', `/api/services/${created.id}?mode=hard`);
  });

  it('a port held by a process outside Docker: status error, and the old container is back', async () => {
    const name = uniqueName('held');
    const port = await freePort();
    const def: { name: string; services: { a: Record<string, unknown> } } = { name, services: { a: sleeper() } };
    const created = (await deploy('POST', '/api/services', def)).service;
    const oldId = created.containers[0].container_id;
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(port, '127.0.0.1', r));
    try {
      def.services.a.ports = [`127.0.0.1:${port}:80`];
      const { service } = await deploy('PUT', `/api/services/${created.id}`, def);
      expect(service.status).toBe('error');
      expect(service.last_error).toMatchObject({ error: 'Port already allocated', code: 'CONFLICT' });
      expect(service.containers[0].container_id).toBe(oldId);
      expect((await inspect(docker, oldId)).State.Running).toBe(true);
      expect((await projectContainers(docker, name)).length).toBe(1);
    } finally {
      holder.close();
      await api('DELETE', `/api/services/${created.id}?mode=hard`);
    }
  });
});
