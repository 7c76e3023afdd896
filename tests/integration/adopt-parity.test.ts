// Adoption round trip. Each parity fixture (tests/fixtures/compose/parity)
// is started by Debian's docker-compose 1.29 as a README would have it
// started, then adopted by Capstan: its containers are kept as they are (none
// restarted), and the definition Capstan reads back from them must make the
// same containers. A redeploy through Capstan recreates every container (they
// lack Capstan's labels) from that definition alone, and the Engine
// configuration of the result is compared field by field with what compose
// made (compose-oracle.ts normalizes both). Every fixture is expressible in
// a compose file, so adoption warns of nothing here (what it cannot read back
// is warned of: tests/unit/adopt-read.test.ts).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { composeDown, composeUp, type ComposeRun } from '../helpers/compose-oracle.js';
import { testDocker } from '../helpers/engine.js';
import { fixtureFacts, imagesOf, PARITY_FIXTURES, parityFixtures, runtimeEnv, snapshot } from '../helpers/parity.js';
import { useServer, waitForDeployment } from '../helpers/server.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'capstan-adopt-parity-'));
const ctx = useServer({ CAPSTAN_PROJECTS_DIR: path.join(work, 'projects') });
const docker = testDocker();
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('an adopted project is redeployed as docker-compose made it', () => {
  for (const fixture of parityFixtures()) {
    it(fixture, { timeout: 300_000 }, async () => {
      const fixtureDir = path.join(PARITY_FIXTURES, fixture);
      const name = `adp-${fixture}-${Math.random().toString(36).slice(2, 6)}`;
      const yaml = readFileSync(path.join(fixtureDir, 'compose.yaml'), 'utf8');
      const { hostnames, fixedSubnets } = fixtureFacts(yaml, name);
      const composeDir = path.join(work, 'compose', name);
      mkdirSync(composeDir, { recursive: true });
      cpSync(fixtureDir, composeDir, { recursive: true });
      writeFileSync(path.join(composeDir, '.env'), await runtimeEnv(fixtureDir, name));
      const run: ComposeRun = { project: name, dir: composeDir, dockerHost: inject('testEnv').dockerHost };
      let serviceId = '';
      try {
        await composeUp(docker, run, await imagesOf(run));
        const oracle = await snapshot(docker, name, composeDir, hostnames, fixedSubnets, 'compose');
        const started = Object.fromEntries(await Promise.all(Object.entries(oracle.ids).map(async ([k, id]) => [k, (await docker.getContainer(id).inspect()).State.StartedAt] as const)));

        // 1. Adopted: nothing restarted.
        const adopted = await ctx.s.request('POST', '/api/services/adopt', { token: ctx.token, body: { project: name } });
        expect(adopted.status, adopted.text).toBe(201);
        serviceId = adopted.json.id;
        expect(adopted.json.warnings).toEqual([]);
        for (const [k, id] of Object.entries(oracle.ids)) expect((await docker.getContainer(id).inspect()).State.StartedAt, k).toBe(started[k]);

        // 2. Redeployed from the definition read back: every container recreated.
        const redeploy = await ctx.s.request('POST', `/api/services/${serviceId}/redeploy`, { token: ctx.token });
        expect(redeploy.status, redeploy.text).toBeLessThan(300);
        const deployment = await waitForDeployment(ctx.s, ctx.token, redeploy.json.deployment_id, 180_000);
        expect(deployment.status, JSON.stringify({ error: deployment.error, steps: deployment.steps?.slice(-3) })).toBe('succeeded');
        const ours = await snapshot(docker, name, composeDir, hostnames, fixedSubnets, 'adopted');
        for (const [k, id] of Object.entries(ours.ids)) expect(id, `${k} was not recreated`).not.toBe(oracle.ids[k]);

        // 3. The same containers, the same configuration.
        expect(Object.keys(ours.normalized)).toEqual(Object.keys(oracle.normalized));
        expect(ours.normalized).toEqual(oracle.normalized);
        expect(ours.resources).toEqual(oracle.resources);
      } finally {
        if (serviceId) await ctx.s.request('DELETE', `/api/services/${serviceId}?mode=hard`, { token: ctx.token });
        await composeDown(run).catch(() => {});
      }
    });
  }
});
