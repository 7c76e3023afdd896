// The value parsers and the per-service schema of the compose normalizer.
import { describe, expect, it } from 'vitest';
import { parseLongPort, parseShortPort } from '../../src/shared/compose/parse-ports.js';
import { ComposeValueError, parseBool, parseBytes, parseDuration, parseFileMode } from '../../src/shared/compose/parse-units.js';
import { parseShortVolume } from '../../src/shared/compose/parse-volumes.js';
import { cleanPath, resolvePath } from '../../src/shared/compose/posix-path.js';
import { serviceSchema } from '../../src/shared/compose/schema-service.js';
import { toIssues } from '../../src/shared/compose/schema-kit.js';
import { splitShellWords } from '../../src/shared/compose/shell-words.js';

function valueError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ComposeValueError);
    return (e as Error).message;
  }
  throw new Error('expected a ComposeValueError');
}

const warnings: string[] = [];
const schema = serviceSchema((m) => warnings.push(m));
const parse = (body: Record<string, unknown>) => {
  const r = schema.safeParse({ image: 'nginx', ...body });
  if (!r.success) throw new Error(`expected success, got ${JSON.stringify(toIssues(r.error))}`);
  return r.data;
};
/** The issues of a service body, as [path, message] with paths relative to the service. */
const issuesOf = (body: Record<string, unknown>) => {
  const r = schema.safeParse({ image: 'nginx', ...body });
  if (r.success) throw new Error(`expected issues, got ${JSON.stringify(r.data)}`);
  return toIssues(r.error);
};
function expectIssue(body: Record<string, unknown>, path: (string | number)[], message: RegExp) {
  const issues = issuesOf(body);
  const at = issues.filter((i) => JSON.stringify(i.path) === JSON.stringify(path));
  expect(at, `issues were ${JSON.stringify(issues)}`).not.toHaveLength(0);
  expect(at.map((i) => i.message).join(' | ')).toMatch(message);
}

describe('sizes, durations, booleans', () => {
  it('reads sizes in binary units, as go-units does', () => {
    expect(parseBytes('512m')).toBe(512 * 2 ** 20);
    expect(parseBytes('1g')).toBe(2 ** 30);
    expect(parseBytes('1.5gb')).toBe(1.5 * 2 ** 30);
    expect(parseBytes('64MiB')).toBe(64 * 2 ** 20);
    expect(parseBytes('100k')).toBe(102400);
    expect(parseBytes(1024)).toBe(1024);
    expect(parseBytes('2048')).toBe(2048);
    expect(valueError(() => parseBytes('lots'))).toMatch(/"lots" is not a size/);
    expect(valueError(() => parseBytes('-1m'))).toMatch(/negative/);
    expect(valueError(() => parseBytes(-5))).toMatch(/negative/);
    expect(valueError(() => parseBytes('1x'))).toMatch(/not a size/);
  });

  it('reads Go durations into nanoseconds, with days and weeks', () => {
    expect(parseDuration('30s')).toBe(30e9);
    expect(parseDuration('1m30s')).toBe(90e9);
    expect(parseDuration('500ms')).toBe(500e6);
    expect(parseDuration('1.5s')).toBe(1.5e9);
    expect(parseDuration('10us')).toBe(10_000);
    expect(parseDuration('1h')).toBe(3600e9);
    expect(parseDuration('1d')).toBe(86400e9);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration(0)).toBe(0);
    for (const bad of ['', '30', 's', '5x', '1m 30s', '1y']) expect(valueError(() => parseDuration(bad))).toMatch(/not a duration/);
    expect(valueError(() => parseDuration('-1s'))).toMatch(/negative/);
    expect(valueError(() => parseDuration('99999999999h'))).toMatch(/too long/);
  });

  it('casts the strings compose-go casts', () => {
    expect(parseBool('true')).toBe(true);
    expect(parseBool('yes')).toBe(true);
    expect(parseBool('False')).toBe(false);
    expect(valueError(() => parseBool('maybe'))).toMatch(/true or false/);
    expect(parseFileMode('0440')).toBe(0o440);
    expect(parseFileMode(0o400)).toBe(0o400);
    expect(valueError(() => parseFileMode('rwx'))).toMatch(/file mode/);
  });
});

describe('ports', () => {
  it('parses every short form, expanding container ranges', () => {
    expect(parseShortPort('80')).toEqual([{ target: 80, protocol: 'tcp' }]);
    expect(parseShortPort(53)).toEqual([{ target: 53, protocol: 'tcp' }]);
    expect(parseShortPort('53/udp')).toEqual([{ target: 53, protocol: 'udp' }]);
    expect(parseShortPort('8080:80')).toEqual([{ target: 80, published: '8080', protocol: 'tcp' }]);
    expect(parseShortPort('127.0.0.1:8080:80/sctp')).toEqual([{ target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'sctp' }]);
    expect(parseShortPort('[::1]:8080:80')).toEqual([{ target: 80, published: '8080', host_ip: '::1', protocol: 'tcp' }]);
    expect(parseShortPort('10.0.0.1::80')).toEqual([{ target: 80, host_ip: '10.0.0.1', protocol: 'tcp' }]);
    // Empty parts mean every address and any free port ("${HTTPS_BIND:-}:443:443" in mailcow).
    expect(parseShortPort(':443:443')).toEqual([{ target: 443, published: '443', protocol: 'tcp' }]);
    expect(parseShortPort(':80')).toEqual([{ target: 80, protocol: 'tcp' }]);
    // Docker also reads an IPv6 address without brackets: everything before the last two parts.
    expect(parseShortPort('::1:8080:80')).toEqual([{ target: 80, published: '8080', host_ip: '::1', protocol: 'tcp' }]);
    expect(parseShortPort('8000-8002:9000-9002')).toEqual([
      { target: 9000, published: '8000', protocol: 'tcp' },
      { target: 9001, published: '8001', protocol: 'tcp' },
      { target: 9002, published: '8002', protocol: 'tcp' },
    ]);
    expect(parseShortPort('9090-9091:8080')).toEqual([{ target: 8080, published: '9090-9091', protocol: 'tcp' }]);
    expect(parseShortPort('3000-3001')).toHaveLength(2);
  });

  it('parses the long form', () => {
    expect(parseLongPort({ target: 80, published: 8080, host_ip: '127.0.0.1', protocol: 'udp', mode: 'host', name: 'web' })).toEqual([
      { target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'udp', mode: 'host', name: 'web' },
    ]);
    expect(parseLongPort({ target: '80', published: '8000-8001' })).toEqual([{ target: 80, published: '8000-8001', protocol: 'tcp' }]);
    expect(parseLongPort({ target: 443, app_protocol: 'https' })).toEqual([{ target: 443, protocol: 'tcp', app_protocol: 'https' }]);
    expect(valueError(() => parseLongPort({ published: 80 }))).toMatch(/target is required/);
    expect(valueError(() => parseLongPort({ target: 80, mode: 'x' }))).toMatch(/host" or "ingress/);
  });

  it('rejects what Docker would reject, with a clear message', () => {
    expect(valueError(() => parseShortPort('0:80'))).toMatch(/host port must be between 1 and 65535/);
    expect(valueError(() => parseShortPort('8080:0'))).toMatch(/container port must be between 1 and 65535/);
    expect(valueError(() => parseShortPort('70000'))).toMatch(/between 1 and 65535, got 70000/);
    expect(valueError(() => parseShortPort('80/icmp'))).toMatch(/use tcp, udp or sctp/);
    expect(valueError(() => parseShortPort('256.0.0.1:80:80'))).toMatch(/not a valid IP/);
    expect(valueError(() => parseShortPort('[::g]:80:80'))).toMatch(/not a valid IP/);
    expect(valueError(() => parseShortPort('abc:80'))).toMatch(/host port "abc" is not a number/);
    expect(valueError(() => parseShortPort('80 '))).toMatch(/spaces/);
    expect(valueError(() => parseShortPort(''))).toMatch(/empty port/);
    expect(valueError(() => parseShortPort('8000-8001:9000-9002'))).toMatch(/same size/);
    expect(valueError(() => parseShortPort('9000-8000:80'))).toMatch(/ends before it starts/);
  });
});

describe('volumes', () => {
  const warn: string[] = [];
  const short = (s: string) => parseShortVolume(s, (m) => warn.push(m));

  it('parses named volumes, binds and anonymous volumes', () => {
    expect(short('dbdata:/var/lib/postgresql/data')).toEqual({ type: 'volume', source: 'dbdata', target: '/var/lib/postgresql/data' });
    expect(short('/etc/app:/config:ro')).toEqual({
      type: 'bind',
      source: '/etc/app',
      target: '/config',
      read_only: true,
      bind: { create_host_path: true },
    });
    expect(short('./data:/data:rw,Z,rshared')).toEqual({
      type: 'bind',
      source: './data',
      target: '/data',
      bind: { create_host_path: true, selinux: 'Z', propagation: 'rshared' },
    });
    expect(short('~/x:/x')).toMatchObject({ type: 'bind', source: '~/x' });
    expect(short('data:/data:nocopy')).toEqual({ type: 'volume', source: 'data', target: '/data', volume: { nocopy: true } });
    expect(short('/data')).toEqual({ type: 'volume', target: '/data' });
    expect(short('data:/data/./x/')).toMatchObject({ target: '/data/x' });
  });

  it('ignores unknown options with a warning, as compose ignores them', () => {
    expect(short('data:/data:cached')).toEqual({ type: 'volume', source: 'data', target: '/data' });
    expect(warn).toEqual([]);
    short('data:/data:bogus');
    expect(warn.join()).toMatch(/option "bogus" is ignored/);
  });

  it('rejects what cannot be mounted', () => {
    expect(valueError(() => short('data:relative'))).toMatch(/container path "relative" must be absolute/);
    expect(valueError(() => short('data'))).toMatch(/must be absolute/);
    expect(valueError(() => short('data:/a:ro:x'))).toMatch(/too many ":"/);
    expect(valueError(() => short(':/data'))).toMatch(/empty section/);
    expect(valueError(() => short('data:/'))).toMatch(/root/);
    expect(valueError(() => short('bad$name:/data'))).toMatch(/not a valid volume name/);
  });
});

describe('paths and commands', () => {
  it('resolves paths like Go path.Clean and compose', () => {
    expect(cleanPath('/a/./b/../c//d/')).toBe('/a/c/d');
    expect(cleanPath('/../x')).toBe('/x');
    expect(resolvePath('/srv/p', './data')).toBe('/srv/p/data');
    expect(resolvePath('/srv/p', '../shared')).toBe('/srv/shared');
    expect(resolvePath('/srv/p', '~/x', '/home/u')).toBe('/home/u/x');
    expect(resolvePath('/srv/p', '/abs/')).toBe('/abs');
  });

  it('splits commands like go-shellwords: quotes and backslashes only', () => {
    expect(splitShellWords(`nginx -g 'daemon off;'`)).toEqual({ words: ['nginx', '-g', 'daemon off;'] });
    expect(splitShellWords('echo "a b" c\\ d')).toEqual({ words: ['echo', 'a b', 'c d'] });
    expect(splitShellWords('sh -c "echo $HOME && ls *.txt"')).toEqual({ words: ['sh', '-c', 'echo $HOME && ls *.txt'] });
    expect(splitShellWords(`echo '' x`)).toEqual({ words: ['echo', '', 'x'] });
    expect(splitShellWords('')).toEqual({ words: [] });
    expect(splitShellWords('a && b')).toEqual({ words: ['a'], dropped: '&& b' });
    expect(valueError(() => splitShellWords('echo "x'))).toMatch(/quote is not closed/);
  });
});

describe('service schema', () => {
  it('accepts x- keys and drops them; names unknown keys at their path', () => {
    expect(parse({ 'x-note': 1 })).toEqual({ image: 'nginx' });
    expectIssue({ networks_mode: 'host' }, ['networks_mode'], /^unknown key "networks_mode"$/);
    expectIssue({ healthcheck: { test: 'x', every: '1s' } }, ['healthcheck', 'every'], /unknown key "every"/);
  });

  it('refuses build, develop, hooks and other keys Capstan cannot apply', () => {
    expectIssue({ build: '.' }, ['build'], /^build is not supported: the image must come from a registry; set image: to a pushed image$/);
    expectIssue({ develop: { watch: [] } }, ['develop'], /not supported by Capstan/);
    expectIssue({ post_start: [{ command: 'x' }] }, ['post_start'], /hooks are not supported/);
    expectIssue({ use_api_socket: true }, ['use_api_socket'], /not supported/);
    expectIssue({ pull_policy: 'build' }, ['pull_policy'], /"build" is not supported/);
    expect(parse({ post_start: [], attach: false, isolation: 'default' })).toEqual({ image: 'nginx', isolation: 'default' });
  });

  it('checks the image', () => {
    expectIssue({ image: '' }, ['image'], /must not be empty/);
    expectIssue({ image: 'nginx latest' }, ['image'], /whitespace/);
    expectIssue({ image: 5 }, ['image'], /must be a string/);
  });

  it('reads environment and labels as compose does', () => {
    const s = parse({ environment: { PORT: 5432, DEBUG: true, UNSET: null, TEXT: 'a=b' }, labels: ['traefik.enable=true', 'x.y=a=b', 'bare'] });
    expect(s.environment).toEqual({ PORT: '5432', DEBUG: 'true', UNSET: null, TEXT: 'a=b' });
    expect(s.labels).toEqual({ 'traefik.enable': 'true', 'x.y': 'a=b', bare: '' });
    expect(parse({ environment: ['A=1', 'B', 'A=2'] }).environment).toEqual({ A: '2', B: null });
    expectIssue({ environment: ['=x'] }, ['environment', 0], /must not be empty/);
    expectIssue({ environment: { A: ['x'] } }, ['environment', 'A'], /string, number or boolean/);
    expectIssue({ environment: 'A=1' }, ['environment'], /map of KEY: value or a list/);
    expectIssue({ labels: { 'io.capstan.service': 'x' } }, ['labels', 'io.capstan.service'], /reserved/);
    expectIssue({ labels: ['com.docker.compose.project=x'] }, ['labels', 0], /reserved/);
  });

  it('normalizes healthchecks and refuses values Docker rejects', () => {
    expect(parse({ healthcheck: { test: 'curl -f http://localhost', interval: '1m30s', retries: '3', start_interval: '2s' } }).healthcheck).toEqual({
      test: ['CMD-SHELL', 'curl -f http://localhost'],
      interval: 90e9,
      retries: 3,
      start_interval: 2e9,
    });
    expect(parse({ healthcheck: { disable: true } }).healthcheck).toEqual({ test: ['NONE'], disable: true });
    // No test: the image's test runs with these timings.
    expect(parse({ healthcheck: { interval: '5s' } }).healthcheck).toEqual({ interval: 5e9 });
    expectIssue({ healthcheck: { test: 'x', interval: '5x' } }, ['healthcheck', 'interval'], /"5x" is not a duration/);
    expectIssue({ healthcheck: { test: 'x', interval: '10us' } }, ['healthcheck', 'interval'], /at least 1ms/);
    expectIssue({ healthcheck: { test: ['curl', 'x'] } }, ['healthcheck', 'test', 0], /must start with "NONE", "CMD" or "CMD-SHELL"/);
    expectIssue({ healthcheck: { test: ['CMD-SHELL'] } }, ['healthcheck', 'test'], /"CMD-SHELL" needs a command/);
    // Docker runs extra CMD-SHELL words as the shell's arguments; compose accepts it, so does Capstan.
    expect(parse({ healthcheck: { test: ['CMD-SHELL', 'a', 'b'] } }).healthcheck).toEqual({ test: ['CMD-SHELL', 'a', 'b'] });
    expect(parse({ healthcheck: { test: [], retries: 2 } }).healthcheck).toEqual({ retries: 2 });
    expectIssue({ healthcheck: { test: 'x', retries: -1 } }, ['healthcheck', 'retries'], /0 or more/);
    expectIssue({ healthcheck: { test: 'x', retries: 1.5 } }, ['healthcheck', 'retries'], /whole number/);
  });

  it('reads depends_on lists and maps', () => {
    expect(parse({ depends_on: ['db'] }).depends_on).toEqual({ db: { condition: 'service_started', required: true, restart: false } });
    expect(parse({ depends_on: { db: { condition: 'service_healthy', restart: true }, q: { condition: 'service_completed_successfully', required: false } } }).depends_on).toEqual({
      db: { condition: 'service_healthy', required: true, restart: true },
      q: { condition: 'service_completed_successfully', required: false, restart: false },
    });
    expectIssue({ depends_on: ['db', 'db'] }, ['depends_on', 1], /listed twice/);
    expectIssue({ depends_on: { db: { condition: 'healthy' } } }, ['depends_on', 'db', 'condition'], /service_healthy/);
  });

  it('reads the resource and runtime keys', () => {
    const s = parse({
      mem_limit: '512m',
      memswap_limit: -1,
      shm_size: '64m',
      cpus: '1.5',
      cpu_shares: 512,
      pids_limit: 100,
      ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 65535 },
      sysctls: ['net.core.somaxconn=1024'],
      extra_hosts: { 'host.docker.internal': 'host-gateway', multi: ['1.2.3.4', '::1'] },
      dns: '8.8.8.8',
      tmpfs: ['/run:size=64m', '/tmp'],
      devices: ['/dev/fuse', '/dev/sda:/dev/xvda:r'],
      gpus: 'all',
      group_add: [1000, 'audio'],
      expose: [80, '9000-9001/udp'],
      stop_grace_period: '1m',
      privileged: 'true',
      logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': 3 } },
    });
    expect(s).toMatchObject({
      mem_limit: 512 * 2 ** 20,
      memswap_limit: -1,
      shm_size: 64 * 2 ** 20,
      cpus: 1.5,
      ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: { soft: 65535, hard: 65535 } },
      sysctls: { 'net.core.somaxconn': '1024' },
      extra_hosts: ['host.docker.internal:host-gateway', 'multi:1.2.3.4', 'multi:::1'],
      dns: ['8.8.8.8'],
      devices: [
        { source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' },
        { source: '/dev/sda', target: '/dev/xvda', permissions: 'r' },
      ],
      gpus: [{ capabilities: ['gpu'], count: 'all' }],
      group_add: ['1000', 'audio'],
      expose: ['80/tcp', '9000-9001/udp'],
      stop_grace_period: 60e9,
      privileged: true,
      logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
    });
    expect(parse({ user: 1000, cpuset: 0 })).toMatchObject({ user: '1000', cpuset: '0' });
    expectIssue({ user: true }, ['user'], /must be a string/);
    expectIssue({ mem_limit: 'lots' }, ['mem_limit'], /not a size/);
    expectIssue({ tmpfs: 'run' }, ['tmpfs', 0], /absolute/);
    expectIssue({ ulimits: { nofile: { soft: 10, hard: 5 } } }, ['ulimits', 'nofile', 'soft'], /greater than hard/);
    expectIssue({ oom_score_adj: 2000 }, ['oom_score_adj'], /1000 or less/);
    expectIssue({ restart: 'sometimes' }, ['restart'], /"unless-stopped"/);
    expectIssue({ restart: false }, ['restart'], /must be a string/);
    expectIssue({ cgroup: 'x' }, ['cgroup'], /"host" or "private"/);
    expectIssue({ expose: ['80:80'] }, ['expose', 0], /not a port/);
  });

  it('reads deploy, keeping swarm-only keys', () => {
    const s = parse({
      deploy: {
        replicas: '2',
        resources: { limits: { cpus: '0.5', memory: '1g', pids: 50 }, reservations: { memory: '256m', devices: [{ capabilities: ['gpu'], count: 1 }] } },
        restart_policy: { condition: 'on-failure', delay: '5s', max_attempts: 3 },
        placement: { constraints: ['node.role==manager'] },
        update_config: { parallelism: 2 },
      },
    });
    expect(s.deploy).toEqual({
      replicas: 2,
      resources: { limits: { cpus: 0.5, memory: 2 ** 30, pids: 50 }, reservations: { memory: 256 * 2 ** 20, devices: [{ capabilities: ['gpu'], count: 1 }] } },
      restart_policy: { condition: 'on-failure', delay: 5e9, max_attempts: 3 },
      placement: { constraints: ['node.role==manager'] },
      update_config: { parallelism: 2 },
    });
    expectIssue({ deploy: { replicas: -1 } }, ['deploy', 'replicas'], /0 or more/);
    expectIssue({ deploy: { resources: { limits: { memory: 'x' } } } }, ['deploy', 'resources', 'limits', 'memory'], /not a size/);
    expectIssue({ deploy: { restart_policy: { condition: 'always' } } }, ['deploy', 'restart_policy', 'condition'], /none, on-failure or any/);
  });

  it('reports bad ports and volumes at their index', () => {
    expectIssue({ ports: ['80', '8080:80/icmp'] }, ['ports', 1], /unsupported protocol "icmp"/);
    expectIssue({ ports: ['80', true] }, ['ports', 1], /must be a string like "8080:80"/);
    expectIssue({ ports: [{ target: 80, publish: 8080 }] }, ['ports', 0, 'publish'], /unknown key "publish"/);
    expectIssue({ volumes: ['ok:/ok', 'data:relative'] }, ['volumes', 1], /must be absolute/);
    expectIssue({ volumes: ['a:/data', '/srv:/data/'] }, ['volumes', 1], /"\/data" is already mounted/);
    expectIssue({ volumes: [{ type: 'bind', target: '/x' }] }, ['volumes', 0, 'source'], /needs a source/);
    expectIssue({ volumes: [{ type: 'disk', source: 'a', target: '/x' }] }, ['volumes', 0, 'type'], /must be bind, volume/);
    expectIssue({ volumes: [{ type: 'volume', source: 'a', target: '/x', bind: { propagation: 'x' } }] }, ['volumes', 0, 'bind', 'propagation'], /rprivate/);
  });

  it('reads long volumes', () => {
    expect(
      parse({
        volumes: [
          { type: 'tmpfs', target: '/cache', tmpfs: { size: '100m', mode: '1777' } },
          { type: 'volume', source: 'data', target: '/data', read_only: 'true', volume: { nocopy: true, subpath: 'sub' } },
          { type: 'bind', source: './conf', target: '/etc/conf', bind: { create_host_path: false, selinux: 'z' } },
        ],
      }).volumes,
    ).toEqual([
      { type: 'tmpfs', target: '/cache', tmpfs: { size: 100 * 2 ** 20, mode: 0o1777 } },
      { type: 'volume', source: 'data', target: '/data', read_only: true, volume: { nocopy: true, subpath: 'sub' } },
      { type: 'bind', source: './conf', target: '/etc/conf', bind: { create_host_path: false, selinux: 'z' } },
    ]);
  });

  it('keeps command forms for the normalizer and checks list items', () => {
    expect(parse({ command: 'a b', entrypoint: ['/tini', '--'] })).toMatchObject({ command: 'a b', entrypoint: ['/tini', '--'] });
    expect(parse({ command: [] }).command).toEqual([]);
    expectIssue({ command: ['a', { x: 1 }] }, ['command', 1], /must be a string/);
  });
});
