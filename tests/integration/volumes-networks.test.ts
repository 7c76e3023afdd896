import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auditLog } from '../../src/db/schema.js';
import { networkExists, testDocker, uniqueName, volumeExists } from '../helpers/engine.js';
import { deployAndWait, expectContractError, useServer } from '../helpers/server.js';

const ctx = useServer();
const docker = testDocker();
const env = () => inject('testEnv');
/** Every object this file creates behind Capstan's back carries it, so prunes here touch nothing of other files. */
const LABEL = `io.capstan.test.${uniqueName('vn').replace('-', '')}`;

async function api(method: string, path: string, body?: unknown) {
  return ctx.s.request(method, path, { token: ctx.token, ...(body === undefined ? {} : { body }) });
}

const auditEntries = async (action: string) => (await ctx.s.app.db.select().from(auditLog)).filter((e) => e.action === action);
const findIn = async (kind: 'volumes' | 'networks', name: string) => {
  const res = await api('GET', `/api/${kind}`);
  expect(res.status, res.text).toBe(200);
  return res.json.find((o: { name: string }) => o.name === name);
};

const foreignVolume = async (labels: Record<string, string> = {}) => {
  const name = uniqueName('vol');
  await docker.createVolume({ Name: name, Labels: { [LABEL]: '1', ...labels } });
  return name;
};
const foreignNetwork = async (labels: Record<string, string> = {}) => {
  const name = uniqueName('net');
  await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: { [LABEL]: '1', ...labels } });
  return name;
};
/** A container Capstan does not manage, never started (created is enough to hold a volume or a network). */
const holder = (opts: { volume?: string; network?: string }) =>
  docker.createContainer({
    name: uniqueName('holder'),
    Image: env().image,
    Cmd: ['sleep', '86400'],
    Labels: { [LABEL]: '1' },
    HostConfig: {
      ...(opts.volume ? { Binds: [`${opts.volume}:/data`] } : {}),
      ...(opts.network ? { NetworkMode: opts.network } : {}),
    },
  });

afterAll(async () => {
  for (const c of await docker.listContainers({ all: true, filters: { label: [LABEL] } })) await docker.getContainer(c.Id).remove({ force: true });
  for (const v of (await docker.listVolumes({ filters: { label: [LABEL] } })).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
  for (const n of await docker.listNetworks({ filters: { label: [LABEL] } })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
});

describe("a service's volume and network", () => {
  let service: any;
  let name = '';
  beforeAll(async () => {
    name = uniqueName('vnsvc');
    // 64 KiB written into the volume, so its size is something to measure.
    ({ service } = await deployAndWait(ctx.s, ctx.token, 'POST', '/api/services', {
      name,
      services: { a: { image: env().image, command: ['sh', '-c', 'dd if=/dev/zero of=/data/blob bs=1024 count=64 2>/dev/null; sleep 86400'], volumes: ['data:/data'] } },
      volumes: { data: {} },
    }));
  }, 120_000);
  afterAll(async () => {
    if (!service) return;
    expect((await api('DELETE', `/api/services/${service.id}?mode=hard`)).status).toBe(200);
    // expect.poll is for tests, not hooks: a plain wait until the service (and its containers) are gone.
    for (let i = 0; i < 300 && (await api('GET', `/api/services/${service.id}`)).status !== 404; i++) await new Promise((r) => setTimeout(r, 100));
  });

  it('are listed with their driver, size, owner and the service using them', async () => {
    const container = service.containers[0];
    await expect.poll(async () => (await findIn('volumes', `${name}_data`))?.size_bytes, { timeout: 20_000 }).toBeGreaterThanOrEqual(64 * 1024);
    const volume = await findIn('volumes', `${name}_data`);
    expect(volume).toMatchObject({
      driver: 'local',
      used_by: [service.id],
      in_use: true,
      managed: true,
      service_id: service.id,
      project: name,
      anonymous: false,
      containers: [{ id: container.container_id, name: container.name, state: 'running', service_id: service.id, service_name: name }],
    });
    expect(Number.isInteger(volume.size_bytes)).toBe(true);

    const network = await findIn('networks', `${name}_default`);
    expect(network).toMatchObject({ driver: 'bridge', used_by: [service.id], in_use: true, managed: true, service_id: service.id, project: name, size_bytes: null, predefined: false });
  });

  it('removing either while the service uses it is a 409 naming the service; nothing is removed', async () => {
    expectContractError(await api('DELETE', `/api/volumes/${name}_data`), 409, new RegExp(`service ${name} \\(container ${service.containers[0].name}\\)`));
    expect(await volumeExists(docker, `${name}_data`)).toBe(true);
    expectContractError(await api('DELETE', `/api/networks/${name}_default`), 409, new RegExp(`service ${name}`));
    expect(await networkExists(docker, `${name}_default`)).toBe(true);
    expect((await auditEntries('volume.remove')).at(-1)).toMatchObject({ target: `volume:${name}_data`, outcome: 'failure', details: { code: 'CONFLICT' } });
    expect((await auditEntries('network.remove')).at(-1)).toMatchObject({ target: `network:${name}_default`, outcome: 'failure' });
  });

  it('are per engine: a second engine on the same daemon lists them without the services of `local`, and acts only where it is told', async () => {
    const alias = await api('POST', '/api/engines', { name: uniqueName('alias'), url: env().dockerHost });
    expect(alias.status, alias.text).toBe(201);
    const other: string = alias.json.id;
    try {
      const container = service.containers[0];
      // Without a query, and with engine_id=local: the service's own.
      expect((await findIn('volumes', `${name}_data`))?.used_by).toEqual([service.id]);
      const local = await api('GET', '/api/volumes?engine_id=local');
      expect(local.json.find((v: { name: string }) => v.name === `${name}_data`)?.used_by).toEqual([service.id]);

      const volumes = await api('GET', `/api/volumes?engine_id=${other}`);
      expect(volumes.status, volumes.text).toBe(200);
      // Still stamped for the service (its labels), but no service of that engine uses it.
      expect(volumes.json.find((v: { name: string }) => v.name === `${name}_data`)).toMatchObject({
        used_by: [],
        in_use: true,
        service_id: service.id,
        containers: [{ id: container.container_id, name: container.name, service_id: null, service_name: null }],
      });
      const networks = await api('GET', `/api/networks?engine_id=${other}`);
      expect(networks.status, networks.text).toBe(200);
      expect(networks.json.find((n: { name: string }) => n.name === `${name}_default`)).toMatchObject({ used_by: [], in_use: true });

      expectContractError(await api('DELETE', `/api/volumes/${name}_data?engine_id=${other}`), 409, new RegExp(`^volume ${name}_data is used by container ${container.name};`));
      expectContractError(await api('DELETE', `/api/networks/${name}_default?engine_id=${other}`), 409, new RegExp(`container ${container.name}`));
      expect(await volumeExists(docker, `${name}_data`)).toBe(true);
      expect((await auditEntries('volume.remove')).at(-1)).toMatchObject({ outcome: 'failure', details: { engine_id: other, code: 'CONFLICT' } });

      for (const [method, path, body] of [
        ['GET', '/api/volumes?engine_id=nope'],
        ['GET', '/api/networks?engine_id=nope'],
        ['DELETE', `/api/volumes/${name}_data?engine_id=nope`],
        ['DELETE', `/api/networks/${name}_default?engine_id=nope`],
        ['POST', '/api/volumes/prune', { engine_id: 'nope' }],
        ['POST', '/api/networks/prune', { engine_id: 'nope' }],
      ] as const) {
        expectContractError(await api(method, path, body), 404, /^engine_id: /);
      }
      expect((await auditEntries('network.prune')).at(-1)).toMatchObject({ outcome: 'failure', details: { engine_id: 'nope' } });
    } finally {
      expect((await api('DELETE', `/api/engines/${other}`)).status).toBe(200);
    }
  });

  it('a prune keeps them, even with everything unused allowed', async () => {
    const res = await api('POST', '/api/volumes/prune', { all: true, label: [`com.docker.compose.project=${name}`] });
    expect(res.status, res.text).toBe(200);
    expect(res.json.deleted).toEqual([]);
    expect(await volumeExists(docker, `${name}_data`)).toBe(true);
  });
});

describe('foreign volumes and networks', () => {
  it('are listed as not Capstan\'s; one used by a foreign container is refused, naming that container', async () => {
    const volume = await foreignVolume();
    const network = await foreignNetwork();
    const c = await holder({ volume, network });
    const cname = (await c.inspect()).Name.replace(/^\//, '');
    const v = await findIn('volumes', volume);
    expect(v).toMatchObject({ managed: false, service_id: null, project: null, used_by: [], in_use: true, containers: [{ name: cname, state: 'created', service_id: null }] });
    expect(v.size_bytes === null || Number.isInteger(v.size_bytes)).toBe(true);
    expect(await findIn('networks', network)).toMatchObject({ managed: false, used_by: [], in_use: true, containers: [{ name: cname, state: 'created' }] });

    expectContractError(await api('DELETE', `/api/volumes/${volume}`), 409, new RegExp(`container ${cname}`));
    // The engine itself would let this one go (its only container is not running); it could then never start.
    expectContractError(await api('DELETE', `/api/networks/${network}`), 409, new RegExp(`container ${cname}`));
    expect(await volumeExists(docker, volume)).toBe(true);
    expect(await networkExists(docker, network)).toBe(true);
  });

  it('an unused one is removed, audited; then it is a 404', async () => {
    const volume = await foreignVolume();
    const network = await foreignNetwork();
    const rv = await api('DELETE', `/api/volumes/${volume}`);
    expect(rv.status, rv.text).toBe(200);
    expect(rv.json).toEqual({ success: true, name: volume });
    expect(await volumeExists(docker, volume)).toBe(false);
    const rn = await api('DELETE', `/api/networks/${network}`);
    expect(rn.status, rn.text).toBe(200);
    expect(await networkExists(docker, network)).toBe(false);
    expect((await auditEntries('volume.remove')).some((e) => e.target === `volume:${volume}` && e.outcome === 'success')).toBe(true);
    expect((await auditEntries('network.remove')).some((e) => e.target === `network:${network}` && e.outcome === 'success')).toBe(true);

    expectContractError(await api('DELETE', `/api/volumes/${volume}`), 404, new RegExp(volume));
    expectContractError(await api('DELETE', `/api/networks/${network}`), 404, new RegExp(network));
  });

  it('a volume created without a name is listed as anonymous', async () => {
    const c = await docker.createContainer({ Image: env().image, Cmd: ['true'], Labels: { [LABEL]: '1' }, Volumes: { '/data': {} } });
    try {
      const anon = (await c.inspect()).Mounts.find((m) => m.Destination === '/data')!.Name!;
      expect(await findIn('volumes', anon)).toMatchObject({ anonymous: true, managed: false, in_use: true });
    } finally {
      await c.remove({ v: true });
    }
  });

  it('bad names are a 400 naming the field', async () => {
    expectContractError(await api('DELETE', `/api/volumes/${encodeURIComponent('-bad name')}`), 400, /^name: /);
    expectContractError(await api('DELETE', `/api/networks/${encodeURIComponent('a$b')}`), 400, /^name: /);
    expectContractError(await api('DELETE', `/api/networks/${'x'.repeat(300)}`), 400, /^name: /);
    expectContractError(await api('POST', '/api/volumes/prune', { label: ['has space'] }), 400, /^label/);
  });
});

describe('predefined networks', () => {
  it.each(['bridge', 'host', 'none'])('%s is listed as predefined and never removed', async (network) => {
    expect(await findIn('networks', network)).toMatchObject({ predefined: true, managed: false });
    expectContractError(await api('DELETE', `/api/networks/${network}`), 403, new RegExp(`network ${network} is created by the Docker engine`));
    expect(await networkExists(docker, network)).toBe(true);
  });
});

describe('prune', () => {
  it('volumes: removes only the unused ones, named ones only with all, and audits what went', async () => {
    const scope = `${LABEL}.prune=${uniqueName('p')}`;
    const [k, val] = scope.split('=') as [string, string];
    const unusedA = await foreignVolume({ [k]: val });
    const unusedB = await foreignVolume({ [k]: val });
    const used = await foreignVolume({ [k]: val });
    await holder({ volume: used });

    const namedKept = await api('POST', '/api/volumes/prune', { label: [scope] });
    expect(namedKept.status, namedKept.text).toBe(200);
    expect(namedKept.json.deleted).toEqual([]);
    expect(await volumeExists(docker, unusedA)).toBe(true);

    const res = await api('POST', '/api/volumes/prune', { all: true, label: [scope] });
    expect(res.status, res.text).toBe(200);
    expect([...res.json.deleted].sort()).toEqual([unusedA, unusedB].sort());
    expect(res.json.space_reclaimed).toEqual(expect.any(Number));
    expect(await volumeExists(docker, unusedA)).toBe(false);
    expect(await volumeExists(docker, unusedB)).toBe(false);
    expect(await volumeExists(docker, used)).toBe(true);
    expect((await auditEntries('volume.prune')).at(-1)).toMatchObject({ outcome: 'success', target: 'volumes:unused', details: { all: true, deleted: expect.arrayContaining([unusedA, unusedB]) } });
  });

  it('networks: removes only those no container is attached to, running or not', async () => {
    const scope = `${LABEL}.prune=${uniqueName('p')}`;
    const [k, val] = scope.split('=') as [string, string];
    const unusedA = await foreignNetwork({ [k]: val });
    const unusedB = await foreignNetwork({ [k]: val });
    const attached = await foreignNetwork({ [k]: val });
    await holder({ network: attached });

    const res = await api('POST', '/api/networks/prune', { label: [scope] });
    expect(res.status, res.text).toBe(200);
    expect([...res.json.deleted].sort()).toEqual([unusedA, unusedB].sort());
    expect(await networkExists(docker, unusedA)).toBe(false);
    expect(await networkExists(docker, unusedB)).toBe(false);
    expect(await networkExists(docker, attached)).toBe(true);
    expect(await networkExists(docker, 'bridge')).toBe(true);
    expect((await auditEntries('network.prune')).at(-1)).toMatchObject({ outcome: 'success', target: 'networks:unused', details: { deleted: expect.arrayContaining([unusedA, unusedB]) } });
  });
});
