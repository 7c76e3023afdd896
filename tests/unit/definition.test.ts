import { describe, expect, it } from 'vitest';
import {
  DefinitionError,
  definitionToYaml,
  dependencyOrder,
  parseComposeYaml,
  parseDuration,
  parsePort,
  parseVolume,
  splitCommand,
  zContainerDefinition,
  zServiceDefinition,
  type ServiceDefinition,
} from '../../src/shared/definition.js';

const example = () => ({
  name: 'blog',
  services: {
    db: {
      image: 'postgres:16',
      environment: { POSTGRES_PASSWORD: 'x' },
      volumes: ['dbdata:/var/lib/postgresql/data'],
      restart: 'unless-stopped',
    },
    web: {
      image: 'ghost:5',
      container_name: 'blog-web',
      ports: ['8080:2368'],
      environment: ['url=http://localhost:8080'],
      depends_on: ['db'],
      restart: 'always',
    },
  } as Record<string, Record<string, unknown>>,
});

/** A one-container definition with `fields` merged into the container. */
const withWeb = (fields: Record<string, unknown>) => ({ name: 'app', services: { web: { image: 'nginx', ...fields } } });

function issuesOf(input: unknown) {
  const result = zServiceDefinition.safeParse(input);
  if (result.success) throw new Error(`expected issues, got ${JSON.stringify(result.data)}`);
  return result.error.issues.map((i) => ({ path: i.path, message: i.message }));
}

/** Asserts the input fails with (at least) one issue at `path` whose message matches. */
function expectIssue(input: unknown, path: (string | number)[], message: RegExp) {
  const issues = issuesOf(input);
  const atPath = issues.filter((i) => JSON.stringify(i.path) === JSON.stringify(path));
  expect(atPath, `issues were ${JSON.stringify(issues)}`).not.toHaveLength(0);
  expect(atPath.map((i) => i.message).join(' | ')).toMatch(message);
}

function dfError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DefinitionError);
    return (e as Error).message;
  }
  throw new Error('expected a DefinitionError');
}

describe('zServiceDefinition: normalization', () => {
  it('parses the example and normalizes it', () => {
    expect(zServiceDefinition.parse(example())).toEqual({
      name: 'blog',
      services: {
        db: {
          image: 'postgres:16',
          environment: { POSTGRES_PASSWORD: 'x' },
          volumes: ['dbdata:/var/lib/postgresql/data'],
          restart: 'unless-stopped',
        },
        web: {
          image: 'ghost:5',
          container_name: 'blog-web',
          ports: ['8080:2368'],
          environment: { url: 'http://localhost:8080' },
          depends_on: ['db'],
          restart: 'always',
        },
      },
    });
  });

  it('omits absent optional keys instead of writing undefined', () => {
    const web = zServiceDefinition.parse(withWeb({})).services.web;
    expect(Object.keys(web ?? {})).toEqual(['image']);
  });

  it('stringifies environment and label scalars, and splits values at the first "="', () => {
    const def = zServiceDefinition.parse(
      withWeb({
        environment: { PORT: 5432, DEBUG: true, EMPTY: null, TEXT: 'a=b' },
        labels: ['traefik.enable=true', 'x.y=a=b'],
      }),
    );
    expect(def.services.web?.environment).toEqual({ PORT: '5432', DEBUG: 'true', EMPTY: '', TEXT: 'a=b' });
    expect(def.services.web?.labels).toEqual({ 'traefik.enable': 'true', 'x.y': 'a=b' });
  });

  it('turns numeric ports into strings and keeps port and volume strings as written', () => {
    const def = zServiceDefinition.parse(withWeb({ ports: [80, '127.0.0.1:8443:443/tcp'], volumes: ['/srv/x:/x:ro'] }));
    expect(def.services.web?.ports).toEqual(['80', '127.0.0.1:8443:443/tcp']);
    expect(def.services.web?.volumes).toEqual(['/srv/x:/x:ro']);
  });

  it('splits string commands like a shell and keeps lists as they are', () => {
    const def = zServiceDefinition.parse(
      withWeb({ command: `sh -c 'echo "hi there" && sleep 1'`, entrypoint: ['/bin/tini', '--', 'a b'] }),
    );
    expect(def.services.web?.command).toEqual(['sh', '-c', 'echo "hi there" && sleep 1']);
    expect(def.services.web?.entrypoint).toEqual(['/bin/tini', '--', 'a b']);
  });

  it('normalizes healthcheck.test to the list form', () => {
    const parse = (healthcheck: unknown) => zServiceDefinition.parse(withWeb({ healthcheck })).services.web?.healthcheck;
    expect(parse({ test: 'curl -f http://localhost', interval: '1m30s', retries: 3 })).toEqual({
      test: ['CMD-SHELL', 'curl -f http://localhost'],
      interval: '1m30s',
      retries: 3,
    });
    expect(parse({ test: ['CMD', 'true'], timeout: '500ms', start_period: '0' })).toEqual({
      test: ['CMD', 'true'],
      timeout: '500ms',
      start_period: '0',
    });
    expect(parse({ disable: true })).toEqual({ test: ['NONE'], disable: true });
  });

  it('accepts version and top-level volumes and drops them from the output', () => {
    const def = zServiceDefinition.parse({ ...example(), version: '3.8', volumes: { dbdata: null, other: {} } });
    expect(Object.keys(def)).toEqual(['name', 'services']);
  });

  it('accepts every restart policy and host IP form', () => {
    for (const restart of ['no', 'always', 'on-failure', 'on-failure:5', 'unless-stopped']) {
      expect(zServiceDefinition.safeParse(withWeb({ restart })).success).toBe(true);
    }
    const ports = ['80', '80/udp', '8080:80', '0.0.0.0:8081:80', '[::1]:8082:80/udp', '127.0.0.1::80'];
    expect(zServiceDefinition.safeParse(withWeb({ ports })).success).toBe(true);
  });

  it('exports the per-container schema', () => {
    expect(zContainerDefinition.parse({ image: 'x', environment: ['A=1'] })).toEqual({ image: 'x', environment: { A: '1' } });
  });
});

describe('zServiceDefinition: errors', () => {
  it('rejects bad project names', () => {
    expectIssue({ ...example(), name: 'Blog' }, ['name'], /lowercase letter or digit/);
    expectIssue({ ...example(), name: '-blog' }, ['name'], /must start with/);
    expectIssue({ ...example(), name: 'a'.repeat(64) }, ['name'], /at most 63/);
  });

  it('rejects bad service keys and an empty services map', () => {
    const def = example();
    def.services['bad key!'] = { image: 'x' };
    expectIssue(def, ['services', 'bad key!'], /service name "bad key!" must start with a letter or digit/);
    expectIssue({ name: 'x', services: {} }, ['services'], /at least one service/);
    expectIssue({ name: 'x' }, ['services'], /^required$/);
  });

  it('names unknown container keys and unknown top-level keys', () => {
    expectIssue(withWeb({ networks: ['a'] }), ['services', 'web'], /unknown key "networks"/);
    const issues = issuesOf({ ...example(), networks: {}, configs: {} });
    expect(issues).toContainEqual({ path: [], message: 'unknown keys "networks", "configs"' });
  });

  it('requires an image without whitespace', () => {
    expectIssue({ name: 'x', services: { web: {} } }, ['services', 'web', 'image'], /^required$/);
    expectIssue(withWeb({ image: '' }), ['services', 'web', 'image'], /must not be empty/);
    expectIssue(withWeb({ image: 'nginx latest' }), ['services', 'web', 'image'], /whitespace/);
    expectIssue(withWeb({ image: 5 }), ['services', 'web', 'image'], /must be a string/);
  });

  it('rejects bad container names', () => {
    expectIssue(withWeb({ container_name: '-web' }), ['services', 'web', 'container_name'], /must start with a letter/);
  });

  it('rejects bad environment entries', () => {
    expectIssue(withWeb({ environment: ['FOO'] }), ['services', 'web', 'environment', 0], /environment entry "FOO" needs a value: FOO=value/);
    expectIssue(withWeb({ environment: ['A=1', 'A=2'] }), ['services', 'web', 'environment', 1], /duplicate variable "A"/);
    expectIssue(withWeb({ environment: ['=x'] }), ['services', 'web', 'environment', 0], /must not be empty/);
    expectIssue(withWeb({ environment: { 'MY VAR': 'x' } }), ['services', 'web', 'environment', 'MY VAR'], /whitespace/);
    expectIssue(withWeb({ environment: { A: ['x'] } }), ['services', 'web', 'environment', 'A'], /string, number or boolean/);
    expectIssue(withWeb({ environment: 'A=1' }), ['services', 'web', 'environment'], /map of KEY: value or a list/);
  });

  it('rejects bad port strings at their index', () => {
    const cases: [unknown, RegExp][] = [
      ['8000-8010:80', /port ranges like "8000-8010" are not supported/],
      ['0:80', /host port must be between 1 and 65535/],
      ['70000', /container port must be between 1 and 65535/],
      ['8080:80/sctp', /unsupported protocol "sctp"; use tcp or udp/],
      ['abc:80', /host port "abc" is not a number/],
      ['::1:8080:80', /IPv6 host addresses must be in brackets/],
      ['1.2.3:8080:80', /not a valid IPv4 address/],
      [':80', /missing host port/],
      ['80 ', /spaces/],
      [true, /must be a string like "8080:80"/],
    ];
    for (const [port, message] of cases) {
      expectIssue(withWeb({ ports: ['1234', port] }), ['services', 'web', 'ports', 1], message);
    }
  });

  it('rejects bad volume strings at their index', () => {
    const cases: [string, RegExp][] = [
      ['./data:/data', /host paths must be absolute/],
      ['~/data:/data', /host paths must be absolute/],
      ['data', /missing the container path; expected "volume_name:\/container\/path"/],
      ['data:', /missing the container path/],
      ['data:/data:rx', /unsupported mode "rx"; use ro or rw/],
      ['data:relative', /container path "relative" must be absolute/],
      ['data:/a:ro:x', /too many ":"/],
      ['bad$name:/data', /not a valid volume name/],
    ];
    for (const [volume, message] of cases) {
      expectIssue(withWeb({ volumes: ['ok:/ok', volume] }), ['services', 'web', 'volumes', 1], message);
    }
    expectIssue(withWeb({ volumes: ['a:/data', '/srv:/data/'] }), ['services', 'web', 'volumes', 1], /"\/data" is already mounted/);
  });

  it('rejects bad restart policies', () => {
    expectIssue(withWeb({ restart: 'sometimes' }), ['services', 'web', 'restart'], /"unless-stopped"/);
    expectIssue(withWeb({ restart: false }), ['services', 'web', 'restart'], /must be a string/);
  });

  it('rejects shell syntax in string commands', () => {
    expectIssue(withWeb({ command: 'a && b' }), ['services', 'web', 'command'], /use the list form for shell syntax/);
    expectIssue(withWeb({ entrypoint: 'ls *.txt' }), ['services', 'web', 'entrypoint'], /"\*\.txt" is shell syntax/);
    expectIssue(withWeb({ command: 'echo $HOME' }), ['services', 'web', 'command'], /\$\{HOME\} would not be expanded/);
    expectIssue(withWeb({ command: ['a', 1] }), ['services', 'web', 'command', 1], /must be a string/);
  });

  it('rejects reserved labels', () => {
    expectIssue(withWeb({ labels: { 'io.capstan.service': 'x' } }), ['services', 'web', 'labels', 'io.capstan.service'], /reserved/);
    expectIssue(withWeb({ labels: ['com.docker.compose.project=x'] }), ['services', 'web', 'labels', 0], /reserved/);
  });

  it('rejects bad healthchecks', () => {
    const at = (key: string | number, ...rest: (string | number)[]) => ['services', 'web', 'healthcheck', key, ...rest];
    expectIssue(withWeb({ healthcheck: { test: 'x', interval: '5x' } }), at('interval'), /"5x" is not a duration/);
    expectIssue(withWeb({ healthcheck: { test: 'x', timeout: 30 } }), at('timeout'), /must be a duration/);
    expectIssue(withWeb({ healthcheck: { test: 'x', interval: '10us' } }), at('interval'), /at least 1ms/);
    expectIssue(withWeb({ healthcheck: { test: ['curl', 'x'] } }), at('test', 0), /must start with "NONE", "CMD" or "CMD-SHELL"/);
    expectIssue(withWeb({ healthcheck: { test: ['CMD-SHELL', 'a', 'b'] } }), at('test'), /exactly one/);
    expectIssue(withWeb({ healthcheck: { test: 'x', retries: -1 } }), at('retries'), /0 or more/);
    expectIssue(withWeb({ healthcheck: { test: 'x', retries: 1.5 } }), at('retries'), /whole number/);
    expectIssue(withWeb({ healthcheck: { interval: '1s' } }), at('test'), /required/);
    expectIssue(withWeb({ healthcheck: { test: 'x', start_interval: '1s' } }), ['services', 'web', 'healthcheck'], /unknown key "start_interval"/);
  });

  it('rejects bad top-level volumes', () => {
    expectIssue({ ...example(), volumes: { 'bad name': null } }, ['volumes', 'bad name'], /not a valid volume name/);
    expectIssue({ ...example(), volumes: { data: { driver: 'local' } } }, ['volumes', 'data'], /not supported/);
  });
});

describe('zServiceDefinition: cross-service checks', () => {
  const services = (deps: Record<string, string[]>) => ({
    name: 'x',
    services: Object.fromEntries(Object.entries(deps).map(([k, d]) => [k, { image: 'i', depends_on: d }])),
  });

  it('reports unknown, self and repeated dependencies at the entry', () => {
    expectIssue(services({ web: ['db', 'cache'], db: [] }), ['services', 'web', 'depends_on', 1], /unknown service "cache"/);
    expectIssue(services({ web: ['web'] }), ['services', 'web', 'depends_on', 0], /cannot depend on itself/);
    expectIssue(services({ web: ['db', 'db'], db: [] }), ['services', 'web', 'depends_on', 1], /listed twice/);
  });

  it('reports a cycle at the entry that closes it, naming the cycle', () => {
    expectIssue(services({ a: ['b'], b: ['a'] }), ['services', 'b', 'depends_on', 0], /^dependency cycle: a -> b -> a$/);
    expectIssue(
      services({ a: ['b'], b: ['c'], c: ['x', 'a'], x: [] }),
      ['services', 'c', 'depends_on', 1],
      /^dependency cycle: a -> b -> c -> a$/,
    );
  });

  it('rejects a container_name used twice', () => {
    const def = example();
    def.services.db = { ...def.services.db, container_name: 'blog-web' };
    expectIssue(def, ['services', 'web', 'container_name'], /already used by service "db"/);
  });

  it('rejects a host port published twice, across or within services', () => {
    const def = example();
    def.services.db = { ...def.services.db, ports: ['8080:5432'] };
    expectIssue(def, ['services', 'web', 'ports', 0], /host port 8080\/tcp is already published by service "db"/);
    expectIssue(withWeb({ ports: ['8080:80', '127.0.0.1:8080:81'] }), ['services', 'web', 'ports', 1], /already published by this service/);
    expectIssue(
      withWeb({ ports: ['[::]:8080:80', '[::1]:8080:81'] }),
      ['services', 'web', 'ports', 1],
      /^host port \[::1\]:8080\/tcp is already published by this service$/,
    );
    // Different protocols, different addresses and random host ports do not clash.
    const ok = withWeb({ ports: ['8080:80', '8080:80/udp', '127.0.0.1:9000:80', '127.0.0.2:9000:80', '80', '80'] });
    expect(zServiceDefinition.safeParse(ok).success).toBe(true);
  });

  it('still reports cross-service problems while a container is incomplete', () => {
    const issues = issuesOf({ name: 'x', services: { a: { depends_on: ['b'] }, b: { image: 'i', depends_on: ['a'] } } });
    expect(issues.map((i) => i.message)).toEqual(expect.arrayContaining(['required', 'dependency cycle: a -> b -> a']));
  });
});

describe('parsePort', () => {
  it('parses every supported form', () => {
    expect(parsePort('80')).toEqual({ containerPort: 80, protocol: 'tcp' });
    expect(parsePort('53/udp')).toEqual({ containerPort: 53, protocol: 'udp' });
    expect(parsePort('8080:80')).toEqual({ hostPort: 8080, containerPort: 80, protocol: 'tcp' });
    expect(parsePort('127.0.0.1:8080:80/udp')).toEqual({ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'udp' });
    expect(parsePort('[::1]:8080:80')).toEqual({ hostIp: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' });
    expect(parsePort('[2001:db8::ffff:1.2.3.4]:1:65535')).toMatchObject({ hostIp: '2001:db8::ffff:1.2.3.4', containerPort: 65535 });
    expect(parsePort('10.0.0.1::80')).toEqual({ hostIp: '10.0.0.1', containerPort: 80, protocol: 'tcp' });
  });

  it('throws DefinitionError with a clear message', () => {
    expect(dfError(() => parsePort('8000-8010:80'))).toMatch(/ranges .* not supported/);
    expect(dfError(() => parsePort('0:80'))).toMatch(/host port must be between 1 and 65535/);
    expect(dfError(() => parsePort('8080:0'))).toMatch(/container port must be between 1 and 65535/);
    expect(dfError(() => parsePort('70000'))).toMatch(/between 1 and 65535, got 70000/);
    expect(dfError(() => parsePort('80/sctp'))).toMatch(/use tcp or udp/);
    expect(dfError(() => parsePort('256.0.0.1:80:80'))).toMatch(/not a valid IPv4/);
    expect(dfError(() => parsePort('[::g]:80:80'))).toMatch(/not a valid IPv6/);
    expect(dfError(() => parsePort('[::1]:80'))).toMatch(/host_port:container_port/);
    expect(dfError(() => parsePort(''))).toMatch(/empty port/);
  });
});

describe('parseVolume', () => {
  it('parses named volumes and bind mounts', () => {
    expect(parseVolume('dbdata:/var/lib/postgresql/data')).toEqual({
      type: 'volume',
      source: 'dbdata',
      target: '/var/lib/postgresql/data',
      readOnly: false,
    });
    expect(parseVolume('/etc/app:/config:ro')).toEqual({ type: 'bind', source: '/etc/app', target: '/config', readOnly: true });
    expect(parseVolume('my.vol_1-x:/x:rw').readOnly).toBe(false);
  });

  it('throws DefinitionError with a clear message', () => {
    expect(dfError(() => parseVolume('./data:/data'))).toMatch(/host paths must be absolute/);
    expect(dfError(() => parseVolume('/data'))).toMatch(/missing the container path/);
    expect(dfError(() => parseVolume(':/data'))).toMatch(/missing the source/);
    expect(dfError(() => parseVolume('data:/data:z'))).toMatch(/unsupported mode "z"/);
    expect(dfError(() => parseVolume('data:/'))).toMatch(/root/);
  });
});

describe('parseDuration', () => {
  it('returns nanoseconds', () => {
    expect(parseDuration('30s')).toBe(30e9);
    expect(parseDuration('1m30s')).toBe(90e9);
    expect(parseDuration('500ms')).toBe(500e6);
    expect(parseDuration('1h')).toBe(3600e9);
    expect(parseDuration('1.5s')).toBe(1.5e9);
    expect(parseDuration('10us')).toBe(10_000);
    expect(parseDuration('0')).toBe(0);
  });

  it('throws DefinitionError for anything else', () => {
    for (const bad of ['', '30', 's', '5x', '1m 30s', '-1s', '1d']) {
      expect(dfError(() => parseDuration(bad))).toMatch(/not a duration/);
    }
    expect(dfError(() => parseDuration('99999999h'))).toMatch(/too long/);
  });
});

describe('splitCommand', () => {
  it('splits like a shell', () => {
    expect(splitCommand(`nginx -g 'daemon off;'`)).toEqual(['nginx', '-g', 'daemon off;']);
    expect(splitCommand('echo "a b" c\\ d')).toEqual(['echo', 'a b', 'c d']);
    expect(splitCommand('')).toEqual([]);
  });

  it('rejects what only a shell would interpret', () => {
    for (const cmd of ['a | b', 'a; b', 'a > f', 'ls *', 'a # c', 'echo "$X"']) {
      expect(dfError(() => splitCommand(cmd))).toMatch(/use the list form for shell syntax/);
    }
  });
});

describe('dependencyOrder', () => {
  it('puts dependencies first and breaks ties by name', () => {
    expect(dependencyOrder({ web: { depends_on: ['db', 'cache'] }, db: {}, cache: {}, worker: { depends_on: ['db'] } })).toEqual([
      'cache',
      'db',
      'web',
      'worker',
    ]);
    expect(dependencyOrder({ c: {}, b: {}, a: { depends_on: ['c'] } })).toEqual(['b', 'c', 'a']);
  });

  it('is deterministic whatever the key order', () => {
    const a = { z: { depends_on: ['m'] }, m: {}, b: { depends_on: ['z'] }, k: {} };
    const b = { k: {}, b: { depends_on: ['z'] }, m: {}, z: { depends_on: ['m'] } };
    expect(dependencyOrder(a)).toEqual(['k', 'm', 'z', 'b']);
    expect(dependencyOrder(b)).toEqual(dependencyOrder(a));
  });

  it('names the cycle', () => {
    expect(dfError(() => dependencyOrder({ a: { depends_on: ['b'] }, b: { depends_on: ['c'] }, c: { depends_on: ['a'] } }))).toBe(
      'dependency cycle: a -> b -> c -> a',
    );
    expect(dfError(() => dependencyOrder({ a: { depends_on: ['a'] } }))).toBe('dependency cycle: a -> a');
    expect(dfError(() => dependencyOrder({ a: { depends_on: ['x'] } }))).toMatch(/unknown service "x"/);
  });
});

describe('parseComposeYaml', () => {
  const lines = (...l: string[]) => `${l.join('\n')}\n`;

  it('parses a real compose file with version and top-level volumes', () => {
    const text = lines(
      '# blog stack',
      'version: "3.8"',
      'services:',
      '  db:',
      '    image: postgres:16',
      '    environment:',
      '      POSTGRES_PASSWORD: x',
      '    volumes:',
      '      - dbdata:/var/lib/postgresql/data',
      '    restart: unless-stopped',
      '  web:',
      '    image: ghost:5',
      '    container_name: blog-web',
      '    ports:',
      '      - "8080:2368"',
      '    environment:',
      '      - url=http://localhost:8080',
      '    depends_on: [db]',
      '    restart: always',
      'volumes:',
      '  dbdata:',
    );
    expect(parseComposeYaml('blog', text)).toEqual({ ok: true, value: zServiceDefinition.parse(example()) });
  });

  it('accepts a matching name: and rejects a different one at its line', () => {
    const body = ['services:', '  web:', '    image: nginx'];
    expect(parseComposeYaml('app', lines('name: app', ...body)).ok).toBe(true);
    expect(parseComposeYaml('app', lines(...body, 'name: other'))).toEqual({
      ok: false,
      issues: [{ path: ['name'], line: 4, message: 'must be "app" or left out' }],
    });
  });

  it('reports YAML syntax errors with their line', () => {
    const result = parseComposeYaml('app', lines('services:', '  web:', '    image: nginx', '   ports: [80', ''));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.line).toBe(4);

    const unclosed = parseComposeYaml('app', lines('services:', '  web:', '    image: "nginx'));
    expect(unclosed).toMatchObject({ ok: false, issues: [{ path: [], line: 3 }] });
  });

  it('reports duplicate keys with the line of the repeat', () => {
    const result = parseComposeYaml('app', lines('services:', '  web:', '    image: nginx', '    image: httpd'));
    expect(result).toEqual({ ok: false, issues: [{ path: [], line: 4, message: expect.stringMatching(/unique/) }] });
  });

  it('puts validation issues on the line of the offending node', () => {
    const text = lines(
      'services:', //                 1
      '  web:', //                    2
      '    image: nginx', //          3
      '    ports:', //                4
      '      - "80:80"', //           5
      '      - 443:443', //           6
      '      - "8080:80/sctp"', //    7
      '    environment:', //          8
      '      GOOD: 1', //             9
      '      BAD KEY: 2', //          10
      '    networks: [front]', //     11
      '  db:', //                     12
      '    restart: always', //       13
      'configs: {}', //               14
    );
    expect(parseComposeYaml('app', text)).toEqual({
      ok: false,
      issues: [
        { path: ['services', 'web', 'ports', 2], line: 7, message: 'unsupported protocol "sctp"; use tcp or udp' },
        {
          path: ['services', 'web', 'environment', 'BAD KEY'],
          line: 10,
          message: 'variable name "BAD KEY" must not contain "=" or whitespace',
        },
        { path: ['services', 'web', 'networks'], line: 11, message: 'unknown key "networks"' },
        // A missing key has no node: the issue goes to the service's line.
        { path: ['services', 'db', 'image'], line: 12, message: 'required' },
        { path: ['configs'], line: 14, message: 'unknown key "configs"' },
      ],
    });
  });

  it('puts cross-service issues on the line of the entry', () => {
    const text = lines(
      'services:',
      '  a:',
      '    image: x',
      '    depends_on:',
      '      - b',
      '  b:',
      '    image: x',
      '    depends_on: [c, a]',
      '  c:',
      '    image: x',
    );
    expect(parseComposeYaml('app', text)).toEqual({
      ok: false,
      issues: [{ path: ['services', 'b', 'depends_on', 1], line: 8, message: 'dependency cycle: a -> b -> a' }],
    });
  });

  it('rejects a document that is not a map', () => {
    expect(parseComposeYaml('app', '- a\n- b\n')).toMatchObject({ ok: false, issues: [{ path: [], line: 1 }] });
  });

  it('reports a missing services map', () => {
    expect(parseComposeYaml('app', '')).toMatchObject({ ok: false, issues: [{ path: ['services'], message: 'required' }] });
  });
});

describe('definitionToYaml', () => {
  const def: ServiceDefinition = {
    name: 'app',
    services: {
      web: {
        image: 'nginx:1.27',
        container_name: 'app-web',
        command: ['sh', '-c', 'echo "hello world" && nginx -g "daemon off;"'],
        entrypoint: ['/docker-entrypoint.sh', 'a b'],
        environment: { FIVE: '5', T: 'true', EMPTY: '', N: 'no', NUL: 'null', COLON: 'a: b', HASH: '#x' },
        ports: ['22:22', '8080:80/udp', '[::1]:9000:90'],
        volumes: ['data:/data', '/srv/conf:/etc/nginx:ro'],
        depends_on: ['db'],
        restart: 'no',
        labels: { 'traefik.enable': 'true' },
        healthcheck: { test: ['CMD-SHELL', 'curl -f http://localhost || exit 1'], interval: '30s', retries: 3 },
      },
      db: { image: 'postgres:16', command: ['postgres', '-c', 'a, b [c] {d}: #e'], entrypoint: [] },
    },
  };

  it('round-trips through parseComposeYaml', () => {
    expect(parseComposeYaml(def.name, definitionToYaml(def))).toEqual({ ok: true, value: def });
  });

  it('round-trips the normalized example', () => {
    const normalized = zServiceDefinition.parse(example());
    expect(parseComposeYaml('blog', definitionToYaml(normalized))).toEqual({ ok: true, value: normalized });
  });

  it('writes clean compose with values that would change type quoted', () => {
    const text = definitionToYaml(def);
    expect(text.startsWith('name: app\nservices:\n  web:\n    image: nginx:1.27\n')).toBe(true);
    expect(text).toContain('FIVE: "5"');
    expect(text).toContain('T: "true"');
    expect(text).toContain('EMPTY: ""');
    expect(text).toContain('restart: "no"');
    expect(text).toContain('- "22:22"');
  });
});
