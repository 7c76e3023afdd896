import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { migrationsFolder } from '../../src/db/migrate.js';
import { inspect, projectContainers, testDocker, uniqueName } from '../helpers/engine.js';
import { deployAndWait, isContractError, newDataDir, startTestServer, useServer, waitForDeployment } from '../helpers/server.js';

// The storage side of compose projects: one folder per service under
// CAPSTAN_PROJECTS_DIR, written only after the definition is checked, read at
// every apply, bounded and confined to itself.

const ctx = useServer();
const docker = testDocker();
const image = () => inject('testEnv').image;

const api = (method: string, pathname: string, body?: unknown) =>
  ctx.s.request(method, pathname, { token: ctx.token, ...(body === undefined ? {} : { body }) });
const deploy = (method: string, pathname: string, body?: unknown) => deployAndWait(ctx.s, ctx.token, method, pathname, body);
const folderOf = (name: string) => path.join(ctx.s.config.projectsDir, name);

/** Every file under a folder with its bytes and mode: "byte-identical" is this being equal. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string) => {
    for (const entry of readdirSync(abs).sort()) {
      const p = path.join(abs, entry);
      const r = rel ? `${rel}/${entry}` : entry;
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p, r);
      else out[r] = `${(st.mode & 0o777).toString(8)} ${st.isSymbolicLink() ? 'link' : readFileSync(p).toString('base64')}`;
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out;
}

const COMPOSE = (img: string) => `# The app, as its README says to run it
name: will-be-replaced
x-common: &common
  image: ${img}
  restart: unless-stopped

services:
  app:
    <<: *common
    command: ["sleep", "86400"]   # keeps running
    environment:
      GREETING: \${GREETING:-hello}
      TOKEN: \${TOKEN}
`;

describe('a service is a project folder', () => {
  const name = uniqueName('files');
  const yaml = COMPOSE(image()).replace('will-be-replaced', name);
  let id: string;

  it('create writes compose.yaml verbatim and .env with mode 0600, and answers the warnings', async () => {
    const { res, deployment, service } = await deploy('POST', '/api/services', { name, yaml, env: 'TOKEN=Folder-Secret-1\n' });
    expect(res.status, res.text).toBe(201);
    expect(res.json.warnings).toEqual(expect.any(Array));
    expect(deployment.status).toBe('succeeded');
    id = service.id;
    expect(readFileSync(path.join(folderOf(name), 'compose.yaml'), 'utf8')).toBe(yaml);
    expect(readFileSync(path.join(folderOf(name), '.env'), 'utf8')).toBe('TOKEN=Folder-Secret-1\n');
    expect(statSync(path.join(folderOf(name), '.env')).mode & 0o777).toBe(0o600);
    expect((await api('GET', `/api/services/${id}/yaml`)).json).toEqual({ yaml });
    expect(service.definition.services.app.environment).toEqual({ GREETING: 'hello', TOKEN: 'Folder-Secret-1' });
    const c = await inspect(docker, service.containers[0].container_id);
    expect(c.Config.Env).toEqual(expect.arrayContaining(['GREETING=hello', 'TOKEN=Folder-Secret-1']));
    expect(c.Config.Labels['com.docker.compose.project.working_dir']).toBe(folderOf(name));
    expect(c.Config.Labels['com.docker.compose.project.config_files']).toBe(path.join(folderOf(name), 'compose.yaml'));
  });

  it('the deployment records the compose text and the hash of the .env, never the .env', async () => {
    const list = (await api('GET', `/api/services/${id}/deployments`)).json;
    const d = (await api('GET', `/api/deployments/${list[0].id}`)).json;
    expect(d.env_hash).toMatch(/^[0-9a-f]{64}$/);
    const compose = (await api('GET', `/api/deployments/${list[0].id}/compose`)).json;
    expect(compose).toEqual({ yaml, env_hash: d.env_hash });
    const rows = await ctx.s.app.database.client.execute('SELECT * FROM deployment');
    const audit = await ctx.s.app.database.client.execute('SELECT * FROM audit_log');
    const services = await ctx.s.app.database.client.execute('SELECT * FROM service');
    expect(JSON.stringify([rows.rows, audit.rows, services.rows])).not.toContain('Folder-Secret-1');
  });

  it('lists, reads, writes and deletes the files of the folder, auditing paths only', async () => {
    const put = await api('PUT', `/api/services/${id}/file`, { path: 'conf/app.ini', content: 'mode = Audit-Hidden-Content\n' });
    expect(put.status, put.text).toBe(200);
    expect(put.json).toEqual({ success: true });
    expect(readFileSync(path.join(folderOf(name), 'conf/app.ini'), 'utf8')).toBe('mode = Audit-Hidden-Content\n');
    const list = (await api('GET', `/api/services/${id}/files`)).json;
    expect(list.truncated).toBe(false);
    expect(list.files.map((f: { path: string }) => f.path)).toEqual(['.env', 'compose.yaml', 'conf/app.ini']);
    expect(list.files[2]).toEqual({ path: 'conf/app.ini', size: 28, modified_at: expect.any(String) });
    expect((await api('GET', `/api/services/${id}/file?path=conf/app.ini`)).json).toEqual({ path: 'conf/app.ini', content: 'mode = Audit-Hidden-Content\n' });
    expect((await api('GET', `/api/services/${id}/file?path=.env`)).json.content).toBe('TOKEN=Folder-Secret-1\n');
    expect((await api('DELETE', `/api/services/${id}/file?path=conf/app.ini`)).json).toEqual({ success: true });
    expect(existsSync(path.join(folderOf(name), 'conf/app.ini'))).toBe(false);
    expect((await api('GET', `/api/services/${id}/file?path=conf/app.ini`)).status).toBe(404);

    const entries = (await ctx.s.app.database.client.execute("SELECT action, details FROM audit_log WHERE action LIKE 'service.file_%'")).rows;
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['service.file_write', 'service.file_list', 'service.file_read', 'service.file_delete']));
    expect(entries.find((e) => e.action === 'service.file_write')!.details).toContain('conf/app.ini');
    expect(JSON.stringify(entries)).not.toContain('Audit-Hidden-Content');
    expect(JSON.stringify(entries)).not.toContain('Folder-Secret-1');
  });

  it('refuses paths leaving the folder, symlinks leading out, and files too large, and writes nothing', async () => {
    const outside = path.join(os.tmpdir(), uniqueName('outside'));
    mkdirSync(outside, { recursive: true });
    writeFileSync(path.join(outside, 'secret.txt'), 'outside-secret');
    symlinkSync(outside, path.join(folderOf(name), 'escape'));
    symlinkSync(path.join(outside, 'secret.txt'), path.join(folderOf(name), 'link.txt'));
    const before = snapshot(folderOf(name));
    const outsideBefore = snapshot(outside);
    const cases: [string, string, unknown][] = [
      ['PUT', `/api/services/${id}/file`, { path: '../evil.txt', content: 'x' }],
      ['PUT', `/api/services/${id}/file`, { path: 'a/../../evil.txt', content: 'x' }],
      ['PUT', `/api/services/${id}/file`, { path: '/tmp/evil.txt', content: 'x' }],
      ['PUT', `/api/services/${id}/file`, { path: 'nul\u0000.txt', content: 'x' }],
      ['PUT', `/api/services/${id}/file`, { path: 'escape/evil.txt', content: 'x' }],
      ['PUT', `/api/services/${id}/file`, { path: 'link.txt', content: 'x' }],
      ['PUT', `/api/services/${id}/file`, { path: 'big.bin', content: 'x'.repeat(512 * 1024 + 1) }],
      ['PUT', `/api/services/${id}/file`, { path: 'compose.yaml/inside-a-file', content: 'x' }],
      ['GET', `/api/services/${id}/file?path=escape/secret.txt`, undefined],
      ['GET', `/api/services/${id}/file?path=${encodeURIComponent('../files/compose.yaml')}`, undefined],
      ['DELETE', `/api/services/${id}/file?path=link.txt`, undefined],
      ['DELETE', `/api/services/${id}/file?path=compose.yaml`, undefined],
    ];
    for (const [method, p, body] of cases) {
      const res = await api(method, p, body);
      expect(res.status, `${method} ${p}: ${res.text}`).toBe(400);
      expect(isContractError(res.json), res.text).toBe(true);
      expect(res.json.details).toMatch(/path|content/);
    }
    expect(snapshot(folderOf(name))).toEqual(before);
    expect(snapshot(outside)).toEqual(outsideBefore);
    expect(readdirSync(path.dirname(folderOf(name)))).not.toContain('evil.txt');
  });

  it('a compose.yaml or .env written through the file route is validated like PUT, and not deployed', async () => {
    const before = snapshot(folderOf(name));
    const bad = await api('PUT', `/api/services/${id}/file`, { path: 'compose.yaml', content: 'services:\n  app:\n    image: x\n    build: .\n' });
    expect(bad.status, bad.text).toBe(400);
    expect(bad.json.details).toMatch(/line 4/);
    const badEnv = await api('PUT', `/api/services/${id}/file`, { path: '.env', content: 'TOKEN="unterminated\n' });
    expect(badEnv.status, badEnv.text).toBe(400);
    expect(snapshot(folderOf(name))).toEqual(before);

    const deploymentsBefore = (await api('GET', `/api/services/${id}/deployments`)).json.length;
    const good = await api('PUT', `/api/services/${id}/file`, { path: '.env', content: 'TOKEN=Folder-Secret-2\n' });
    expect(good.status, good.text).toBe(200);
    expect(statSync(path.join(folderOf(name), '.env')).mode & 0o777).toBe(0o600);
    expect((await api('GET', `/api/services/${id}/deployments`)).json.length).toBe(deploymentsBefore);
    // Shown at once as the definition; applied by the next deploy.
    expect((await api('GET', `/api/services/${id}`)).json.definition.services.app.environment.TOKEN).toBe('Folder-Secret-2');
  });

  it('a file edited on the host is applied by the next deploy', async () => {
    writeFileSync(path.join(folderOf(name), 'compose.yaml'), yaml.replace('hello', 'from-the-host'));
    const { deployment, service } = await deploy('POST', `/api/services/${id}/redeploy`);
    expect(deployment.status).toBe('succeeded');
    const c = await inspect(docker, service.containers[0].container_id);
    expect(c.Config.Env).toEqual(expect.arrayContaining(['GREETING=from-the-host', 'TOKEN=Folder-Secret-2']));
    expect((await api('GET', `/api/deployments/${deployment.id}/compose`)).json.yaml).toContain('from-the-host');
  });

  it('a previous version is restored from its deployment', async () => {
    const list = (await api('GET', `/api/services/${id}/deployments`)).json as { id: string; kind: string }[];
    const first = list.at(-1)!;
    expect(first.kind).toBe('create');
    const old = (await api('GET', `/api/deployments/${first.id}/compose`)).json;
    const { res, service } = await deploy('PUT', `/api/services/${id}`, { yaml: old.yaml, env: 'TOKEN=Folder-Secret-1\n' });
    expect(res.status).toBe(200);
    expect(readFileSync(path.join(folderOf(name), 'compose.yaml'), 'utf8')).toBe(yaml);
    const c = await inspect(docker, service.containers[0].container_id);
    expect(c.Config.Env).toEqual(expect.arrayContaining(['GREETING=hello', 'TOKEN=Folder-Secret-1']));
    const latest = (await api('GET', `/api/services/${id}/deployments`)).json[0];
    expect(latest.env_hash).toBe((await api('GET', `/api/deployments/${first.id}`)).json.env_hash);
  });

  it('a folder that no longer loads fails the next deploy clearly, without retrying', async () => {
    const good = readFileSync(path.join(folderOf(name), 'compose.yaml'), 'utf8');
    writeFileSync(path.join(folderOf(name), 'compose.yaml'), `${good}    ports: ["\${MISSING:?set MISSING in .env}"]\n`);
    const svc = (await api('GET', `/api/services/${id}`)).json;
    expect(svc.definition).toBeNull();
    expect(svc.definition_errors[0].message).toMatch(/MISSING/);
    const { deployment } = await deploy('POST', `/api/services/${id}/redeploy`);
    expect(deployment.status).toBe('failed');
    expect(deployment.attempts).toBe(1);
    expect(deployment.error).toMatchObject({ code: 'BAD_REQUEST', error: 'The project folder does not load' });
    expect(deployment.error.details).toMatch(/MISSING/);
    expect((await projectContainers(docker, name)).map((c) => c.State)).toEqual(['running']);
    writeFileSync(path.join(folderOf(name), 'compose.yaml'), good);
  });

  it('a soft delete keeps the folder under a name no service has; a new service of that name starts fresh', async () => {
    const res = await api('DELETE', `/api/services/${id}`);
    expect(res.json).toEqual({ success: true });
    expect(existsSync(folderOf(name))).toBe(false);
    const kept = readdirSync(ctx.s.config.projectsDir).filter((f) => f.startsWith(`${name}.deleted-`));
    expect(kept).toHaveLength(1);
    expect(readFileSync(path.join(ctx.s.config.projectsDir, kept[0]!, '.env'), 'utf8')).toBe('TOKEN=Folder-Secret-1\n');

    const again = await deploy('POST', '/api/services', { name, services: { app: { image: image(), command: ['sleep', '86400'] } } });
    expect(again.deployment.status).toBe('succeeded');
    expect(readFileSync(path.join(folderOf(name), '.env'), 'utf8')).toBe('');
    expect((await api('DELETE', `/api/services/${again.service.id}?mode=hard`)).json).toEqual({ success: true });
    expect(existsSync(folderOf(name))).toBe(false);
    expect(readdirSync(ctx.s.config.projectsDir).filter((f) => f.startsWith(`${name}.deleted-`))).toHaveLength(1);
  });
});

describe('bad input changes nothing on disk or on the engine', () => {
  it('an update that does not load leaves the folder byte for byte and the containers as they were', async () => {
    const name = uniqueName('intact');
    const { service } = await deploy('POST', '/api/services', { name, yaml: `services:\n  app:\n    image: ${image()}\n    command: ["sleep", "86400"]\n` });
    const before = snapshot(folderOf(name));
    const containerBefore = service.containers[0].container_id;
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const bodies = [
      { yaml: 'services:\n  app:\n    image: [unclosed\n' },
      { yaml: `services:\n  app:\n    image: ${image()}\n    ports: ["\${NOPE:?must be set}"]\n` },
      { yaml: `services:\n  app:\n    image: ${image()}\n    build: .\n` },
      { yaml: `services:\n  a:\n    image: ${image()}\n    depends_on: [b]\n  b:\n    image: ${image()}\n    depends_on: [a]\n` },
      { yaml: `${laughs.join('\n')}\nservices:\n  app:\n    image: ${image()}\n    labels: *i\n` },
      { yaml: `services:\n  app:\n    image: ${image()}\n    env_file: ../../../../etc/passwd\n` },
      { yaml: `services:\n  app:\n    image: ${image()}\n`, env: 'A="open\n' },
      { yaml: `services:\n  app:\n    image: ${image()}\n`, files: { '../escape.txt': 'x' } },
    ];
    for (const body of bodies) {
      const res = await api('PUT', `/api/services/${service.id}`, body);
      expect(res.status, `${JSON.stringify(body).slice(0, 120)}: ${res.text}`).toBe(400);
      expect(isContractError(res.json)).toBe(true);
      expect(snapshot(folderOf(name))).toEqual(before);
    }
    const after = (await api('GET', `/api/services/${service.id}`)).json;
    expect(after.containers[0].container_id).toBe(containerBefore);
    expect((await api('GET', `/api/services/${service.id}/deployments`)).json).toHaveLength(1);
    await api('DELETE', `/api/services/${service.id}?mode=hard`);
  });

  it('a create refused for a name already used writes nothing', async () => {
    const name = uniqueName('taken');
    const { service } = await deploy('POST', '/api/services', { name, yaml: `services:\n  app:\n    image: ${image()}\n    command: ["sleep", "86400"]\n` });
    const before = snapshot(folderOf(name));
    const res = await api('POST', '/api/services', { name, yaml: `services:\n  other:\n    image: ${image()}\n`, env: 'X=1\n' });
    expect(res.status).toBe(409);
    expect(snapshot(folderOf(name))).toEqual(before);
    await api('DELETE', `/api/services/${service.id}?mode=hard`);
  });
});

describe('services from before project folders', () => {
  it('are moved into their folder at start and keep working', async () => {
    const dataDir = newDataDir();
    // A database as the previous release left it: migrations up to 0005, a service with its JSON definition in the row.
    const old = path.join(dataDir, 'old-migrations');
    mkdirSync(path.join(old, 'meta'), { recursive: true });
    const journal = JSON.parse(readFileSync(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8'));
    journal.entries = journal.entries.filter((e: { idx: number }) => e.idx <= 5);
    writeFileSync(path.join(old, 'meta/_journal.json'), JSON.stringify(journal));
    for (const e of journal.entries) writeFileSync(path.join(old, `${e.tag}.sql`), readFileSync(path.join(migrationsFolder, `${e.tag}.sql`)));
    const client = createClient({ url: `file:${path.join(dataDir, 'capstan.db')}` });
    await migrate(drizzle(client), { migrationsFolder: old });
    const name = uniqueName('legacy');
    const definition = { name, services: { app: { image: image(), command: ['sleep', '86400'], environment: { MODE: 'old', PRICE: '5$ ${X}' }, volumes: ['data:/data'] } } };
    await client.execute({
      sql: 'INSERT INTO service (id, name, definition, adopted, deleting, created_at, updated_at) VALUES (?, ?, ?, 0, 0, ?, ?)',
      args: ['legacy1', name, JSON.stringify(definition), Date.now(), Date.now()],
    });
    client.close();

    const s = await startTestServer({}, dataDir);
    try {
      const token = await s.login();
      const dir = path.join(s.config.projectsDir, name);
      expect(readFileSync(path.join(dir, 'compose.yaml'), 'utf8')).toContain('sleep');
      expect(existsSync(path.join(dir, '.env'))).toBe(true);
      const row = (await s.app.database.client.execute('SELECT * FROM service')).rows[0]!;
      expect(row.legacy_definition).toBeNull();
      expect(Object.keys(row)).not.toContain('definition');
      const svc = (await s.request('GET', '/api/services/legacy1', { token })).json;
      expect(svc.definition.services.app).toMatchObject({ image: image(), command: ['sleep', '86400'], environment: { MODE: 'old', PRICE: '5$ ${X}' } });
      const res = await s.request('POST', '/api/services/legacy1/redeploy', { token });
      expect((await waitForDeployment(s, token, res.json.deployment_id)).status).toBe('succeeded');
      const c = (await projectContainers(docker, name))[0]!;
      expect(c.Mounts.map((m) => m.Name)).toContain(`${name}_data`);
      // Leave nothing on the shared engine.
      expect((await s.request('DELETE', '/api/services/legacy1?mode=hard', { token })).status).toBe(200);
      expect(await projectContainers(docker, name)).toHaveLength(0);
    } finally {
      await s.dispose();
    }
  });
});
