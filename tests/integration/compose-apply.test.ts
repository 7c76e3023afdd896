import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { ComposeDependsOn, ComposeProject, ComposeService } from '../../src/shared/compose/model.js';
import { planProject } from '../../src/server/docker/compose-plan.js';
import { applyPlan, type Step } from '../../src/server/services/apply.js';
import { CapstanError } from '../../src/server/errors.js';
import { composeProject, S } from '../helpers/compose-project.js';
import { execIn, inspect, networkExists, projectContainers, testDocker, uniqueName } from '../helpers/engine.js';

const docker = testDocker();
const image = () => inject('testEnv').image;
const dir = mkdtempSync(path.join(os.tmpdir(), 'compose-apply-'));
const ids: string[] = [];

afterAll(async () => {
  for (const id of ids) {
    const filters = { label: [`io.capstan.service-id=${id}`] };
    for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
    for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => {});
  }
  rmSync(dir, { recursive: true, force: true });
});

const dep = (condition: ComposeDependsOn['condition'], more: Partial<ComposeDependsOn> = {}): ComposeDependsOn => ({ condition, required: true, restart: false, ...more });
const sleeper = (s: Partial<ComposeService>): Partial<ComposeService> => ({ command: ['sleep', '86400'], ...s });
/** A healthcheck that settles within a second or two. */
const check = (test: string) => ({ test: ['CMD-SHELL', test], interval: 0.3 * S, timeout: 2 * S, retries: 3 });

const project = (name: string, services: Record<string, Partial<ComposeService>>, extra: Partial<ComposeProject> = {}) =>
  composeProject(name, services, extra, image());

async function apply(p: ComposeProject, env: Record<string, string> = {}) {
  const id = `t${Math.random().toString(36).slice(2, 10)}`;
  ids.push(id);
  const run = (q: ComposeProject) =>
    applyPlan(docker, { id, name: q.name, adopted: false }, planProject(id, q, { workingDir: dir, configFiles: [path.join(dir, 'compose.yaml')], env }));
  return { id, steps: await run(p), again: run };
}

const exec = (c: Docker.Container, cmd: string[]) => execIn(docker, c.id, cmd);

const lines = (steps: Step[]) => steps.map((s) => `${s.action} ${s.target}`);
const byName = async (name: string) => inspect(docker, name);

describe('applying a compose project on the real engine', () => {
  const name = uniqueName('capply');
  const secretFile = path.join(dir, 'db_pw.txt');
  writeFileSync(secretFile, 'file-secret-value\n');
  const p = project(
    name,
    {
      db: sleeper({ networks: { back: { aliases: ['database'] } }, secrets: [{ source: 'db_pw', target: '/run/secrets/db_pw' }], healthcheck: check('test -s /run/secrets/db_pw') }),
      migrate: { command: ['sh', '-c', 'exit 0'], networks: { back: {} }, depends_on: { db: dep('service_healthy') } },
      api: sleeper({
        networks: { back: {}, front: { priority: 10, aliases: ['backend'] } },
        configs: [{ source: 'app_conf', target: '/etc/app.conf', uid: '1234', gid: '4321', mode: 0o440 }],
        secrets: [{ source: 'token', target: '/run/secrets/token' }],
        healthcheck: check('cat /etc/app.conf'),
        depends_on: { db: dep('service_healthy'), migrate: dep('service_completed_successfully') },
      }),
      web: sleeper({ scale: 2, networks: { front: {} }, environment: { ROLE: 'web', UNSET: null }, depends_on: { api: dep('service_healthy') } }),
    },
    {
      networks: { front: { name: `${name}_front` }, back: { name: `${name}_back`, labels: { tier: 'back' } } },
      secrets: { db_pw: { name: `${name}_db_pw`, file: secretFile }, token: { name: `${name}_token`, environment: 'API_TOKEN' } },
      configs: { app_conf: { name: `${name}_app_conf`, content: 'greeting=hello\n' } },
    },
  );
  let first: Awaited<ReturnType<typeof apply>>;

  it('creates networks, replicas and files, waiting for each dependency condition', async () => {
    first = await apply(p, { API_TOKEN: 'env-secret-value' });
    const log = lines(first.steps);
    // Each dependant is created only after the wait on its dependency.
    const at = (s: string) => {
      const i = log.indexOf(s);
      expect(i, `${s} in ${log.join(' | ')}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at(`start ${name}-db-1`)).toBeLessThan(at('wait migrate: db healthy'));
    expect(at('wait migrate: db healthy')).toBeLessThan(at(`create ${name}-migrate-1`));
    expect(at('wait api: migrate to complete successfully')).toBeLessThan(at(`create ${name}-api-1`));
    expect(at('wait web: api healthy')).toBeLessThan(at(`create ${name}-web-1`));
    expect(log).toEqual(expect.arrayContaining([`create-network ${name}_front`, `create-network ${name}_back`, `create ${name}-web-2`]));
    // No secret value in any step.
    expect(JSON.stringify(first.steps)).not.toMatch(/secret-value/);

    const containers = await projectContainers(docker, name);
    expect(containers.map((c) => c.Names[0]!.slice(1)).sort()).toEqual([`${name}-api-1`, `${name}-db-1`, `${name}-migrate-1`, `${name}-web-1`, `${name}-web-2`]);
    const web2 = await byName(`${name}-web-2`);
    expect(web2.State.Running).toBe(true);
    expect(web2.Config.Labels).toMatchObject({ 'com.docker.compose.container-number': '2', 'com.docker.compose.service': 'web', 'com.docker.compose.depends_on': 'api:service_healthy:false' });
    expect(web2.Config.Labels['com.docker.compose.image']).toMatch(/^sha256:/);
    expect(web2.Config.Env).toContain('ROLE=web');
    // A variable without a value is written as its bare name, as compose writes it: the process does not get it.
    expect(web2.Config.Env).toContain('UNSET');
    expect(await exec(docker.getContainer(web2.Id), ['env'])).not.toMatch(/UNSET/);
    expect((await byName(`${name}-migrate-1`)).State).toMatchObject({ Status: 'exited', ExitCode: 0 });
  });

  it('joins every network with the compose aliases, the highest priority first', async () => {
    const api = await byName(`${name}-api-1`);
    expect(api.HostConfig.NetworkMode).toBe(`${name}_front`);
    const nets = api.NetworkSettings.Networks;
    expect(Object.keys(nets).sort()).toEqual([`${name}_back`, `${name}_front`]);
    expect(nets[`${name}_front`]!.Aliases).toEqual(expect.arrayContaining([`${name}-api-1`, 'api', 'backend']));
    expect(nets[`${name}_back`]!.Aliases).toEqual(expect.arrayContaining([`${name}-api-1`, 'api']));
    const db = await byName(`${name}-db-1`);
    expect(db.NetworkSettings.Networks[`${name}_back`]!.Aliases).toEqual(expect.arrayContaining(['database', 'db']));
    const back = await docker.getNetwork(`${name}_back`).inspect();
    expect(back.Labels).toMatchObject({ tier: 'back', 'com.docker.compose.project': name, 'com.docker.compose.network': 'back', 'io.capstan.service-id': first.id });
    // By alias across the shared network: web reaches api on front.
    expect(await exec(docker.getContainer(`${name}-web-1`), ['nslookup', 'backend'])).toMatch(/Address/);
  });

  it('binds a file secret read-only and copies content in with uid, gid and mode', async () => {
    const db = await byName(`${name}-db-1`);
    expect(db.Mounts).toEqual([expect.objectContaining({ Type: 'bind', Source: secretFile, Destination: '/run/secrets/db_pw', RW: false })]);
    const dbc = docker.getContainer(`${name}-db-1`);
    expect(await exec(dbc, ['cat', '/run/secrets/db_pw'])).toBe('file-secret-value\n');
    const api = docker.getContainer(`${name}-api-1`);
    expect(await exec(api, ['cat', '/etc/app.conf'])).toBe('greeting=hello\n');
    expect((await exec(api, ['stat', '-c', '%u:%g %a', '/etc/app.conf'])).trim()).toBe('1234:4321 440');
    expect(await exec(api, ['cat', '/run/secrets/token'])).toBe('env-secret-value');
    expect((await exec(api, ['stat', '-c', '%a', '/run/secrets/token'])).trim()).toBe('444');
  });

  it('changes nothing when applied again, and scales down from the highest number', async () => {
    const before = (await byName(`${name}-web-1`)).Id;
    const again = lines(await first.again(p));
    expect(again.filter((s) => /^(create|recreate|remove) /.test(s))).toEqual([]);
    const smaller = { ...p, services: { ...p.services, web: { ...p.services.web!, scale: 1 } } };
    const down = lines(await first.again(smaller));
    expect(down.filter((s) => /^(create|recreate|remove) /.test(s))).toEqual([`remove ${name}-web-2`]);
    expect((await byName(`${name}-web-1`)).Id).toBe(before);
  });
});

describe('dependency conditions that fail', () => {
  const failing = (n: string, cfg: Partial<ComposeDependsOn> = {}) =>
    project(n, { db: sleeper({ healthcheck: { ...check('exit 1'), retries: 2 } }), app: sleeper({ depends_on: { db: dep('service_healthy', cfg) } }) });

  it('stops the apply naming the dependency that did not become healthy', async () => {
    const n = uniqueName('cunhealthy');
    const err = await apply(failing(n)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CapstanError);
    expect((err as CapstanError).message).toBe('Dependency db of app did not become healthy');
    expect((err as CapstanError).details).toBe(`services.app.depends_on.db: container ${n}-db-1 is unhealthy`);
    expect((await projectContainers(docker, n)).map((c) => c.Names[0])).toEqual([`/${n}-db-1`]);
  });

  it('only warns for an optional dependency, and names a non-zero exit', async () => {
    const n = uniqueName('coptional');
    const { steps } = await apply(failing(n, { required: false }));
    expect(lines(steps)).toContain(`warning optional dependency db of app did not become healthy: container ${n}-db-1 is unhealthy`);
    expect((await byName(`${n}-app-1`)).State.Running).toBe(true);

    const m = uniqueName('cexit');
    const job = project(m, { job: { command: ['sh', '-c', 'exit 3'] }, app: sleeper({ depends_on: { job: dep('service_completed_successfully') } }) });
    const err = (await apply(job).catch((e: unknown) => e)) as CapstanError;
    expect(err.message).toBe('Dependency job of app did not complete successfully');
    expect(err.details).toBe(`services.app.depends_on.job: container ${m}-job-1 exited with code 3`);
  });

  it('refuses an external network that does not exist, before creating anything', async () => {
    const n = uniqueName('cext');
    const p = project(n, { app: sleeper({ networks: { outside: {} } }) }, { networks: { outside: { name: `${n}-missing`, external: true } } });
    const err = (await apply(p).catch((e: unknown) => e)) as CapstanError;
    expect(err.message).toBe(`Network ${n}-missing declared as external, but could not be found`);
    expect(await projectContainers(docker, n)).toEqual([]);
  });
});

describe('services that follow another', () => {
  it('share its network namespace by id, and are recreated or restarted with it', async () => {
    const n = uniqueName('cfollow');
    const p = (marker: string) =>
      project(n, {
        vpn: sleeper({ environment: { MARKER: marker } }),
        app: sleeper({ network_mode: 'service:vpn' }),
        worker: sleeper({ links: ['vpn:tunnel'], depends_on: { vpn: dep('service_started', { restart: true }) } }),
      });
    const first = await apply(p('one'));
    const vpn1 = await byName(`${n}-vpn-1`);
    const app1 = await byName(`${n}-app-1`);
    expect(app1.HostConfig.NetworkMode).toBe(`container:${vpn1.Id}`);
    const worker1 = await byName(`${n}-worker-1`);
    // A link is a name for the linked container on the shared network.
    expect(worker1.NetworkSettings.Networks[`${n}_default`]!.Links).toEqual([`${n}-vpn-1:tunnel`, `${n}-vpn-1:vpn-1`, `${n}-vpn-1:${n}-vpn-1`]);
    expect(await exec(docker.getContainer(worker1.Id), ['nslookup', 'tunnel'])).toMatch(/Address/);

    const steps = lines(await first.again(p('two')));
    expect(steps).toEqual(expect.arrayContaining([`recreate ${n}-vpn-1`, `recreate ${n}-app-1`, `restart ${n}-worker-1 (vpn changed)`]));
    const vpn2 = await byName(`${n}-vpn-1`);
    expect(vpn2.Id).not.toBe(vpn1.Id);
    const app2 = await byName(`${n}-app-1`);
    expect(app2.HostConfig.NetworkMode).toBe(`container:${vpn2.Id}`);
    expect(app2.State.Running).toBe(true);
    const worker2 = await byName(`${n}-worker-1`);
    expect(worker2.Id).toBe(worker1.Id);
    expect(worker2.State.StartedAt).not.toBe(worker1.State.StartedAt);
  });

  it('refuses pull_policy never for an image the engine lacks, before creating anything', async () => {
    const n = uniqueName('cnever');
    const p = project(n, { app: { image: 'capstan-test/not-here:1', pull_policy: 'never' } });
    const err = (await apply(p).catch((e: unknown) => e)) as CapstanError;
    expect(err.message).toBe('Image capstan-test/not-here:1 is not on the engine and pull_policy is never');
    expect(err.details).toMatch(/^services\.app\.pull_policy/);
    expect(await networkExists(docker, `${n}_default`)).toBe(false);
  });
});
