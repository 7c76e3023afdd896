// Parity with a real compose implementation. Each file under
// tests/fixtures/compose/parity/ is deployed once with Debian's
// docker-compose 1.29 (`up -d`) and once through Capstan (POST
// /api/services), on the same private engine, and the containers' Engine
// configuration is compared field by field (tests/helpers/compose-oracle.ts
// says which fields and how they are normalized). Where 1.29 differs from the
// Compose Specification, the specification wins: SPEC_WINS below lists each
// case, why, and what Capstan must do instead.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { composeDown, composeUp, dockerCompose, type ComposeRun } from '../helpers/compose-oracle.js';
import { testDocker } from '../helpers/engine.js';
import { fixtureFacts, imagesOf, otherFiles, PARITY_FIXTURES, parityFixtures, runtimeEnv, snapshot, type Normalized } from '../helpers/parity.js';
import { useServer, waitForDeployment } from '../helpers/server.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'capstan-parity-'));
const projectsDir = path.join(work, 'projects');
const ctx = useServer({ CAPSTAN_PROJECTS_DIR: projectsDir });
const docker = testDocker();
const env = () => inject('testEnv');
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface SpecWins {
  fixture: string;
  service: string;
  why: string;
  /** Asserts what the specification asks of Capstan and removes the field from both sides. */
  apply(compose: Normalized, capstan: Normalized): void;
}

const dropEnv = (n: Normalized, key: string) => (n.Env = n.Env.filter((e) => !e.startsWith(`${key}=`)));
const SPEC_WINS: SpecWins[] = [
  {
    fixture: 'env-interpolation',
    service: 'app',
    why: 'compose 1.29 has no nested defaults: it leaves `${SET_VAR-nested}`; the specification (and compose v2) resolve `${UNSET:-${SET_VAR}-nested}`',
    apply(compose, capstan) {
      expect(capstan.Env).toContain('MAP_NESTED=from-dotenv-nested');
      dropEnv(compose, 'MAP_NESTED');
      dropEnv(capstan, 'MAP_NESTED');
    },
  },
  {
    fixture: 'secrets-configs',
    service: 'app',
    why: 'compose 1.29 ignores `configs:` outside swarm ("will be ignored"); the specification mounts each config read-only at /<name> or its target, as compose v2 does',
    apply(compose, capstan) {
      const configTargets = ['/app_config', '/etc/app/extra.conf'];
      const mounts = capstan.Mounts as { target: string; type: string; source?: string; readonly: boolean }[];
      expect(mounts.filter((m) => configTargets.includes(m.target))).toEqual([
        expect.objectContaining({ type: 'bind', source: './app.conf', target: '/app_config', readonly: true }),
        expect.objectContaining({ type: 'bind', source: './extra.conf', target: '/etc/app/extra.conf', readonly: true }),
      ]);
      capstan.Mounts = mounts.filter((m) => !configTargets.includes(m.target));
      expect((compose.Mounts as { target: string }[]).some((m) => configTargets.includes(m.target))).toBe(false);
    },
  },
];

const fixtures = parityFixtures();

describe('containers match what docker-compose 1.29 creates for the same file', () => {
  it('has the fixtures and the oracle', async () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(6);
    expect(await dockerCompose({ project: 'x', dir: work, dockerHost: env().dockerHost }, ['version', '--short'])).toMatch(/^1\.29\./);
  });

  for (const fixture of fixtures) {
    it(fixture, { timeout: 300_000 }, async () => {
      const fixtureDir = path.join(PARITY_FIXTURES, fixture);
      const name = `par-${fixture}-${Math.random().toString(36).slice(2, 6)}`;
      const yaml = readFileSync(path.join(fixtureDir, 'compose.yaml'), 'utf8');
      const dotenv = await runtimeEnv(fixtureDir, name);
      const { hostnames, fixedSubnets, containerNames } = fixtureFacts(yaml, name);

      // 1. docker-compose, in a copy of the fixture folder; removed again before Capstan deploys
      //    (same host ports, same fixed volume names).
      const composeDir = path.join(work, 'compose', name);
      mkdirSync(composeDir, { recursive: true });
      cpSync(fixtureDir, composeDir, { recursive: true });
      writeFileSync(path.join(composeDir, '.env'), dotenv);
      const run: ComposeRun = { project: name, dir: composeDir, dockerHost: env().dockerHost };
      let oracle: Awaited<ReturnType<typeof snapshot>>;
      try {
        await composeUp(docker, run, await imagesOf(run));
        oracle = await snapshot(docker, name, composeDir, hostnames, fixedSubnets);
      } finally {
        await composeDown(run);
      }
      expect(Object.keys(oracle.normalized).length).toBeGreaterThan(0);

      // 2. Capstan, from the same text, .env and files.
      const created = await ctx.s.request('POST', '/api/services', {
        token: ctx.token,
        body: { name, yaml, env: dotenv, files: otherFiles(fixtureDir) },
      });
      expect(created.status, created.text).toBe(201);
      let ours: Awaited<ReturnType<typeof snapshot>>;
      try {
        const deployment = await waitForDeployment(ctx.s, ctx.token, created.json.deployment_id, 180_000);
        expect(deployment.status, JSON.stringify(deployment.steps?.slice(-3))).toBe('succeeded');
        ours = await snapshot(docker, name, path.join(projectsDir, name), hostnames, fixedSubnets);
      } finally {
        await ctx.s.request('DELETE', `/api/services/${created.json.id}?mode=hard`, { token: ctx.token });
      }

      // 3. The same containers, the same configuration.
      expect(Object.keys(ours.normalized)).toEqual(Object.keys(oracle.normalized));
      for (const w of SPEC_WINS.filter((w) => w.fixture === fixture)) {
        for (const key of Object.keys(ours.normalized).filter((k) => k.startsWith(`${w.service}#`))) {
          w.apply(oracle.normalized[key]!, ours.normalized[key]!);
        }
      }
      expect(ours.normalized).toEqual(oracle.normalized);
      expect(ours.resources).toEqual(oracle.resources);

      // 4. Names and compose's own labels. 1.29 names containers `<project>_<service>_<n>`; the
      //    specification (compose v2) names them `<project>-<service>-<n>`: the specification wins.
      for (const [key, theirs] of Object.entries(oracle.labels)) {
        const [service, n] = key.split('#') as [string, string];
        const fixed = containerNames[service];
        expect(oracle.names[key]).toBe(fixed ?? `${name}_${service}_${n}`);
        expect(ours.names[key]).toBe(fixed ?? `${name}-${service}-${n}`);
        for (const label of ['com.docker.compose.project', 'com.docker.compose.service', 'com.docker.compose.container-number']) {
          expect(ours.labels[key]![label], `${key} ${label}`).toBe(theirs[label]);
        }
        expect(ours.labels[key]!['com.docker.compose.oneoff']).toBe(theirs['com.docker.compose.oneoff']);
        expect(ours.labels[key]!['com.docker.compose.project.working_dir']).toBe(path.join(projectsDir, name));
        // 1.29 writes the file as given on its command line ("compose.yaml"); v2 writes the absolute path: the latter.
        expect(theirs['com.docker.compose.project.config_files']).toBe('compose.yaml');
        expect(ours.labels[key]!['com.docker.compose.project.config_files']).toBe(path.join(projectsDir, name, 'compose.yaml'));
      }
    });
  }
});

describe('compose tools see the projects Capstan deploys', () => {
  it('`docker-compose -p NAME ps` run in the project folder lists exactly its containers, running', { timeout: 180_000 }, async () => {
    const name = `ps-${Math.random().toString(36).slice(2, 6)}`;
    const yaml = [
      'services:',
      '  web:',
      '    image: ${BUSYBOX_IMAGE}',
      '    command: ["sleep", "86400"]',
      '    deploy:',
      '      replicas: 2',
      '  db:',
      '    image: ${BUSYBOX_IMAGE}',
      '    command: ["sleep", "86400"]',
      '    environment:',
      '      PW: ${PW}',
      '',
    ].join('\n');
    const dotenv = `BUSYBOX_IMAGE=${env().image}\nPW=ps-secret\n`;
    // A second project whose name starts the same: it must not be listed.
    const ids: string[] = [];
    try {
      const containers: Record<string, { name: string; container_id: string }[]> = {};
      for (const n of [name, `${name}-other`]) {
        const created = await ctx.s.request('POST', '/api/services', { token: ctx.token, body: { name: n, yaml, env: dotenv } });
        expect(created.status, created.text).toBe(201);
        ids.push(created.json.id);
        const deployment = await waitForDeployment(ctx.s, ctx.token, created.json.deployment_id, 120_000);
        expect(deployment.status).toBe('succeeded');
        containers[n] = (await ctx.s.request('GET', `/api/services/${created.json.id}`, { token: ctx.token })).json.containers;
      }
      const ours = containers[name]!;
      expect(ours.map((c) => c.name).sort()).toEqual([`${name}-db-1`, `${name}-web-1`, `${name}-web-2`]);

      const run: ComposeRun = { project: name, dir: path.join(projectsDir, name), inFolder: true, dockerHost: env().dockerHost };
      const quiet = (await dockerCompose(run, ['ps', '-q'])).split('\n').filter(Boolean);
      const full = await Promise.all(ours.map(async (c) => (await docker.getContainer(c.container_id).inspect()).Id));
      expect(quiet.sort()).toEqual(full.sort());

      // The table: one row per container, each "Up".
      const rows = (await dockerCompose(run, ['ps'])).split('\n').slice(2).filter((l) => l.trim());
      expect(rows.map((r) => r.split(/\s+/)[0]).sort()).toEqual(ours.map((c) => c.name).sort());
      for (const r of rows) expect(r).toMatch(/\sUp\s/);
      expect((await dockerCompose(run, ['ps', '--services'])).split('\n').filter(Boolean).sort()).toEqual(['db', 'web']);
    } finally {
      for (const id of ids) await ctx.s.request('DELETE', `/api/services/${id}?mode=hard`, { token: ctx.token });
    }
  });
});
