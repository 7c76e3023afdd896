// A recreate keeps what a container wrote to its anonymous volumes, as
// compose does: a VOLUME the image declares (a database image's data
// directory, when the compose file names no volume for it) and a service
// volume without a source (`- /cache`). The rule is compose v2's (pkg/compose
// buildContainerMountOptions: the replaced container's mounts at the image's
// Config.Volumes paths and at sourceless service volumes are mounted again).
// docker-compose 1.29, the oracle here, keeps the service volume too; for the
// image's VOLUME it reads the legacy ContainerConfig.Volumes, which images
// made by `docker commit` or BuildKit leave empty, so it loses that data: the
// first test pins that difference, where the specification's implementation wins.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { composeDown, composeUp, type ComposeRun } from '../helpers/compose-oracle.js';
import { execIn, inspect, projectContainers, testDocker, uniqueName, volumeExists } from '../helpers/engine.js';
import { deployAndWait, useServer } from '../helpers/server.js';

const ctx = useServer();
const docker = testDocker();
const dir = mkdtempSync(path.join(os.tmpdir(), 'capstan-anon-'));
/** The busybox test image with `VOLUME /data`, as a database image declares its data directory. */
const volumeImage = `capstan-test/with-volume:${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  const base = await docker.createContainer({ Image: inject('testEnv').image, Cmd: ['true'] });
  const [repo, tag] = volumeImage.split(':') as [string, string];
  await base.commit({ repo, tag, changes: 'VOLUME ["/data"]' });
  await base.remove();
}, 60_000);

afterAll(async () => {
  await docker.getImage(volumeImage).remove({ force: true }).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

const yaml = (image: string, busybox: string) => `services:
  db:
    image: ${image}
    command: ["sleep", "86400"]
    environment:
      REVISION: \${REVISION}
  cache:
    image: ${busybox}
    command: ["sleep", "86400"]
    volumes:
      - /cache
    environment:
      REVISION: \${REVISION}
`;

/** Writes a marker into each anonymous volume, and answers how to read them back. */
async function writeMarkers(project: string, sep: string): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  for (const [key, target] of [['db', '/data'], ['cache', '/cache']] as const) {
    const name = `${project}${sep}${key}${sep}1`;
    await execIn(docker, name, ['sh', '-c', `echo kept-${key} > ${target}/marker`]);
    names[key] = name;
  }
  return names;
}

async function volumesOf(name: string): Promise<Record<string, string>> {
  const info = await inspect(docker, name);
  return Object.fromEntries((info.Mounts ?? []).map((m) => [m.Destination, m.Name ?? '']));
}

describe('anonymous volumes survive a recreate', () => {
  it('docker-compose 1.29 keeps the service volume; the image VOLUME only as far as it reads the legacy field', { timeout: 120_000 }, async () => {
    const run: ComposeRun = { project: uniqueName('anonoracle'), dir, dockerHost: inject('testEnv').dockerHost };
    writeFileSync(path.join(dir, 'compose.yaml'), yaml(volumeImage, inject('testEnv').image));
    writeFileSync(path.join(dir, '.env'), 'REVISION=1\n');
    try {
      await composeUp(docker, run, [volumeImage, inject('testEnv').image]);
      const names = await writeMarkers(run.project, '_');
      const before = (await projectContainers(docker, run.project)).map((c) => c.Id).sort();
      writeFileSync(path.join(dir, '.env'), 'REVISION=2\n');
      await composeUp(docker, run, [volumeImage, inject('testEnv').image]);
      expect((await projectContainers(docker, run.project)).map((c) => c.Id).sort()).not.toEqual(before);
      expect(await execIn(docker, names.cache!, ['cat', '/cache/marker'])).toBe('kept-cache\n');
      const image = await docker.getImage(volumeImage).inspect();
      expect(Object.keys(image.Config.Volumes ?? {})).toEqual(['/data']);
      expect((image as { ContainerConfig?: { Volumes?: unknown } }).ContainerConfig?.Volumes ?? null).toBeNull();
      expect(await execIn(docker, names.db!, ['sh', '-c', 'cat /data/marker 2>&1 || true'])).toMatch(/No such file/);
    } finally {
      await composeDown(run);
    }
  });

  it('Capstan keeps them through a definition change and a redeploy, on the same volumes', { timeout: 120_000 }, async () => {
    const name = uniqueName('anonvol');
    const text = yaml(volumeImage, inject('testEnv').image);
    const { service, deployment } = await deployAndWait(ctx.s, ctx.token, 'POST', '/api/services', { name, yaml: text, env: 'REVISION=1\n' });
    expect(deployment.status).toBe('succeeded');
    try {
      const names = await writeMarkers(name, '-');
      const volumes = { db: await volumesOf(names.db!), cache: await volumesOf(names.cache!) };
      expect(volumes.db['/data']).toMatch(/^[0-9a-f]{64}$/);
      expect(volumes.cache['/cache']).toMatch(/^[0-9a-f]{64}$/);
      const before = (await projectContainers(docker, name)).map((c) => c.Id).sort();

      // An environment change recreates both containers.
      const changed = await deployAndWait(ctx.s, ctx.token, 'PUT', `/api/services/${service.id}`, { yaml: text, env: 'REVISION=2\n' });
      expect(changed.deployment.status, JSON.stringify(changed.deployment.steps)).toBe('succeeded');
      expect(changed.deployment.steps.filter((s: { action: string }) => s.action === 'recreate')).toHaveLength(2);
      expect((await projectContainers(docker, name)).map((c) => c.Id).sort()).not.toEqual(before);
      expect(await execIn(docker, names.db!, ['cat', '/data/marker'])).toBe('kept-db\n');
      expect(await execIn(docker, names.cache!, ['cat', '/cache/marker'])).toBe('kept-cache\n');
      expect(await volumesOf(names.db!)).toEqual(volumes.db);
      expect(await volumesOf(names.cache!)).toEqual(volumes.cache);

      // A definition that now mounts a named volume there gets that volume: the definition wins.
      const named = text.replace('      - /cache', '      - cachedata:/cache') + 'volumes:\n  cachedata: {}\n';
      const renamed = await deployAndWait(ctx.s, ctx.token, 'PUT', `/api/services/${service.id}`, { yaml: named, env: 'REVISION=2\n' });
      expect(renamed.deployment.status, JSON.stringify(renamed.deployment.steps)).toBe('succeeded');
      expect((await volumesOf(names.cache!))['/cache']).toBe(`${name}_cachedata`);
      expect(await execIn(docker, names.cache!, ['sh', '-c', 'cat /cache/marker 2>&1 || true'])).toMatch(/No such file/);
      expect(await execIn(docker, names.db!, ['cat', '/data/marker'])).toBe('kept-db\n');

      // A hard delete removes the volumes, the anonymous ones with their containers (compose down -v).
      expect((await ctx.s.request('DELETE', `/api/services/${service.id}?mode=hard`, { token: ctx.token })).status).toBeLessThan(300);
      await expect.poll(async () => (await ctx.s.request('GET', `/api/services/${service.id}`, { token: ctx.token })).status, { timeout: 30_000 }).toBe(404);
      expect(await volumeExists(docker, volumes.db['/data']!)).toBe(false);
      expect(await volumeExists(docker, `${name}_cachedata`)).toBe(false);
    } finally {
      await ctx.s.request('DELETE', `/api/services/${service.id}?mode=hard`, { token: ctx.token });
    }
  });
});
