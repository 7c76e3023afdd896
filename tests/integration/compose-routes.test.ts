import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { parseDotenv } from '../../src/shared/compose/dotenv.js';
import { inspect, testDocker, uniqueName } from '../helpers/engine.js';
import { deployAndWait, isContractError, useServer } from '../helpers/server.js';

// The routes of compose text: {name, yaml, env} bodies, the dry run, the
// verbatim text, and PUT /env as an edit of the file.

const ctx = useServer();
const docker = testDocker();
const image = () => inject('testEnv').image;

const api = (method: string, pathname: string, body?: unknown) =>
  ctx.s.request(method, pathname, { token: ctx.token, ...(body === undefined ? {} : { body }) });
const deploy = (method: string, pathname: string, body?: unknown) => deployAndWait(ctx.s, ctx.token, method, pathname, body);
const projects = () => (existsSync(ctx.s.config.projectsDir) ? readdirSync(ctx.s.config.projectsDir) : []);

describe('POST /api/services/validate', () => {
  it('answers the normalized definition and the warnings of a valid file, and changes nothing', async () => {
    const yaml = `name: drytest\nservices:\n  web:\n    image: ${image()}\n    environment:\n      A: \${UNSET_VAR}\n      B: \${SET_VAR:-x}\n`;
    const res = await api('POST', '/api/services/validate', { yaml, env: 'SET_VAR=from-env\n' });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ valid: true, errors: [] });
    expect(res.json.warnings.join('\n')).toMatch(/UNSET_VAR/);
    expect(res.json.definition).toMatchObject({ name: 'drytest', services: { web: { image: image(), environment: { A: '', B: 'from-env' } } } });
    expect(projects()).toEqual([]);
    expect((await api('GET', '/api/services')).json).toEqual([]);
  });

  it('answers errors with their path and line for either body form', async () => {
    const yaml = `services:\n  web:\n    image: ${image()}\n    ports:\n      - "80:99999"\n    build: .\n`;
    const res = await api('POST', '/api/services/validate', { name: 'dry2', yaml });
    expect(res.status).toBe(200);
    expect(res.json.valid).toBe(false);
    expect(res.json.definition).toBeNull();
    const lines = res.json.errors.map((e: { line: number }) => e.line);
    expect(lines).toEqual(expect.arrayContaining([5, 6]));
    expect(res.json.errors.find((e: { line: number }) => e.line === 6).path).toEqual(['services', 'web', 'build']);

    const json = await api('POST', '/api/services/validate', { name: 'dry3', services: { web: { image: image(), privilegd: true } } });
    expect(json.json.valid).toBe(false);
    expect(json.json.errors[0]).toMatchObject({ path: ['services', 'web', 'privilegd'], line: expect.any(Number) });
    const required = await api('POST', '/api/services/validate', { yaml: `services:\n  web:\n    image: \${IMG:?set IMG}\n` });
    expect(required.json).toMatchObject({ valid: false, errors: [{ line: 3, message: expect.stringMatching(/IMG/) }] });
    expect(projects()).toEqual([]);
  });
});

describe('create and update with compose text', () => {
  it('create answers 201 with warnings; a 400 names the line; PUT without env keeps the .env', async () => {
    const name = uniqueName('text');
    const bad = await api('POST', '/api/services', { name, yaml: `services:\n  web:\n    image: ${image()}\n    restart: sometimes\n` });
    expect(bad.status).toBe(400);
    expect(isContractError(bad.json)).toBe(true);
    expect(bad.json.details).toMatch(/^line 4: services\.web\.restart/);
    expect(projects()).not.toContain(name);

    const yaml = `services:\n  web:\n    image: ${image()}\n    command: ["sleep", "86400"]\n    environment:\n      PW: \${PW}\n      OTHER: \${NOT_SET}\n`;
    const { res, service } = await deploy('POST', '/api/services', { name, yaml, env: 'PW=Route-Secret-1\n' });
    expect(res.status).toBe(201);
    expect(res.json.warnings.join('\n')).toMatch(/NOT_SET/);
    expect(service.definition.services.web.environment).toEqual({ PW: 'Route-Secret-1', OTHER: '' });

    const changed = yaml.replace('86400', '86401');
    const put = await deploy('PUT', `/api/services/${service.id}`, { yaml: changed });
    expect(put.res.status).toBe(200);
    expect(put.deployment.status).toBe('succeeded');
    expect((await api('GET', `/api/services/${service.id}/yaml`)).json.yaml).toBe(changed);
    const c = await inspect(docker, put.service.containers[0].container_id);
    expect(c.Config.Cmd).toEqual(['sleep', '86401']);
    expect(c.Config.Env).toContain('PW=Route-Secret-1');
    await api('DELETE', `/api/services/${service.id}?mode=hard`);
  });

  it('the JSON form is written as YAML once and reads back the same definition', async () => {
    const name = uniqueName('json');
    const { res, service } = await deploy('POST', '/api/services', {
      name,
      services: { app: { image: image(), command: ['sleep', '86400'], environment: { A: '1' }, volumes: ['data:/data'] } },
    });
    expect(res.status).toBe(201);
    const { yaml } = (await api('GET', `/api/services/${service.id}/yaml`)).json;
    expect(yaml).toMatch(/^services:\n {2}app:\n/);
    expect(yaml).toContain('volumes:\n  data: {}');
    const dry = await api('POST', '/api/services/validate', { id: service.id, yaml });
    expect(dry.json.valid).toBe(true);
    expect(dry.json.definition).toEqual(service.definition);
    await api('DELETE', `/api/services/${service.id}?mode=hard`);
  });
});

describe('GET and PUT /api/services/{id}/env', () => {
  it('edits only the changed keys in the file, keeps comments and ${VAR} of unchanged keys, and recreates that container', async () => {
    const name = uniqueName('envedit');
    const yaml = [
      'services:',
      '  api:',
      `    image: ${image()}`,
      '    command: ["sleep", "86400"]',
      '    environment:',
      '      # the database password comes from .env',
      '      DB_PASSWORD: ${DB_PASSWORD}',
      '      MODE: prod   # or dev',
      '  worker:',
      `    image: ${image()}`,
      '    command: ["sleep", "86400"]',
      '    environment:',
      '      - QUEUE=jobs',
      '      - KEEP=${DB_PASSWORD}',
      '',
    ].join('\n');
    const { service } = await deploy('POST', '/api/services', { name, yaml, env: 'DB_PASSWORD=Env-Route-Secret\n' });
    const env = (await api('GET', `/api/services/${service.id}/env`)).json;
    expect(env).toEqual({
      environment: { api: { DB_PASSWORD: 'Env-Route-Secret', MODE: 'prod' }, worker: { QUEUE: 'jobs', KEEP: 'Env-Route-Secret' } },
    });
    const ids = Object.fromEntries(service.containers.map((c: { service: string; container_id: string }) => [c.service, c.container_id]));

    const put = await deploy('PUT', `/api/services/${service.id}/env`, {
      environment: { api: { DB_PASSWORD: 'Env-Route-Secret', MODE: 'dev', PRICE: '5$' }, worker: { QUEUE: 'jobs' } },
    });
    expect(put.res.status, put.res.text).toBe(200);
    expect(put.deployment).toMatchObject({ kind: 'env', status: 'succeeded' });
    const text = readFileSync(path.join(ctx.s.config.projectsDir, name, 'compose.yaml'), 'utf8');
    expect(text).toContain('# the database password comes from .env');
    expect(text).toContain('DB_PASSWORD: ${DB_PASSWORD}');
    expect(text).toMatch(/MODE: dev/);
    expect(text).toContain('PRICE: 5$$');
    expect(text).not.toContain('KEEP');
    expect(text).not.toContain('Env-Route-Secret');
    expect((await api('GET', `/api/services/${service.id}/env`)).json.environment).toEqual({
      api: { DB_PASSWORD: 'Env-Route-Secret', MODE: 'dev', PRICE: '5$' },
      worker: { QUEUE: 'jobs' },
    });
    const after = Object.fromEntries(put.service.containers.map((c: { service: string; container_id: string }) => [c.service, c.container_id]));
    expect(after.api).not.toBe(ids.api);
    expect((await inspect(docker, after.api)).Config.Env).toEqual(expect.arrayContaining(['MODE=dev', 'PRICE=5$', 'DB_PASSWORD=Env-Route-Secret']));

    const entry = (await ctx.s.app.database.client.execute("SELECT details FROM audit_log WHERE action = 'service.env'")).rows.at(-1)!;
    expect(JSON.parse(String(entry.details)).changed_keys).toEqual({ api: ['MODE', 'PRICE'], worker: ['KEEP'] });
    expect(String(entry.details)).not.toContain('Env-Route-Secret');

    const unknown = await api('PUT', `/api/services/${service.id}/env`, { environment: { ghost: { A: '1' } } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.details).toMatch(/ghost/);
    await api('DELETE', `/api/services/${service.id}?mode=hard`);
  });
});

describe('PUT /env of a key that references the .env', () => {
  it('sets the variable in the .env, leaves compose.yaml byte for byte, and the container gets the value', async () => {
    const name = uniqueName('envref');
    const yaml = [
      'services:',
      '  db:',
      `    image: ${image()}`,
      '    command: ["sleep", "86400"]',
      '    environment:',
      '      POSTGRES_PASSWORD: ${DB_PASSWORD}',
      '      API_TOKEN:',
      '      MODE: prod',
      '',
    ].join('\n');
    const dotenv = '# secrets of this project\nDB_PASSWORD=Old-Ref-Secret # rotated yearly\nAPI_TOKEN=old-token\n';
    const { service } = await deploy('POST', '/api/services', { name, yaml, env: dotenv });
    expect(service.definition.services.db.environment).toEqual({ POSTGRES_PASSWORD: 'Old-Ref-Secret', API_TOKEN: 'old-token', MODE: 'prod' });
    const dir = path.join(ctx.s.config.projectsDir, name);
    const before = readFileSync(path.join(dir, 'compose.yaml'));

    const secret = 'New "Ref" $ecret #2';
    const put = await deploy('PUT', `/api/services/${service.id}/env`, {
      environment: { db: { POSTGRES_PASSWORD: secret, API_TOKEN: 'New-Ref-Token', MODE: 'prod' } },
    });
    expect(put.res.status, put.res.text).toBe(200);
    expect(put.deployment).toMatchObject({ kind: 'env', status: 'succeeded' });
    expect(readFileSync(path.join(dir, 'compose.yaml')).equals(before)).toBe(true);
    expect((await api('GET', `/api/services/${service.id}/yaml`)).json.yaml).toBe(yaml);
    const envText = readFileSync(path.join(dir, '.env'), 'utf8');
    expect(parseDotenv(envText)).toEqual({ values: { DB_PASSWORD: secret, API_TOKEN: 'New-Ref-Token' }, issues: [] });
    expect(envText).toMatch(/^# secrets of this project\nDB_PASSWORD=".*" # rotated yearly\nAPI_TOKEN=New-Ref-Token\n$/);
    expect(statSync(path.join(dir, '.env')).mode & 0o777).toBe(0o600);

    const c = await inspect(docker, put.service.containers[0].container_id);
    expect(c.Config.Env).toEqual(expect.arrayContaining([`POSTGRES_PASSWORD=${secret}`, 'API_TOKEN=New-Ref-Token', 'MODE=prod']));
    expect((await api('GET', `/api/services/${service.id}/env`)).json.environment).toEqual({
      db: { POSTGRES_PASSWORD: secret, API_TOKEN: 'New-Ref-Token', MODE: 'prod' },
    });

    // Keys only in the audit; the deployment recorded the unchanged text, no secret.
    const entry = (await ctx.s.app.database.client.execute("SELECT details FROM audit_log WHERE action = 'service.env'")).rows.at(-1)!;
    expect(JSON.parse(String(entry.details)).changed_keys).toEqual({ db: ['API_TOKEN', 'POSTGRES_PASSWORD'] });
    for (const v of [secret, 'New-Ref-Token', '$ecret']) expect(String(entry.details)).not.toContain(v);
    const row = (await ctx.s.app.database.client.execute({ sql: 'SELECT compose_yaml FROM deployment WHERE id = ?', args: [put.deployment.id] })).rows[0]!;
    expect(row.compose_yaml).toBe(yaml);
    await api('DELETE', `/api/services/${service.id}?mode=hard`);
  });
});

describe('other project files', () => {
  it('a create may bring the files its compose file refers to; a missing env_file is a 400 naming its line', async () => {
    const name = uniqueName('withfiles');
    const yaml = `services:\n  app:\n    image: ${image()}\n    command: ["sleep", "86400"]\n    env_file: ./config/app.env\n`;
    const missing = await api('POST', '/api/services', { name, yaml });
    expect(missing.status).toBe(400);
    expect(missing.json.details).toMatch(/line 5/);
    expect(projects()).not.toContain(name);

    const { res, service } = await deploy('POST', '/api/services', { name, yaml, files: { 'config/app.env': 'FROM_FILE=yes\n' } });
    expect(res.status, res.text).toBe(201);
    expect(readFileSync(path.join(ctx.s.config.projectsDir, name, 'config/app.env'), 'utf8')).toBe('FROM_FILE=yes\n');
    expect((await inspect(docker, service.containers[0].container_id)).Config.Env).toContain('FROM_FILE=yes');
    // Deleting a file the project needs would break it: refused.
    const del = await api('DELETE', `/api/services/${service.id}/file?path=config/app.env`);
    expect(del.status).toBe(400);
    expect(existsSync(path.join(ctx.s.config.projectsDir, name, 'config/app.env'))).toBe(true);
    await api('DELETE', `/api/services/${service.id}?mode=hard`);
  });
});

describe('replicas and unset variables', () => {
  it('a service with replicas shows each container; GET /env leaves out variables that stay unset', async () => {
    const name = uniqueName('replicas');
    const yaml = `services:\n  app:\n    image: ${image()}\n    command: ["sleep", "86400"]\n    deploy:\n      replicas: 2\n    environment:\n      - FROM_ENV\n      - NOT_IN_ENV\n`;
    const { deployment, service } = await deploy('POST', '/api/services', { name, yaml, env: 'FROM_ENV=here\n' });
    expect(deployment.status).toBe('succeeded');
    expect(service.containers.map((c: { name: string; status: string }) => [c.name, c.status])).toEqual([
      [`${name}-app-1`, 'running'],
      [`${name}-app-2`, 'running'],
    ]);
    expect(service.status).toBe('running');
    expect((await api('GET', `/api/services/${service.id}/env`)).json).toEqual({ environment: { app: { FROM_ENV: 'here' } } });
    const second = await inspect(docker, service.containers[1].container_id);
    expect(second.Config.Labels['com.docker.compose.container-number']).toBe('2');
    expect(second.Config.Env).toContain('FROM_ENV=here');
    // Left unset, not set empty (the Engine drops a bare KEY, as compose sends it).
    expect(second.Config.Env.some((e: string) => e.startsWith('NOT_IN_ENV='))).toBe(false);
    await api('DELETE', `/api/services/${service.id}?mode=hard`);
  });
});

describe('the procedures the dashboard uses', () => {
  it('exist over tRPC and are in the OpenAPI document', async () => {
    const doc = (await ctx.s.request('GET', '/api/openapi.json')).json;
    for (const [p, method] of [
      ['/api/services/validate', 'post'],
      ['/api/services/{id}/yaml', 'get'],
      ['/api/services/{id}/files', 'get'],
      ['/api/services/{id}/file', 'get'],
      ['/api/services/{id}/file', 'put'],
      ['/api/services/{id}/file', 'delete'],
      ['/api/deployments/{id}/compose', 'get'],
    ] as const) {
      expect(doc.paths[p]?.[method], `${method} ${p}`).toBeTruthy();
    }
    const trpc = await ctx.s.request('POST', '/trpc/services.validate', { token: ctx.token, body: { name: 'trpc1', yaml: `services:\n  a:\n    image: ${image()}\n` } });
    expect(trpc.status).toBe(200);
    expect(trpc.json.result.data.valid).toBe(true);
  });
});
