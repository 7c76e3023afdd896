import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, inspect, testDocker, uniqueName } from '../helpers/engine.js';
import { makeRepo, startGitDaemon } from '../helpers/git-server.js';
import { httpRequest, useServer, type TestResponse } from '../helpers/server.js';

// App templates through the apps API: the built-in catalogue, an import of a
// Portainer App Templates document (v3, as the published lists are written),
// deploys of an imported container template, an imported compose stack (its
// file fetched from a real git server on 127.0.0.1) and a built-in template.

const ctx = useServer();
const docker = testDocker();
const env = () => inject('testEnv');
let gitBase: string;
let git: Awaited<ReturnType<typeof startGitDaemon>>;
/** The built-in template deployed here names an upstream image: the test image is tagged so, so nothing is pulled. */
const GRAFANA = { repo: 'grafana/grafana', tag: '12.3.1' };

beforeAll(async () => {
  gitBase = mkdtempSync(path.join(os.tmpdir(), 'capstan-templates-git-'));
  makeRepo(gitBase, 'stacks', {
    'stacks/ticker/docker-compose.yml': `services:\n  ticker:\n    image: ${env().image}\n    command: ["sleep", "86400"]\n    init: true\n    environment:\n      COLOR: \${COLOR}\n`,
  });
  git = await startGitDaemon(gitBase);
  await docker.getImage(env().httpdImage).tag(GRAFANA);
});
afterAll(async () => {
  git?.stop();
  rmSync(gitBase, { recursive: true, force: true });
  await docker.getImage(`${GRAFANA.repo}:${GRAFANA.tag}`).remove({ noprune: true }).catch(() => {});
});

function call(method: string, p: string, body?: unknown): Promise<TestResponse> {
  return httpRequest(ctx.s.url, method, p, { headers: { authorization: ctx.token }, ...(body === undefined ? {} : { body }) });
}

async function deployed(res: TestResponse) {
  expect(res.status, res.text).toBe(200);
  for (let i = 0; i < 600; i++) {
    const d = (await call('GET', `/api/appos/deployments?app_id=${res.json.id}`)).json.items.find((x: { id: string }) => x.id === res.json.deployment_id);
    if (d.status === 'failed') throw new Error(`deployment failed: ${JSON.stringify(d.error)}`);
    if (d.status === 'succeeded') return (await call('GET', `/api/appos/apps/${res.json.id}`)).json;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('deployment did not finish');
}

const portainerV3 = () => ({
  version: '3',
  templates: [
    {
      id: 1,
      type: 1,
      title: 'Echo Box',
      name: 'echobox',
      description: 'A container that says hello',
      categories: ['Tools'],
      platform: 'linux',
      logo: 'https://example.invalid/echo.png',
      image: env().image,
      command: 'sleep 86400',
      env: [
        { name: 'GREETING', label: 'Greeting', default: 'hello' },
        { name: 'MODE', label: 'Mode', select: [{ text: 'Production', value: 'prod', default: true }, { text: 'Test', value: 'test' }] },
        { name: 'FIXED', label: 'Fixed', default: 'always-this', preset: true },
      ],
      volumes: [{ container: '/data' }],
      restart_policy: 'unless-stopped',
      labels: [{ name: 'com.example.kind', value: 'echo' }],
    },
    {
      id: 2,
      type: 3,
      title: 'Ticker Stack',
      description: 'A compose stack from a git repository',
      categories: ['Tools'],
      platform: 'linux',
      repository: { url: git.url('stacks'), stackfile: 'stacks/ticker/docker-compose.yml' },
      env: [{ name: 'COLOR', label: 'Color', default: 'blue' }],
    },
    {
      id: 3,
      type: 2,
      title: 'Swarm Only',
      description: 'A swarm stack',
      repository: { url: git.url('stacks'), stackfile: 'stacks/ticker/docker-compose.yml' },
    },
    { id: 4, type: 1, title: 'Windows Thing', description: 'x', platform: 'windows', image: 'mcr.microsoft.com/windows:ltsc' },
  ],
});

describe('app templates', () => {
  let imported: Record<string, string>;

  it('lists the built-in catalogue with its variables', async () => {
    const res = await call('GET', '/api/appos/templates');
    expect(res.status, res.text).toBe(200);
    const builtin = res.json.items.filter((t: { source: string }) => t.source === 'builtin');
    expect(builtin.length).toBeGreaterThanOrEqual(12);
    for (const t of builtin) {
      expect(t).toMatchObject({ id: expect.stringMatching(/^[a-z0-9-]+$/), title: expect.any(String), description: expect.any(String) });
      for (const v of t.variables) expect(v).toMatchObject({ name: expect.any(String), label: expect.any(String), default: expect.any(String), secret: expect.any(Boolean) });
    }
    const grafana = builtin.find((t: { id: string }) => t.id === 'grafana');
    expect(grafana.variables.find((v: { name: string }) => v.name === 'ADMIN_PASSWORD')).toMatchObject({ secret: true, default: '' });
    // The compose text is not part of the listing.
    expect(JSON.stringify(res.json)).not.toContain('services:');
  });

  it('imports a Portainer v3 document: the container and compose-stack templates, reporting the rest', async () => {
    const res = await call('POST', '/api/appos/templates/import', portainerV3());
    expect(res.status, res.text).toBe(200);
    expect(res.json.imported).toBe(2);
    expect(res.json.skipped.map((s: { title: string }) => s.title).sort()).toEqual(['Swarm Only', 'Windows Thing']);
    for (const s of res.json.skipped) expect(s.reason).toMatch(/\w{4,}/);
    const list = (await call('GET', '/api/appos/templates')).json.items;
    const byTitle = (title: string) => list.find((t: { title: string }) => t.title === title);
    expect(byTitle('Echo Box')).toMatchObject({ source: 'imported', categories: ['Tools'], logo: 'https://example.invalid/echo.png' });
    expect(byTitle('Echo Box').variables.map((v: { name: string }) => v.name)).toEqual(['GREETING', 'MODE']);
    expect(byTitle('Echo Box').variables[1].options.map((o: { value: string }) => o.value)).toEqual(['prod', 'test']);
    imported = { echo: byTitle('Echo Box').id, stack: byTitle('Ticker Stack').id };
    // The same document again replaces, not duplicates.
    const again = await call('POST', '/api/appos/templates/import', portainerV3());
    expect(again.json.imported).toBe(2);
    expect((await call('GET', '/api/appos/templates')).json.items.filter((t: { title: string }) => t.title === 'Echo Box')).toHaveLength(1);
  });

  it('deploys an imported container template with a given variable; its .env holds the values', async () => {
    const name = uniqueName('echo');
    const app = await deployed(await call('POST', '/api/appos/apps/deploy', { template: imported.echo, name, variables: { GREETING: 'bonjour' } }));
    expect(app.status).toBe('running');
    const c = await inspect(docker, app.containers[0].container_id);
    expect(c.Config.Env).toEqual(expect.arrayContaining(['GREETING=bonjour', 'MODE=prod', 'FIXED=always-this']));
    expect(c.Config.Labels['com.example.kind']).toBe('echo');
    expect(c.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    const envText = (await call('GET', `/api/appos/apps/${app.id}/env`)).json.env;
    expect(envText).toMatch(/^GREETING=bonjour$/m);
    expect(envText).toMatch(/^MODE=prod$/m);
  });

  it('deploys an imported compose stack, its file fetched from the git repository', async () => {
    const name = uniqueName('ticker');
    const app = await deployed(await call('POST', '/api/appos/apps/deploy', { template: imported.stack, name, variables: { COLOR: 'green' } }));
    expect(app.status).toBe('running');
    expect((await inspect(docker, app.containers[0].container_id)).Config.Env).toContain('COLOR=green');
    expect((await call('GET', `/api/appos/apps/${app.id}/compose`)).json.compose).toContain('COLOR: ${COLOR}');
  });

  it('deploys a built-in template, generating its secret into the .env', async () => {
    const name = uniqueName('grafana');
    const port = await freePort();
    const res = await call('POST', '/api/appos/apps/deploy', { template: 'grafana', name, variables: { HTTP_PORT: port, ADMIN_USER: 'root' } });
    expect(res.json.generated).toEqual(['ADMIN_PASSWORD']);
    const app = await deployed(res);
    const c = await inspect(docker, app.containers[0].container_id);
    const password = c.Config.Env.find((e: string) => e.startsWith('GF_SECURITY_ADMIN_PASSWORD='))!.split('=')[1]!;
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(c.Config.Env).toContain('GF_SECURITY_ADMIN_USER=root');
    expect(c.HostConfig.PortBindings['3000/tcp'][0].HostPort).toBe(String(port));
    expect((await call('GET', `/api/appos/apps/${app.id}/env`)).json.env).toContain(`ADMIN_PASSWORD=${password}`);
    // The secret is not in the audit log.
    const audit = await ctx.s.request('GET', '/api/audit?action=service.create&limit=50', { token: ctx.token });
    expect(audit.text).not.toContain(password);
    expect(audit.json.entries.find((e: { details: { name?: string } }) => e.details.name === name).details).toMatchObject({ template: 'grafana', generated: ['ADMIN_PASSWORD'] });
  });

  it('refuses bad input with a 400 in the apps error shape, and creates nothing', async () => {
    const before = { apps: (await call('GET', '/api/appos/apps')).json.items.length, templates: (await call('GET', '/api/appos/templates')).json.items.length };
    const expect400 = (res: TestResponse, details: RegExp) => {
      expect(res.status, res.text).toBe(400);
      expect(res.json).toMatchObject({ code: 400, message: expect.any(String), data: { code: 'BAD_REQUEST', details: expect.stringMatching(details) } });
    };
    expect400(await call('POST', '/api/appos/apps/deploy', { template: 'no-such-template', name: uniqueName('x') }), /template/);
    expect400(await call('POST', '/api/appos/apps/deploy', { template: imported.stack, name: uniqueName('x'), variables: { NOPE: '1' } }), /variables\.NOPE/);
    expect400(await call('POST', '/api/appos/apps/deploy', { template: imported.echo, name: uniqueName('x'), variables: { MODE: 'chaos' } }), /variables\.MODE/);
    expect400(await call('POST', '/api/appos/apps/deploy', { template: imported.echo, name: uniqueName('x'), compose: 'services: {}' }), /either/);
    expect400(await call('POST', '/api/appos/templates/import', { version: '3', templates: [{ type: 1, title: 'x', ports: [80] }] }), /templates\.0\.ports\.0/);
    expect400(await call('POST', '/api/appos/templates/import', { version: '9', templates: [] }), /version/);
    expect400(await call('POST', '/api/appos/templates/import', { templates: 'nope' }), /version|templates/);
    const huge = { version: '3', templates: Array.from({ length: 3000 }, (_, i) => ({ type: 1, title: `t${i}`, description: 'x'.repeat(400), image: 'a:1' })) };
    const big = await call('POST', '/api/appos/templates/import', huge);
    expect(big.status, big.text.slice(0, 200)).toBe(400);
    expect(big.json).toMatchObject({ code: 400, data: { code: 'BAD_REQUEST' } });
    const malformed = await httpRequest(ctx.s.url, 'POST', '/api/appos/templates/import', { headers: { authorization: ctx.token, 'content-type': 'application/json' }, rawBody: '{"version": "3", "templates": [' });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ code: 400, data: { code: 'BAD_REQUEST' } });
    expect((await call('GET', '/api/appos/apps')).json.items.length).toBe(before.apps);
    expect((await call('GET', '/api/appos/templates')).json.items.length).toBe(before.templates);
  });

  it('removes an imported template, never a built-in one', async () => {
    expect((await call('DELETE', `/api/appos/templates/${imported.echo}`)).status).toBe(200);
    expect((await call('DELETE', `/api/appos/templates/${imported.echo}`)).status).toBe(404);
    const builtin = await call('DELETE', '/api/appos/templates/grafana');
    expect(builtin.status).toBe(400);
    expect((await call('GET', '/api/appos/templates')).json.items.map((t: { id: string }) => t.id)).toContain('grafana');
  });
});
