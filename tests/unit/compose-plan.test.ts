import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectedContainers, serviceOrder } from '../../src/server/docker/compose-plan.js';
import { tarArchive } from '../../src/server/docker/tar.js';
import { healthWaitMs, WAIT_CAP_MS } from '../../src/server/services/apply-wait.js';
import { composeProject, hostOf as host, planOf as plan, planOne as one, S } from '../helpers/compose-project.js';

// What compose v2's create.go makes of each service key (mounts and networking: compose-plan-mounts.test.ts).
const project = (services: Parameters<typeof composeProject>[1], extra?: Parameters<typeof composeProject>[2]) => composeProject('app', services, extra);

describe('container config', () => {
  it('maps the Config fields as compose v2 does', () => {
    const c = one({
      environment: { A: '1', EMPTY: '', UNSET: null },
      command: [],
      user: '1000:1000',
      working_dir: '/work',
      hostname: 'h',
      domainname: 'example.org',
      tty: true,
      stdin_open: true,
      stop_signal: 'SIGINT',
      stop_grace_period: 15.5 * S,
      ports: [{ target: 80, protocol: 'tcp', published: '8080' }],
      expose: ['9000', '7000-7002/udp'],
    });
    const cfg = c.create as Record<string, any>;
    expect(cfg.Env).toEqual(['A=1', 'EMPTY=', 'UNSET']);
    expect(cfg.Cmd).toEqual([]);
    expect('Entrypoint' in cfg).toBe(false);
    expect(cfg).toMatchObject({ User: '1000:1000', WorkingDir: '/work', Hostname: 'h', Domainname: 'example.org', Tty: true, OpenStdin: true, StopSignal: 'SIGINT', StopTimeout: 15 });
    expect(Object.keys(cfg.ExposedPorts).sort()).toEqual(['7000/udp', '7001/udp', '7002/udp', '80/tcp', '9000/tcp']);
    expect(cfg.Image).toBe('busybox:1');
    expect(c.name).toBe('app-web-1');
  });

  it('leaves absent fields to the image', () => {
    const cfg = one({}).create as Record<string, any>;
    for (const k of ['Env', 'Cmd', 'Entrypoint', 'User', 'WorkingDir', 'Healthcheck', 'ExposedPorts', 'StopTimeout']) expect(k in cfg).toBe(false);
    expect(host(one({})).RestartPolicy).toBeUndefined();
  });

  it('maps every healthcheck field, and disable to NONE', () => {
    const c = one({ healthcheck: { test: ['CMD', 'true'], interval: 2 * S, timeout: 3 * S, start_period: 4 * S, start_interval: 1 * S, retries: 5 } });
    expect(c.create.Healthcheck).toEqual({ Test: ['CMD', 'true'], Interval: 2 * S, Timeout: 3 * S, StartPeriod: 4 * S, StartInterval: 1 * S, Retries: 5 });
    expect(one({ healthcheck: { disable: true } }).create.Healthcheck).toEqual({ Test: ['NONE'] });
    expect(() => one({ healthcheck: { test: ['CMD', 'true'], start_interval: S } })).toThrow(/start_interval requires/);
  });

  it('writes compose labels beside the user labels', () => {
    const p = project({
      db: {},
      web: { labels: { 'my.label': 'x' }, depends_on: { db: { condition: 'service_healthy', required: true, restart: true } } },
    });
    const web = plan(p).containers.find((c) => c.key === 'web')!;
    expect(web.create.Labels).toMatchObject({
      'my.label': 'x',
      'com.docker.compose.project': 'app',
      'com.docker.compose.service': 'web',
      'com.docker.compose.container-number': '1',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.depends_on': 'db:service_healthy:true',
      'com.docker.compose.project.working_dir': '/srv/projects/app',
      'com.docker.compose.project.config_files': '/srv/projects/app/compose.yaml',
      'com.docker.compose.version': '2.29.0',
      'io.capstan.service-id': 'svc1',
      'io.capstan.config-hash': web.hash,
    });
    expect(web.create.Labels!['com.docker.compose.config-hash']).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('host config', () => {
  it('maps ports with host ip, ranges and protocols', () => {
    const c = one({
      ports: [
        { target: 80, protocol: 'tcp', published: '8080', host_ip: '127.0.0.1' },
        { target: 80, protocol: 'tcp', published: '8081' },
        { target: 53, protocol: 'udp', published: '5353' },
        { target: 9000, protocol: 'tcp', published: '9000-9010' },
        { target: 7000, protocol: 'tcp' },
      ],
    });
    expect(host(c).PortBindings).toEqual({
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }, { HostIp: '', HostPort: '8081' }],
      '53/udp': [{ HostIp: '', HostPort: '5353' }],
      '9000/tcp': [{ HostIp: '', HostPort: '9000-9010' }],
      '7000/tcp': [{ HostIp: '', HostPort: '' }],
    });
  });

  it('maps restart and deploy.restart_policy', () => {
    expect(host(one({ restart: 'on-failure:3' })).RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
    expect(host(one({ restart: 'unless-stopped' })).RestartPolicy).toEqual({ Name: 'unless-stopped', MaximumRetryCount: 0 });
    expect(host(one({ restart: 'always', deploy: { restart_policy: { condition: 'any' } } })).RestartPolicy?.Name).toBe('always');
    expect(host(one({ deploy: { restart_policy: { condition: 'none' } } })).RestartPolicy?.Name).toBe('no');
    expect(host(one({ deploy: { restart_policy: { condition: 'on-failure', max_attempts: 4 } } })).RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 4 });
  });

  it('maps the plain HostConfig fields', () => {
    const h = host(
      one({
        cap_add: ['NET_ADMIN'], cap_drop: ['ALL'], privileged: true, security_opt: ['no-new-privileges:true', 'systempaths=unconfined'],
        devices: [{ source: '/dev/null', target: '/dev/mynull', permissions: 'rwm' }, { source: 'vendor.com/gpu=0', target: 'vendor.com/gpu=0', permissions: 'rwm' }],
        device_cgroup_rules: ['c 1:3 mr'], extra_hosts: ['db:10.0.0.2'], dns: ['1.1.1.1'], dns_search: ['example.org'], dns_opt: ['ndots:2'],
        tmpfs: ['/run', '/tmp:size=64m,mode=1777'], shm_size: 67108864, ulimits: { nproc: { soft: 100, hard: 200 }, nofile: { soft: 1024, hard: 2048 } },
        sysctls: { 'net.core.somaxconn': '1024' }, logging: { driver: 'json-file', options: { 'max-size': '1m' } }, init: true, read_only: true,
        mem_limit: 256e6, memswap_limit: 512e6, mem_reservation: 128e6, mem_swappiness: 10, cpus: 1.5, cpu_shares: 512, cpu_period: 100000, cpu_quota: 50000,
        cpuset: '0', pids_limit: 64, oom_score_adj: 100, oom_kill_disable: true, ipc: 'shareable', pid: 'host', uts: 'host', userns_mode: 'host',
        cgroup: 'private', cgroup_parent: 'parent.slice', runtime: 'runc', group_add: ['audio'], storage_opt: { size: '1G' }, annotations: { a: 'b' }, isolation: 'default',
        gpus: [{ capabilities: ['compute'], count: 'all' }],
        deploy: { resources: { reservations: { devices: [{ capabilities: ['gpu'], driver: 'nvidia', device_ids: ['0'] }] } } },
      }),
    );
    expect(h).toMatchObject({
      CapAdd: ['NET_ADMIN'], CapDrop: ['ALL'], Privileged: true, SecurityOpt: ['no-new-privileges:true'], MaskedPaths: [], ReadonlyPaths: [],
      Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rwm' }], DeviceCgroupRules: ['c 1:3 mr'],
      ExtraHosts: ['db:10.0.0.2'], Dns: ['1.1.1.1'], DnsSearch: ['example.org'], DnsOptions: ['ndots:2'],
      Tmpfs: { '/run': '', '/tmp': 'size=64m,mode=1777' }, ShmSize: 67108864,
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }, { Name: 'nproc', Soft: 100, Hard: 200 }],
      Sysctls: { 'net.core.somaxconn': '1024' }, LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } }, Init: true, ReadonlyRootfs: true,
      Memory: 256e6, MemorySwap: 512e6, MemoryReservation: 128e6, MemorySwappiness: 10, NanoCpus: 1.5e9, CpuShares: 512, CpuPeriod: 100000, CpuQuota: 50000,
      CpusetCpus: '0', PidsLimit: 64, OomScoreAdj: 100, OomKillDisable: true, IpcMode: 'shareable', PidMode: 'host', UTSMode: 'host', UsernsMode: 'host',
      CgroupnsMode: 'private', CgroupParent: 'parent.slice', Runtime: 'runc', GroupAdd: ['audio'], StorageOpt: { size: '1G' }, Annotations: { a: 'b' }, Isolation: 'default',
    });
    expect(h.DeviceRequests).toEqual([
      { Capabilities: [['gpu']], Driver: 'nvidia', DeviceIDs: ['0'] },
      { Driver: 'cdi', DeviceIDs: ['vendor.com/gpu=0'] },
      { Capabilities: [['compute', 'gpu']], Count: -1 },
    ]);
  });

  it('lets deploy.resources.limits win over the service keys', () => {
    const h = host(one({ cpus: 2, mem_limit: 1e9, pids_limit: 10, deploy: { resources: { limits: { cpus: 0.5, memory: 5e8, pids: 20 }, reservations: { memory: 1e8 } } } }));
    expect(h).toMatchObject({ NanoCpus: 5e8, Memory: 5e8, PidsLimit: 20, MemoryReservation: 1e8 });
  });

  it('inlines a seccomp profile file, compacted', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'plan-'));
    writeFileSync(path.join(dir, 'sec.json'), '{\n  "defaultAction": "SCMP_ACT_ALLOW"\n}\n');
    const c = plan(project({ web: { security_opt: ['seccomp=sec.json', 'seccomp=unconfined'] } }), { workingDir: dir }).containers[0]!;
    expect(host(c).SecurityOpt).toEqual(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}', 'seccomp=unconfined']);
  });
});

describe('replicas and order', () => {
  it('names replicas <project>-<service>-<n>; scale 0 gives none', () => {
    const p = project({ db: { deploy: { replicas: 2 } }, web: { scale: 3, depends_on: { db: { condition: 'service_started', required: true, restart: false } } }, off: { scale: 0 } });
    expect(expectedContainers(p)).toEqual([
      { key: 'db', name: 'app-db-1', number: 1 }, { key: 'db', name: 'app-db-2', number: 2 },
      { key: 'web', name: 'app-web-1', number: 1 }, { key: 'web', name: 'app-web-2', number: 2 }, { key: 'web', name: 'app-web-3', number: 3 },
    ]);
    const planned = plan(p);
    expect(planned.containers.map((c) => [c.name, c.create.Labels!['com.docker.compose.container-number']])).toEqual([
      ['app-db-1', '1'], ['app-db-2', '2'], ['app-web-1', '1'], ['app-web-2', '2'], ['app-web-3', '3'],
    ]);
    expect(planned.services.find((s) => s.key === 'off')).toMatchObject({ scale: 0, containers: [] });
  });

  it('uses container_name only with one replica', () => {
    expect(one({ container_name: 'my-web' }).name).toBe('my-web');
    expect(() => one({ container_name: 'my-web', scale: 2 })).toThrow(/container_name/);
  });

  it('orders dependencies first and refuses cycles', () => {
    const dep = { condition: 'service_started' as const, required: true, restart: false };
    expect(serviceOrder(project({ a: { depends_on: { c: dep } }, b: {}, c: { depends_on: { b: dep } } }))).toEqual(['b', 'c', 'a']);
    expect(() => serviceOrder(project({ a: { depends_on: { b: dep } }, b: { depends_on: { a: dep } } }))).toThrow(/cycle/);
  });

  it('hashes per container: equal input, equal hash; a change, another hash', () => {
    const a = plan(project({ web: { environment: { A: '1' } } })).containers[0]!;
    const b = plan(project({ web: { environment: { A: '1' } } })).containers[0]!;
    const c = plan(project({ web: { environment: { A: '2' } } })).containers[0]!;
    expect(a.hash).toBe(b.hash);
    expect(c.hash).not.toBe(a.hash);
    // Scaling up leaves the first replica as it is.
    expect(plan(project({ web: { environment: { A: '1' }, scale: 2 } })).containers[0]!.hash).toBe(a.hash);
  });
});

describe('tar archive', () => {
  it('is read by tar with names, sizes, modes and owners', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tar-'));
    const long = `${'d'.repeat(120)}/file.txt`;
    const archive = tarArchive([
      { name: 'run/secrets/pw', content: Buffer.from('hunter2'), mode: 0o400, uid: 100, gid: 101 },
      { name: long, content: Buffer.alloc(1000, 'x'), mode: 0o644 },
    ]);
    writeFileSync(path.join(dir, 'a.tar'), archive);
    const listing = execFileSync('tar', ['-tvnf', path.join(dir, 'a.tar')], { encoding: 'utf8' });
    expect(listing).toMatch(/^-r-------- 100\/101\s+7 .* run\/secrets\/pw$/m);
    expect(listing).toMatch(new RegExp(`^-rw-r--r-- 0/0\\s+1000 .* ${long}$`, 'm'));
  });
});

describe('service_healthy wait bound', () => {
  it('is start_period + (interval + timeout) × retries plus slack, with the engine defaults, capped', () => {
    expect(healthWaitMs({ Test: ['CMD', 'true'], Interval: 1 * S, Timeout: 2 * S, Retries: 3, StartPeriod: 5 * S })).toBe(5000 + 9000 + 10_000);
    expect(healthWaitMs({ Test: ['CMD', 'true'] })).toBe((30 + 30) * 3 * 1000 + 10_000);
    expect(healthWaitMs({ Test: ['CMD', 'true'], Interval: 600 * S, Retries: 10 })).toBe(WAIT_CAP_MS);
  });
});
