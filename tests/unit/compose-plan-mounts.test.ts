import { describe, expect, it } from 'vitest';
import { composeProject, hostOf as host, planOf as plan, planOne as one } from '../helpers/compose-project.js';

// Mounts, secrets, configs and networking as compose v2's create.go builds them.
const project = (services: Parameters<typeof composeProject>[1], extra?: Parameters<typeof composeProject>[2]) => composeProject('app', services, extra);

describe('mounts, secrets and configs', () => {
  const volumes = { data: { name: 'app_data' }, ext: { name: 'shared', external: true } };

  it('uses Binds for plain binds and named volumes and Mounts for the rest, as compose v2', () => {
    const c = one(
      {
        volumes: [
          { type: 'bind', source: '/srv/projects/app/conf', target: '/conf', read_only: true, bind: { create_host_path: true, selinux: 'z' } },
          { type: 'bind', source: '/srv/x', target: '/x', bind: { create_host_path: false } },
          { type: 'bind', source: '/srv/p', target: '/p', bind: { propagation: 'rshared' } },
          { type: 'bind', source: '/srv/r', target: '/r', read_only: true, bind: { create_host_path: true, recursive: 'readonly' } },
          { type: 'volume', source: 'data', target: '/data' },
          { type: 'volume', source: 'ext', target: '/ext', read_only: true },
          { type: 'volume', source: 'data', target: '/nocopy', volume: { nocopy: true } },
          { type: 'volume', target: '/anon' },
          { type: 'tmpfs', target: '/cache', tmpfs: { size: 1048576, mode: 0o1777 } },
        ],
      },
      { volumes },
    );
    expect(host(c).Binds).toEqual(['/srv/projects/app/conf:/conf:ro,z', 'app_data:/data:rw', 'shared:/ext:ro']);
    expect(host(c).Mounts).toEqual([
      { Type: 'bind', Source: '/srv/x', Target: '/x', BindOptions: { CreateMountpoint: false } },
      { Type: 'bind', Source: '/srv/p', Target: '/p', BindOptions: { Propagation: 'rshared' } },
      { Type: 'bind', Source: '/srv/r', Target: '/r', ReadOnly: true, BindOptions: { CreateMountpoint: true, ReadOnlyForceRecursive: true } },
      { Type: 'volume', Source: 'app_data', Target: '/nocopy', VolumeOptions: { NoCopy: true } },
      { Type: 'volume', Target: '/anon' },
      { Type: 'tmpfs', Target: '/cache', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 } },
    ]);
  });

  it('plans only used volumes and networks; external ones are not created', () => {
    const p = plan(project({ web: { volumes: [{ type: 'volume', source: 'ext', target: '/e' }] } }, { volumes: { ...volumes, unused: { name: 'app_unused' } } }));
    expect(p.volumes).toEqual([{ key: 'ext', name: 'shared', external: true }]);
  });

  it('binds file secrets and configs read-only; copies content ones in', () => {
    const p = project(
      {
        web: {
          secrets: [{ source: 'pw', target: '/run/secrets/pw' }, { source: 'token', target: '/run/secrets/token', uid: '100', gid: '101', mode: 0o400 }],
          configs: [{ source: 'conf', target: '/etc/app.conf' }, { source: 'inline', target: '/inline.txt' }],
        },
      },
      {
        secrets: { pw: { name: 'app_pw', file: '/srv/projects/app/pw.txt' }, token: { name: 'app_token', environment: 'TOKEN' } },
        configs: { conf: { name: 'app_conf', file: '/srv/projects/app/app.conf' }, inline: { name: 'app_inline', content: 'hello' } },
      },
    );
    const c = plan(p, { env: { TOKEN: 's3cret' } }).containers[0]!;
    expect(host(c).Mounts).toEqual([
      { Type: 'bind', Source: '/srv/projects/app/pw.txt', Target: '/run/secrets/pw', ReadOnly: true },
      { Type: 'bind', Source: '/srv/projects/app/app.conf', Target: '/etc/app.conf', ReadOnly: true },
    ]);
    expect(c.files).toEqual([
      { kind: 'secret', source: 'token', target: '/run/secrets/token', content: 's3cret', uid: 100, gid: 101, mode: 0o400 },
      { kind: 'config', source: 'inline', target: '/inline.txt', content: 'hello', mode: 0o444 },
    ]);
    // The content is in no create option (those may be logged or shown), only in the files to copy.
    expect(JSON.stringify(c.create)).not.toContain('s3cret');
    expect(plan(p, { env: { TOKEN: 'other' } }).containers[0]!.hash).not.toBe(c.hash);
    let err: Error | undefined;
    try {
      plan(p);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toBe('The variable TOKEN required by secret token is not set');
  });

  it('refuses content secrets in a read-only service, as compose does', () => {
    expect(() => one({ read_only: true, configs: [{ source: 'c', target: '/c' }] }, { configs: { c: { name: 'app_c', content: 'x' } } })).toThrow(/read-only service/);
  });
});

describe('networking', () => {
  const networks = { default: { name: 'app_default' }, front: { name: 'app_front' }, back: { name: 'custom-back' } };

  it('puts the highest-priority network in the create call and connects the others', () => {
    const c = one(
      {
        mac_address: '02:42:ac:11:00:02',
        networks: { front: { aliases: ['www'], ipv4_address: '10.5.0.5' }, back: { priority: 100, interface_name: 'eth9' } },
      },
      { networks },
    );
    expect(host(c).NetworkMode).toBe('custom-back');
    expect(c.create.NetworkingConfig).toEqual({
      EndpointsConfig: { 'custom-back': { Aliases: ['app-web-1', 'web'], DriverOpts: { 'com.docker.network.endpoint.ifname': 'eth9' }, MacAddress: '02:42:ac:11:00:02' } },
    });
    expect(c.connect).toEqual([{ network: 'app_front', endpoint: { Aliases: ['app-web-1', 'web', 'www'], IPAMConfig: { IPv4Address: '10.5.0.5' } } }]);
  });

  it('joins the default network when the service names none', () => {
    const c = one({});
    expect(host(c).NetworkMode).toBe('app_default');
    expect(c.create.NetworkingConfig).toEqual({ EndpointsConfig: { app_default: { Aliases: ['app-web-1', 'web'] } } });
    expect(c.connect).toEqual([]);
  });

  it('uses network_mode as is, and service:x as that container to resolve', () => {
    const hostMode = one({ network_mode: 'host' });
    expect(host(hostMode).NetworkMode).toBe('host');
    expect(hostMode.create.NetworkingConfig).toBeUndefined();
    const p = plan(project({ vpn: {}, app: { network_mode: 'service:vpn', ipc: 'service:vpn' } }));
    const app = p.containers.find((c) => c.key === 'app')!;
    expect(host(app)).toMatchObject({ NetworkMode: 'container:app-vpn-1', IpcMode: 'container:app-vpn-1' });
    expect(app.refs).toEqual([
      { field: 'NetworkMode', service: 'vpn', container: 'app-vpn-1' },
      { field: 'IpcMode', service: 'vpn', container: 'app-vpn-1' },
    ]);
    expect(p.containers.map((c) => c.key)).toEqual(['vpn', 'app']);
  });

  it('turns links and volumes_from into container names', () => {
    const p = plan(project({ db: { scale: 2 }, web: { links: ['db:database'], external_links: ['redis:cache'], volumes_from: ['db:ro', 'container:other'] } }));
    const web = p.containers.find((c) => c.key === 'web')!;
    expect(host(web).Links).toEqual([
      'app-db-1:database', 'app-db-1:db-1', 'app-db-1:app-db-1',
      'app-db-2:database', 'app-db-2:db-1', 'app-db-2:app-db-1',
      'redis:cache',
    ]);
    expect(host(web).VolumesFrom).toEqual(['app-db-1:ro', 'other']);
  });

  it('plans project networks with their options and compose labels', () => {
    const p = plan(
      project({ web: { networks: { front: {}, ext: {} } } }, {
        networks: {
          default: { name: 'app_default' },
          front: { name: 'app_front', driver: 'bridge', driver_opts: { 'com.docker.network.bridge.name': 'br-x' }, internal: true, attachable: true, enable_ipv6: false, labels: { l: 'v' }, ipam: { config: [{ subnet: '10.99.0.0/24', gateway: '10.99.0.1' }] } },
          ext: { name: 'outside', external: true },
        },
      }),
    );
    expect(p.networks).toEqual([
      { key: 'ext', name: 'outside', external: true },
      {
        key: 'front', name: 'app_front', external: false,
        create: {
          Name: 'app_front', CheckDuplicate: true, Driver: 'bridge', Options: { 'com.docker.network.bridge.name': 'br-x' }, Internal: true, Attachable: true, EnableIPv6: false,
          IPAM: { Config: [{ Subnet: '10.99.0.0/24', Gateway: '10.99.0.1' }] },
          Labels: { l: 'v', 'com.docker.compose.project': 'app', 'com.docker.compose.network': 'front', 'com.docker.compose.version': '2.29.0', 'io.capstan.service-id': 'svc1' },
        },
      },
    ]);
  });
});

