import { describe, expect, inject, it } from 'vitest';
import { inspect, projectContainers, testDocker, uniqueName, volumeExists } from '../helpers/engine.js';
import { openSse } from '../helpers/sse.js';
import { httpRequest, useServer, type TestResponse } from '../helpers/server.js';

// The apps API driven as a client written against the Docker Operations API
// drives it: `Authorization: <token>` (no scheme), its paths, its error body,
// and deployment status read from /api/appos/deployments. Real engine.

const ctx = useServer();
const docker = testDocker();

/** The apps API's way: the bare token. */
function call(method: string, path: string, body?: unknown): Promise<TestResponse> {
  return httpRequest(ctx.s.url, method, path, { headers: { authorization: ctx.token }, ...(body === undefined ? {} : { body }) });
}

async function deploymentDone(appId: string, deploymentId: string): Promise<any> {
  for (let i = 0; i < 600; i++) {
    const res = await call('GET', `/api/appos/deployments?app_id=${appId}`);
    expect(res.status, res.text).toBe(200);
    const d = res.json.items.find((x: { id: string }) => x.id === deploymentId);
    expect(d, `deployment ${deploymentId} listed`).toBeDefined();
    if (d.status === 'succeeded' || d.status === 'failed') return d;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`deployment ${deploymentId} did not finish`);
}

const compose = (label: string) => `# an app
services:
  app:
    image: ${inject('testEnv').image}
    command: ["sh", "-c", "while true; do echo tick $$GREETING; sleep 0.2; done"]
    init: true
    environment:
      GREETING: \${GREETING}
      MODE: prod
    labels:
      version: "${label}"
    volumes:
      - data:/data
volumes:
  data: {}
`;

const isAppsError = (body: any, status: number, code: string) =>
  body && body.code === status && typeof body.message === 'string' && body.data?.code === code && Object.keys(body).sort().join() === 'code,data,message';

describe('the apps API, as a Docker Operations API client uses it', () => {
  const name = uniqueName('appos');
  let id: string;
  let containerId: string;

  it('deploys from compose text and .env, and the deployment is followed to success', async () => {
    const res = await call('POST', '/api/appos/apps/deploy', { name, compose: compose('1'), env: 'GREETING=hello\n' });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ id: expect.any(String), name, deployment_id: expect.any(String), status: 'deploying', warnings: [] });
    id = res.json.id;
    const d = await deploymentDone(id, res.json.deployment_id);
    expect(d).toMatchObject({ status: 'succeeded', kind: 'create', service_id: id });
    const app = await call('GET', `/api/appos/apps/${id}`);
    expect(app.json).toMatchObject({ id, name, status: 'running' });
    containerId = app.json.containers[0].container_id;
    expect((await inspect(docker, containerId)).Config.Env).toContain('GREETING=hello');
    const all = await call('GET', '/api/appos/apps');
    expect(all.json.items.map((a: { id: string }) => a.id)).toContain(id);
  });

  it('stops, starts and restarts, each answering with its deployment after the work', async () => {
    const stop = await call('POST', `/api/appos/apps/${id}/stop`);
    expect(stop.status, stop.text).toBe(200);
    expect(stop.json).toEqual({ success: true, deployment_id: expect.any(String) });
    expect((await inspect(docker, containerId)).State.Running).toBe(false);
    expect((await deploymentDone(id, stop.json.deployment_id)).kind).toBe('stop');

    const start = await call('POST', `/api/appos/apps/${id}/start`);
    expect(start.status, start.text).toBe(200);
    expect((await inspect(docker, containerId)).State.Running).toBe(true);
    const startedAt = (await inspect(docker, containerId)).State.StartedAt;

    const restart = await call('POST', `/api/appos/apps/${id}/restart`);
    expect(restart.status, restart.text).toBe(200);
    expect((await deploymentDone(id, restart.json.deployment_id)).kind).toBe('restart');
    const after = await inspect(docker, containerId);
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(startedAt);
  });

  it('reads and replaces the .env text, and sets per-container values', async () => {
    const env = await call('GET', `/api/appos/apps/${id}/env`);
    expect(env.status, env.text).toBe(200);
    expect(env.json).toEqual({ env: 'GREETING=hello\n', environment: { app: { GREETING: 'hello', MODE: 'prod' } } });

    const put = await call('PUT', `/api/appos/apps/${id}/env`, { env: 'GREETING=bonjour\n' });
    expect(put.status, put.text).toBe(200);
    expect(put.json).toMatchObject({ id, deployment_id: expect.any(String) });
    await deploymentDone(id, put.json.deployment_id);
    const recreated = (await call('GET', `/api/appos/apps/${id}`)).json.containers[0].container_id;
    expect(recreated).not.toBe(containerId);
    expect((await inspect(docker, recreated)).Config.Env).toContain('GREETING=bonjour');
    // The compose file is untouched by a .env change.
    expect((await call('GET', `/api/appos/apps/${id}/compose`)).json.compose).toBe(compose('1'));

    // As PUT /api/services/{id}/env: the named container's whole environment.
    const map = await call('PUT', `/api/appos/apps/${id}/env`, { environment: { app: { GREETING: 'bonjour', MODE: 'staging' } } });
    expect(map.status, map.text).toBe(200);
    await deploymentDone(id, map.json.deployment_id);
    const c = (await call('GET', `/api/appos/apps/${id}`)).json.containers[0].container_id;
    expect((await inspect(docker, c)).Config.Env).toEqual(expect.arrayContaining(['MODE=staging', 'GREETING=bonjour']));
    containerId = c;
  });

  it('reads and replaces the compose file', async () => {
    const before = await call('GET', `/api/appos/apps/${id}/compose`);
    expect(before.status).toBe(200);
    expect(before.json.compose).toContain('MODE: staging');
    const next = before.json.compose.replace('version: "1"', 'version: "2"');
    const put = await call('PUT', `/api/appos/apps/${id}/compose`, { compose: next });
    expect(put.status, put.text).toBe(200);
    await deploymentDone(id, put.json.deployment_id);
    expect((await call('GET', `/api/appos/apps/${id}/compose`)).json.compose).toBe(next);
    const c = (await call('GET', `/api/appos/apps/${id}`)).json.containers[0].container_id;
    expect((await inspect(docker, c)).Config.Labels.version).toBe('2');
    containerId = c;
  });

  it('gives logs as JSON, and as a live event stream with follow=1', async () => {
    const json = await call('GET', `/api/appos/apps/${id}/logs?tail=5`);
    expect(json.status, json.text).toBe(200);
    expect(json.json.lines.length).toBeGreaterThan(0);
    expect(json.json.lines[0]).toMatchObject({ container: expect.any(String), stream: 'stdout', message: expect.stringMatching(/^tick bonjour/) });

    const live = await openSse(new URL(`/api/appos/apps/${id}/logs?follow=1&tail=2`, ctx.s.url).href, { authorization: ctx.token });
    try {
      expect(live.status).toBe(200);
      expect(live.contentType).toMatch(/^text\/event-stream/);
      await live.waitFor((_e, all) => all.filter((e) => e.event === 'log').length >= 6);
      const logs = live.events.filter((e) => e.event === 'log');
      expect(logs.every((e) => e.id && e.json.message.startsWith('tick bonjour'))).toBe(true);
      // Resume after the third line: the next line is the fourth's successor, nothing repeated.
      const resume = await openSse(new URL(`/api/appos/apps/${id}/logs?follow=1`, ctx.s.url).href, { authorization: ctx.token, 'last-event-id': logs[2]!.id! });
      try {
        const first = await resume.waitFor((e) => e.event === 'log');
        expect(first.json.timestamp > logs[2]!.json.timestamp).toBe(true);
      } finally {
        resume.close();
      }
    } finally {
      live.close();
    }
  });

  it('answers errors in its own shape with the API\'s statuses, and changes nothing', async () => {
    const missing = await call('POST', '/api/appos/apps/nope123/restart');
    expect(missing.status).toBe(404);
    expect(isAppsError(missing.json, 404, 'NOT_FOUND'), missing.text).toBe(true);

    const anon = await httpRequest(ctx.s.url, 'GET', '/api/appos/apps');
    expect(anon.status).toBe(401);
    expect(isAppsError(anon.json, 401, 'UNAUTHORIZED'), anon.text).toBe(true);

    const neither = await call('POST', '/api/appos/apps/deploy', { name: uniqueName('x') });
    expect(neither.status).toBe(400);
    expect(isAppsError(neither.json, 400, 'BAD_REQUEST'), neither.text).toBe(true);
    expect(neither.json.data.details).toMatch(/compose/);

    const badYaml = await call('POST', '/api/appos/apps/deploy', { name: uniqueName('x'), compose: 'services:\n  a:\n    image: [\n' });
    expect(badYaml.status).toBe(400);
    expect(badYaml.json.data.details).toMatch(/line/);

    const dup = await call('POST', '/api/appos/apps/deploy', { name, compose: compose('1') });
    expect(dup.status).toBe(409);
    expect(isAppsError(dup.json, 409, 'CONFLICT'), dup.text).toBe(true);

    const route = await call('GET', '/api/appos/nothing-here');
    expect(route.status).toBe(404);
    expect(isAppsError(route.json, 404, 'NOT_FOUND'), route.text).toBe(true);

    const malformed = await httpRequest(ctx.s.url, 'POST', '/api/appos/apps/deploy', { headers: { authorization: ctx.token, 'content-type': 'application/json' }, rawBody: '{"name":' });
    expect(malformed.status).toBe(400);
    expect(isAppsError(malformed.json, 400, 'BAD_REQUEST'), malformed.text).toBe(true);

    // Other routes keep {error, details, code}; Bearer works here too.
    const other = await ctx.s.request('GET', '/api/services/nope123', { token: ctx.token });
    expect(other.json).toMatchObject({ error: expect.any(String), code: 'NOT_FOUND' });
    const bearer = await ctx.s.request('GET', '/api/appos/apps', { token: ctx.token });
    expect(bearer.status).toBe(200);
    // The bare token is for the apps API's routes only.
    const bareElsewhere = await httpRequest(ctx.s.url, 'GET', '/api/services', { headers: { authorization: ctx.token } });
    expect(bareElsewhere.status).toBe(401);

    const apps = (await call('GET', '/api/appos/apps')).json.items.map((a: { name: string }) => a.name);
    expect(apps.filter((n: string) => n !== name && n.startsWith('x-'))).toEqual([]);
  });

  it('soft-deletes (volumes kept), then a redeploy and a hard delete remove the volumes too', async () => {
    const volume = `${name}_data`;
    const soft = await call('DELETE', `/api/appos/apps/${id}`);
    expect(soft.status, soft.text).toBe(200);
    expect(soft.json).toEqual({ success: true });
    expect(await projectContainers(docker, name)).toEqual([]);
    expect(await volumeExists(docker, volume)).toBe(true);
    expect((await call('GET', `/api/appos/apps/${id}`)).status).toBe(404);

    const again = await call('POST', '/api/appos/apps/deploy', { name, compose: compose('3'), env: 'GREETING=again\n' });
    expect(again.status, again.text).toBe(200);
    await deploymentDone(again.json.id, again.json.deployment_id);
    const hard = await call('DELETE', `/api/appos/apps/${again.json.id}?mode=hard`);
    expect(hard.status, hard.text).toBe(200);
    expect(await projectContainers(docker, name)).toEqual([]);
    expect(await volumeExists(docker, volume)).toBe(false);
    const list = await call('GET', '/api/appos/deployments');
    expect(list.json.items.filter((d: { service_name: string }) => d.service_name === name).map((d: { kind: string }) => d.kind)).toEqual(
      expect.arrayContaining(['create', 'stop', 'start', 'restart', 'env', 'update', 'delete']),
    );
  });
});
