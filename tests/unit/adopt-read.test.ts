import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { networkKeys, type NetworkDeclarations } from '../../src/server/docker/adopt-network.js';
import { configKeys, hostKeys, type Siblings } from '../../src/server/docker/adopt-service.js';
import { volumeKeys, type VolumeDeclarations } from '../../src/server/docker/adopt-storage.js';

const ID = 'c0ffee'.padEnd(64, '0');
const DB_ID = 'db'.padEnd(64, '1');
const siblings: Siblings = new Map([[DB_ID, { key: 'db', name: 'shop-db-1' }]]);

/** An inspect answer as the engine gives it, with the fields a test sets. */
function inspect(config: Record<string, unknown> = {}, host: Record<string, unknown> = {}, rest: Record<string, unknown> = {}): Docker.ContainerInspectInfo {
  return {
    Id: ID,
    Name: '/shop-web-1',
    Image: 'sha256:abc',
    Config: { Image: 'web:1', Hostname: ID.slice(0, 12), Env: ['PATH=/usr/bin'], Cmd: ['serve'], Labels: {}, ...config },
    HostConfig: { NetworkMode: 'shop_default', LogConfig: { Type: 'json-file', Config: {} }, ShmSize: 64 * 1024 * 1024, IpcMode: 'private', Runtime: 'runc', ...host },
    Mounts: [],
    NetworkSettings: { Networks: {} },
    ...rest,
  } as unknown as Docker.ContainerInspectInfo;
}
const image = { Env: ['PATH=/usr/bin'], Cmd: ['serve'], ExposedPorts: { '80/tcp': {} }, User: '', WorkingDir: '/app' };
const engine = { loggingDriver: 'json-file' };

describe('reading a service back from a container', () => {
  it('keeps only what differs from the image: an unset variable stays unset, the id hostname is no hostname', () => {
    const keys = configKeys(inspect({ Env: ['PATH=/usr/bin', 'MODE=prod', 'EMPTY=', 'UNSET'], User: '1000:1000', WorkingDir: '/app', StopTimeout: 30, Tty: true, ExposedPorts: { '80/tcp': {}, '9000/tcp': {}, '53/udp': {} } }), image);
    expect(keys).toEqual({ environment: { MODE: 'prod', EMPTY: '', UNSET: null }, user: '1000:1000', tty: true, stop_grace_period: '30s', expose: ['9000', '53/udp'] });
    expect(configKeys(inspect({ Hostname: 'shop-web' }), image)).toEqual({ hostname: 'shop-web' });
    // Sharing another container's network, its hostname is that one's: not the service's to set.
    expect(configKeys(inspect({ Hostname: 'db-host' }, { NetworkMode: `container:${DB_ID}` }), image)).toEqual({});
  });

  it('inverts host settings, leaving the engine defaults out', () => {
    const warnings: string[] = [];
    const keys = hostKeys(
      inspect({}, {
        PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '5353' }] },
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
        Memory: 268435456,
        MemorySwap: 536870912,
        NanoCpus: 1500000000,
        PidsLimit: 100,
        Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }, { PathOnHost: '/dev/snd', PathInContainer: '/dev/snd', CgroupPermissions: 'r' }],
        Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
        CapAdd: ['NET_ADMIN'],
        IpcMode: `container:${DB_ID}`,
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m' } },
        ShmSize: 256 * 1024 * 1024,
        Tmpfs: { '/run': '', '/tmp': 'size=8m' },
        Init: true,
      }),
      engine,
      siblings,
      warnings,
    );
    expect(keys).toEqual({
      ports: ['127.0.0.1:8080:80', '5353:53/udp'],
      restart: 'on-failure:3',
      // The engine writes twice the memory as the swap limit itself: not a setting.
      mem_limit: 268435456,
      cpus: 1.5,
      pids_limit: 100,
      devices: ['/dev/fuse:/dev/fuse', '/dev/snd:/dev/snd:r'],
      ulimits: { nofile: { soft: 1024, hard: 2048 } },
      cap_add: ['NET_ADMIN'],
      ipc: 'service:db',
      logging: { driver: 'json-file', options: { 'max-size': '10m' } },
      shm_size: 268435456,
      tmpfs: ['/run', '/tmp:size=8m'],
      init: true,
    });
    expect(warnings).toEqual([]);
  });

  it('warns of what a compose file cannot say, and says it without the values', () => {
    const warnings: string[] = [];
    const keys = hostKeys(inspect({}, { Links: ['/shop-db-1:/shop-web-1/db'], VolumesFrom: ['shop-db-1'], SecurityOpt: ['no-new-privileges:true', 'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'] }), engine, siblings, warnings);
    expect(keys).toEqual({ security_opt: ['no-new-privileges:true'] });
    expect(warnings).toEqual([
      expect.stringMatching(/seccomp profile is inline/),
      expect.stringMatching(/^legacy links .* are not kept/),
      expect.stringMatching(/^volumes_from \(shop-db-1\) is not kept/),
    ]);
    expect(warnings.join(' ')).not.toContain('SCMP_ACT_ALLOW');
  });

  it('reads volumes: project volumes by key, a foreign one as external, the image VOLUME as the image\'s', () => {
    const declarations: VolumeDeclarations = {};
    const warnings: string[] = [];
    const mounts = [
      { Type: 'volume', Name: 'shop_data', Destination: '/data', RW: true, Driver: 'local' },
      { Type: 'volume', Name: 'shared-media', Destination: '/media', RW: false, Driver: 'local' },
      { Type: 'volume', Name: 'a'.repeat(64), Destination: '/var/lib/db', RW: true, Driver: 'local' },
      { Type: 'volume', Name: 'b'.repeat(64), Destination: '/cache', RW: true, Driver: 'local' },
      { Type: 'bind', Source: '/srv/conf', Destination: '/etc/app', RW: false, Propagation: 'rprivate' },
      { Type: 'bind', Source: '/mnt', Destination: '/mnt', RW: true, Propagation: 'rshared' },
      { Type: 'npipe', Source: '\\\\.\\pipe\\docker_engine', Destination: '\\\\.\\pipe\\docker_engine', RW: true },
    ];
    const host = { Binds: ['shop_data:/data:rw'], Mounts: [{ Type: 'volume', Target: '/cache', VolumeOptions: { NoCopy: true } }] };
    const volumes = volumeKeys(inspect({}, host, { Mounts: mounts }), 'shop', new Set(['/var/lib/db']), declarations, warnings);
    expect(volumes).toEqual([
      'data:/data',
      'shared-media:/media:ro',
      { type: 'volume', target: '/cache', volume: { nocopy: true } },
      '/srv/conf:/etc/app:ro',
      { type: 'bind', source: '/mnt', target: '/mnt', bind: { propagation: 'rshared' } },
    ]);
    expect(declarations).toEqual({ data: {}, 'shared-media': { external: true, name: 'shared-media' } });
    expect(warnings).toEqual([expect.stringMatching(/^the npipe mount/)]);
  });

  it('reads networks: aliases beyond its own names, a fixed address with its subnet, the creation network first', () => {
    const declarations: NetworkDeclarations = {};
    const facts = new Map([
      ['shop_back', { name: 'shop_back', driver: 'bridge', internal: true, attachable: false, enableIpv6: false, options: {}, subnets: [{ subnet: '10.9.0.0/24' }] }],
      ['shop_default', { name: 'shop_default', driver: 'bridge', internal: false, attachable: false, enableIpv6: false, options: {}, subnets: [{ subnet: '172.30.0.0/16' }] }],
    ]);
    const info = inspect({}, { NetworkMode: 'shop_default' }, {
      NetworkSettings: {
        Networks: {
          shop_default: { Aliases: ['shop-web-1', 'web', ID.slice(0, 12)] },
          shop_back: { Aliases: ['web', 'api.back'], IPAMConfig: { IPv4Address: '10.9.0.5' } },
          proxy: { Aliases: ['web'] },
        },
      },
    });
    expect(networkKeys(info, 'shop', 'web', siblings, facts, declarations)).toEqual({
      networks: { default: { priority: 1000 }, back: { aliases: ['api.back'], ipv4_address: '10.9.0.5' }, proxy: null },
    });
    expect(declarations).toEqual({ default: {}, back: { internal: true, ipam: { config: [{ subnet: '10.9.0.0/24' }] } }, proxy: { external: true, name: 'proxy' } });
    expect(networkKeys(inspect({}, { NetworkMode: `container:${DB_ID}` }), 'shop', 'web', siblings, facts, {})).toEqual({ network_mode: 'service:db' });
    expect(networkKeys(inspect({}, { NetworkMode: 'shop_default' }, { NetworkSettings: { Networks: { shop_default: { Aliases: ['web'] } } } }), 'shop', 'web', siblings, facts, {})).toEqual({});
  });
});
