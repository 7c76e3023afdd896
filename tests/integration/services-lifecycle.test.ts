import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { inject } from 'vitest';
import { freePort, inspect, networkExists, projectContainers, testDocker, uniqueName, volumeExists } from '../helpers/engine.js';
import { deployAndWait, useServer, waitForDeployment } from '../helpers/server.js';

const ctx = useServer();
const docker = testDocker();
const env = () => inject('testEnv');

function blog(name: string, port: number) {
  return {
    name,
    services: {
      db: {
        image: env().image,
        command: ['sleep', '86400'],
        environment: { DB_PASSWORD: 'Sup3r-Secret-Db-Value' },
        volumes: ['dbdata:/data'],
        restart: 'unless-stopped',
      },
      web: {
        image: env().httpdImage,
        container_name: `${name}-web`,
        ports: [`127.0.0.1:${port}:80`],
        environment: ['GREETING=hello', 'MODE=prod'],
        depends_on: ['db'],
        restart: 'always',
      },
    },
  };
}

async function api(method: string, path: string, body?: unknown) {
  return ctx.s.request(method, path, { token: ctx.token, ...(body === undefined ? {} : { body }) });
}

const deploy = (method: string, path: string, body?: unknown) => deployAndWait(ctx.s, ctx.token, method, path, body);

const byService = (svc: { containers: { service: string; container_id: string | null }[] }) =>
  Object.fromEntries(svc.containers.map((c) => [c.service, c.container_id]));

describe('a two-container service on the real engine', () => {
  const name = uniqueName('blog');
  let port: number;
  let id: string;

  it('is created, deployed in depends_on order, labelled like compose, and answers HTTP', async () => {
    port = await freePort();
    const { res: created, deployment, service: res } = await deploy('POST', '/api/services', blog(name, port));
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ name, status: 'deploying', deployment_id: expect.any(String) });
    expect(deployment).toMatchObject({ status: 'succeeded', kind: 'create', actor: 'admin', error: null });
    expect(deployment.steps.map((s: { action: string; target: string }) => `${s.action} ${s.target}`)).toEqual(
      expect.arrayContaining([`create ${name}-db-1`, `start ${name}-db-1`, `create ${name}-web`, `start ${name}-web`]),
    );
    id = res.id;
    const json = res;
    expect(json).toMatchObject({ name, status: 'running', last_error: null });
    expect(json.containers.map((c: { name: string; status: string }) => [c.name, c.status])).toEqual([
      [`${name}-db-1`, 'running'],
      [`${name}-web`, 'running'],
    ]);
    expect(json.definition.services.web.environment).toEqual({ GREETING: 'hello', MODE: 'prod' });

    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);

    const [db, web] = await Promise.all(json.containers.map((c: { container_id: string }) => inspect(docker, c.container_id)));
    expect(Date.parse(db!.State.StartedAt)).toBeLessThanOrEqual(Date.parse(web!.State.StartedAt));
    for (const [c, key] of [[db!, 'db'], [web!, 'web']] as const) {
      expect(c.Config.Labels).toMatchObject({
        'com.docker.compose.project': name,
        'com.docker.compose.service': key,
        'io.capstan.service-id': id,
      });
      expect(Object.keys(c.NetworkSettings.Networks)).toEqual([`${name}_default`]);
    }
    expect(web!.NetworkSettings.Networks[`${name}_default`]!.Aliases).toEqual(expect.arrayContaining(['web']));
    expect(db!.Config.Env).toContain('DB_PASSWORD=Sup3r-Secret-Db-Value');
    expect(db!.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect(db!.Mounts.find((m: { Destination: string }) => m.Destination === '/data')?.Name).toBe(`${name}_dbdata`);

    const network = await docker.getNetwork(`${name}_default`).inspect();
    expect(network.Labels).toMatchObject({ 'com.docker.compose.project': name, 'io.capstan.service-id': id });
    const volume = await docker.getVolume(`${name}_dbdata`).inspect();
    expect(volume.Labels).toMatchObject({ 'com.docker.compose.project': name, 'com.docker.compose.volume': 'dbdata' });
  });

  it('is listed, and shown by health', async () => {
    const list = await api('GET', '/api/services');
    expect(list.json.find((s: { id: string }) => s.id === id)?.status).toBe('running');
    const health = await api('GET', '/api/health/status');
    expect(health.json.services).toContainEqual({ id, name, engine_id: 'local', status: 'running' });
  });

  it('stops (reverse order), starts and restarts', async () => {
    expect((await api('POST', `/api/services/${id}/stop`)).json).toEqual({ success: true });
    const stopped = await api('GET', `/api/services/${id}`);
    expect(stopped.json.status).toBe('stopped');
    expect(stopped.json.containers.every((c: { status: string }) => c.status === 'exited')).toBe(true);

    expect((await api('POST', `/api/services/${id}/start`)).status).toBe(200);
    const started = await api('GET', `/api/services/${id}`);
    expect(started.json.status).toBe('running');
    const webId = byService(started.json).web!;
    const before = (await inspect(docker, webId)).State.StartedAt;

    expect((await api('POST', `/api/services/${id}/restart`)).status).toBe(200);
    const after = await inspect(docker, webId);
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(before);
  });

  it('stopping one container through the engine makes the service partial', async () => {
    const svc = await api('GET', `/api/services/${id}`);
    await docker.getContainer(byService(svc.json).web!).stop({ t: 1 });
    // The live view follows the engine's events: it catches up, it is not read synchronously.
    await expect.poll(async () => (await api('GET', `/api/services/${id}`)).json.status).toBe('partial');
    await api('POST', `/api/services/${id}/start`);
    expect((await api('GET', `/api/services/${id}`)).json.status).toBe('running');
  });

  it('env put recreates only the affected container and audits keys, never values', async () => {
    const before = byService((await api('GET', `/api/services/${id}`)).json);
    const { res: put, service } = await deploy('PUT', `/api/services/${id}/env`, { environment: { web: { GREETING: 'Changed-Env-Value-42', MODE: 'prod' } } });
    expect(put.status, put.text).toBe(200);
    const after = byService(service);
    expect(after.db).toBe(before.db);
    expect(after.web).not.toBe(before.web);
    expect((await inspect(docker, after.web!)).Config.Env).toContain('GREETING=Changed-Env-Value-42');
    const env = await api('GET', `/api/services/${id}/env`);
    expect(env.json.environment).toEqual({
      db: { DB_PASSWORD: 'Sup3r-Secret-Db-Value' },
      web: { GREETING: 'Changed-Env-Value-42', MODE: 'prod' },
    });
    const audit = await ctx.s.app.database.client.execute("SELECT * FROM audit_log WHERE action = 'service.env'");
    expect(audit.rows).toHaveLength(1);
    expect(JSON.parse(String(audit.rows[0]!.details))).toMatchObject({ changed_keys: { web: ['GREETING'] } });
    const all = JSON.stringify((await ctx.s.app.database.client.execute('SELECT * FROM audit_log')).rows);
    expect(all).not.toContain('Changed-Env-Value-42');
    expect(all).not.toContain('Sup3r-Secret-Db-Value');
  });

  it("an update of one container's command leaves the other's container untouched", async () => {
    const current = (await api('GET', `/api/services/${id}`)).json;
    const before = byService(current);
    // The saved compose text, with one change: what a user editing the file does.
    const doc = parseDocument((await api('GET', `/api/services/${id}/yaml`)).json.yaml);
    doc.setIn(['services', 'db', 'command'], ['sleep', '86401']);
    const { service } = await deploy('PUT', `/api/services/${id}`, { yaml: doc.toString() });
    const after = byService(service);
    expect(after.db).not.toBe(before.db);
    expect(after.web).toBe(before.web);
    expect((await inspect(docker, after.db!)).Config.Cmd).toEqual(['sleep', '86401']);
  });

  it('applying the same definition again changes nothing', async () => {
    const current = (await api('GET', `/api/services/${id}`)).json;
    const { yaml } = (await api('GET', `/api/services/${id}/yaml`)).json;
    const updated = await deploy('PUT', `/api/services/${id}`, { yaml });
    expect(byService(updated.service)).toEqual(byService(current));
    expect(updated.deployment.steps).toEqual([]);
    const again = await deploy('POST', `/api/services/${id}/redeploy`);
    expect(again.service.status).toBe('running');
    expect(again.deployment.steps).toEqual([]);
    expect(byService(again.service)).toEqual(byService(current));
  });

  it('exports its definition as compose YAML', async () => {
    const res = await api('GET', `/api/services/${id}/yaml`);
    expect(res.status).toBe(200);
    expect(res.json.yaml).toMatch(/^services:|\nservices:/m);
    expect(res.json.yaml).toContain('sleep');
  });

  it('soft delete removes containers and network but keeps the named volume', async () => {
    const res = await api('DELETE', `/api/services/${id}`);
    expect(res.json).toEqual({ success: true });
    expect(await projectContainers(docker, name)).toEqual([]);
    expect(await networkExists(docker, `${name}_default`)).toBe(false);
    expect(await volumeExists(docker, `${name}_dbdata`)).toBe(true);
    expect((await api('GET', `/api/services/${id}`)).status).toBe(404);
    await docker.getVolume(`${name}_dbdata`).remove();
  });
});

describe('hard delete and YAML', () => {
  it('a service created from compose YAML over tRPC, hard-deleted with its volume', async () => {
    const name = uniqueName('yaml');
    const yaml = `services:\n  app:\n    image: ${env().image}\n    command: ["sleep", "86400"]\n    volumes:\n      - appdata:/data\nvolumes:\n  appdata: {}\n`;
    const created = await ctx.s.request('POST', '/trpc/services.create', { token: ctx.token, body: { name, yaml } });
    expect(created.status, created.text).toBe(200);
    const svc = created.json.result.data;
    expect((await waitForDeployment(ctx.s, ctx.token, svc.deployment_id)).status).toBe('succeeded');
    expect(await volumeExists(docker, `${name}_appdata`)).toBe(true);
    const del = await ctx.s.request('DELETE', `/api/services/${svc.id}?mode=hard`, { token: ctx.token });
    expect(del.json).toEqual({ success: true });
    expect(await volumeExists(docker, `${name}_appdata`)).toBe(false);
    expect(await projectContainers(docker, name)).toEqual([]);
  });
});
