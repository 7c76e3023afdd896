// normalizeCompose: a whole document (after load, interpolation and extends) → the model.
import { describe, expect, it } from 'vitest';
import type { ProjectFiles } from '../../src/shared/compose/model.js';
import { normalizeCompose, type NormalizeContext } from '../../src/shared/compose/normalize.js';

type Doc = Record<string, unknown>;

function projectFiles(files: Record<string, string>): ProjectFiles & { reads: string[] } {
  const reads: string[] = [];
  return {
    dir: '/srv/projects/blog',
    home: '/home/capstan',
    reads,
    read(path: string) {
      reads.push(path);
      if (!path.startsWith('/srv/projects/blog/')) throw new Error('leaves the project folder');
      return files[path];
    },
  };
}

const ctxOf = (over: Partial<NormalizeContext> = {}): NormalizeContext => ({ name: 'blog', variables: {}, profiles: [], ...over });

function ok(doc: Doc, over: Partial<NormalizeContext> = {}) {
  const r = normalizeCompose(doc, ctxOf(over));
  if (!r.project) throw new Error(`expected a project, got ${JSON.stringify(r.issues)}`);
  expect(r.issues).toEqual([]);
  return { project: r.project, warnings: r.warnings };
}

function issues(doc: Doc, over: Partial<NormalizeContext> = {}) {
  const r = normalizeCompose(doc, ctxOf(over));
  expect(r.project).toBeUndefined();
  expect(r.issues.length).toBeGreaterThan(0);
  return r.issues;
}

function expectIssue(doc: Doc, path: (string | number)[], message: RegExp, over: Partial<NormalizeContext> = {}) {
  const all = issues(doc, over);
  const at = all.filter((i) => JSON.stringify(i.path) === JSON.stringify(path));
  expect(at, `issues were ${JSON.stringify(all)}`).not.toHaveLength(0);
  expect(at.map((i) => i.message).join(' | ')).toMatch(message);
}

const web = (fields: Doc, top: Doc = {}): Doc => ({ services: { web: { image: 'nginx', ...fields } }, ...top });

describe('normalizeCompose: the contract example', () => {
  const example = (): Doc => ({
    version: '3.8',
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
    },
    volumes: { dbdata: null },
  });

  it('normalizes it into the long form', () => {
    const { project, warnings } = ok(example());
    expect(warnings).toEqual([]);
    expect(project).toEqual({
      name: 'blog',
      services: {
        db: {
          name: 'db',
          image: 'postgres:16',
          environment: { POSTGRES_PASSWORD: 'x' },
          volumes: [{ type: 'volume', source: 'dbdata', target: '/var/lib/postgresql/data' }],
          restart: 'unless-stopped',
          networks: { default: {} },
        },
        web: {
          name: 'web',
          image: 'ghost:5',
          container_name: 'blog-web',
          ports: [{ target: 2368, published: '8080', protocol: 'tcp' }],
          environment: { url: 'http://localhost:8080' },
          depends_on: { db: { condition: 'service_started', required: true, restart: false } },
          restart: 'always',
          networks: { default: {} },
        },
      },
      networks: { default: { name: 'blog_default' } },
      volumes: { dbdata: { name: 'blog_dbdata' } },
      secrets: {},
      configs: {},
    });
  });

  it('accepts top-level and service x- extensions and drops them', () => {
    const doc: Doc = { ...example(), 'x-common': { a: 1 } };
    (doc.services as Record<string, Doc>).db!['x-note'] = 'kept out';
    expect(ok(doc).project.services.db).not.toHaveProperty('x-note');
  });

  it('names unknown keys at their own path', () => {
    expectIssue({ ...example(), configz: {} }, ['configz'], /^unknown key "configz"$/);
    expectIssue(web({ imagee: 'x' }), ['services', 'web', 'imagee'], /^unknown key "imagee"$/);
  });
});

describe('normalizeCompose: top level', () => {
  it('requires at least one service and valid keys', () => {
    expectIssue({}, ['services'], /^required$/);
    expectIssue({ services: {} }, ['services'], /at least one service/);
    expectIssue({ services: { 'bad key!': { image: 'x' } } }, ['services', 'bad key!'], /may only contain/);
    expectIssue({ services: { web: null } }, ['services', 'web'], /must be a map/);
    expectIssue(web({}, { include: ['other.yaml'] }), ['include'], /not supported/);
  });

  it('names networks and volumes as compose does, external ones by their own name', () => {
    const { project } = ok(
      web(
        { networks: { front: { aliases: ['www'] }, back: null }, volumes: ['data:/data', 'ext:/ext', 'legacy:/legacy'] },
        {
          networks: {
            front: { driver: 'bridge', labels: ['a=b'], ipam: { config: [{ subnet: '172.28.0.0/16', gateway: '172.28.0.1' }] }, enable_ipv6: 'false' },
            back: { name: 'shared-back', external: true },
          },
          volumes: { data: { driver_opts: { type: 'nfs', o: 'addr=1.2.3.4' } }, ext: { external: true }, legacy: { external: { name: 'old' } } },
        },
      ),
    );
    expect(project.networks).toEqual({
      front: { name: 'blog_front', driver: 'bridge', labels: { a: 'b' }, ipam: { config: [{ subnet: '172.28.0.0/16', gateway: '172.28.0.1' }] }, enable_ipv6: false },
      back: { name: 'shared-back', external: true },
    });
    expect(project.volumes).toEqual({
      data: { name: 'blog_data', driver_opts: { type: 'nfs', o: 'addr=1.2.3.4' } },
      ext: { name: 'ext', external: true },
      legacy: { name: 'old', external: true },
    });
    // No service uses the default network, so there is none.
    expect(project.services.web?.networks).toEqual({ front: { aliases: ['www'] }, back: {} });
  });

  it('refuses options beside external, as compose-go does', () => {
    expectIssue(web({}, { volumes: { v: { external: true, driver: 'local' } } }), ['volumes', 'v', 'driver'], /conflicting parameters "external" and "driver"/);
    expectIssue(web({}, { networks: { 'bad name': {} } }), ['networks', 'bad name'], /not a valid network name/);
  });

  it('reads secrets and configs from files, variables and content', () => {
    const { project } = ok(
      web(
        { secrets: ['db_pw', { source: 'api', target: 'api_key', mode: '0400', uid: 1000, gid: '1000' }], configs: ['nginx', { source: 'inline', target: '/etc/x.conf' }] },
        {
          secrets: { db_pw: { file: './secrets/db.txt' }, api: { environment: 'API_KEY' } },
          configs: { nginx: { file: '~/nginx.conf' }, inline: { content: 'listen 80;' } },
        },
      ),
      { variables: { API_KEY: 'k' }, files: projectFiles({}) },
    );
    expect(project.secrets).toEqual({
      db_pw: { name: 'blog_db_pw', file: '/srv/projects/blog/secrets/db.txt' },
      api: { name: 'blog_api', environment: 'API_KEY' },
    });
    expect(project.configs).toEqual({
      nginx: { name: 'blog_nginx', file: '/home/capstan/nginx.conf' },
      inline: { name: 'blog_inline', content: 'listen 80;' },
    });
    expect(project.services.web?.secrets).toEqual([
      { source: 'db_pw', target: '/run/secrets/db_pw' },
      { source: 'api', target: '/run/secrets/api_key', mode: 0o400, uid: '1000', gid: '1000' },
    ]);
    expect(project.services.web?.configs).toEqual([
      { source: 'nginx', target: '/nginx' },
      { source: 'inline', target: '/etc/x.conf' },
    ]);
  });

  it('reports bad secrets and configs', () => {
    expectIssue(web({ secrets: ['nope'] }), ['services', 'web', 'secrets', 0], /undefined secret "nope"/);
    expectIssue(web({ configs: ['nope'] }), ['services', 'web', 'configs', 0], /undefined config "nope"/);
    expectIssue(web({}, { secrets: { s: { environment: 'MISSING' } } }), ['secrets', 's', 'environment'], /variable "MISSING" is not set/);
    expectIssue(web({}, { secrets: { s: {} } }), ['secrets', 's'], /set one of file or environment/);
    expectIssue(web({}, { secrets: { s: { content: 'x' } } }), ['secrets', 's', 'content'], /unknown key "content"/);
    expectIssue(web({}, { configs: { c: { file: 'a', content: 'b' } } }), ['configs', 'c'], /set only one/);
    // Declared external but unused is fine (compose only refuses it on use).
    expect(ok(web({}, { secrets: { s: { external: true } } })).project.secrets).toEqual({ s: { name: 's', external: true } });
    expectIssue(web({ secrets: ['s'] }, { secrets: { s: { external: true } } }), ['services', 'web', 'secrets', 0], /external secret "s" is not supported/);
  });
});

describe('normalizeCompose: services', () => {
  it('resolves binds against the project folder and requires named volumes to be declared', () => {
    const { project } = ok(web({ volumes: ['./data:/data', '~/cfg:/cfg:ro', '/abs/x:/x', '../up:/up', '/anon'] }), { files: projectFiles({}) });
    expect(project.services.web?.volumes?.map((v) => [v.type, v.source, v.target])).toEqual([
      ['bind', '/srv/projects/blog/data', '/data'],
      ['bind', '/home/capstan/cfg', '/cfg'],
      ['bind', '/abs/x', '/x'],
      ['bind', '/srv/projects/up', '/up'],
      ['volume', undefined, '/anon'],
    ]);
    // Without project files the paths resolve against "/" (for display).
    expect(ok(web({ volumes: ['./data:/data'] })).project.services.web?.volumes?.[0]?.source).toBe('/data');
    expectIssue(web({ volumes: ['nope:/x'] }), ['services', 'web', 'volumes', 0], /^undefined volume "nope": declare it under the top-level volumes:$/);
    expectIssue(web({ tmpfs: ['/x'], volumes: ['/x'] }), ['services', 'web', 'volumes', 0], /already mounted by tmpfs 0/);
  });

  // Edge cases the tests of the definition format before compose covered, as compose reads them.
  it('reads the port and volume edge cases the old definition format accepted', () => {
    const { project } = ok(
      web(
        {
          ports: ['[2001:db8::ffff:1.2.3.4]:1:65535', '10.0.0.1::80/udp', 8080],
          volumes: ['my.vol_1-x:/x:rw', '/etc/app:/config:ro'],
          healthcheck: { test: ['CMD', 'true'], interval: '1m30s', timeout: '500ms', start_period: '1.5s' },
        },
        { volumes: { 'my.vol_1-x': null } },
      ),
    );
    const svc = project.services.web!;
    expect(svc.ports).toEqual([
      { target: 65535, published: '1', host_ip: '2001:db8::ffff:1.2.3.4', protocol: 'tcp' },
      { target: 80, host_ip: '10.0.0.1', protocol: 'udp' },
      { target: 8080, protocol: 'tcp' },
    ]);
    expect(svc.volumes?.map((v) => [v.type, v.source, v.target, v.read_only ?? false])).toEqual([
      ['volume', 'my.vol_1-x', '/x', false],
      ['bind', '/etc/app', '/config', true],
    ]);
    expect(project.volumes?.['my.vol_1-x']?.name).toBe('blog_my.vol_1-x');
    expect(svc.healthcheck).toMatchObject({ interval: 90e9, timeout: 500e6, start_period: 1.5e9 });
    expectIssue(web({ ports: ['[::1]:8080:70000'] }), ['services', 'web', 'ports', 0], /between 1 and 65535/);
    expectIssue(web({ healthcheck: { test: ['CMD', 'true'], interval: '1m 30s' } }), ['services', 'web', 'healthcheck', 'interval'], /not a duration/);
  });

  it('takes KEY and KEY: from the variables, or leaves them unset', () => {
    const { project } = ok(web({ environment: { FROM_ENV: null, MISSING: null, SET: 'x' } }), { variables: { FROM_ENV: 'v' } });
    expect(project.services.web?.environment).toEqual({ FROM_ENV: 'v', MISSING: null, SET: 'x' });
    expect(ok(web({ environment: ['A', 'B=2'] }), { variables: { A: '1' } }).project.services.web?.environment).toEqual({ A: '1', B: '2' });
  });

  it('merges env_file values under environment, reading from the project folder', () => {
    const files = projectFiles({
      '/srv/projects/blog/web.env': 'A=from-file\nB=${HOST}\nC=file\n',
      '/srv/projects/blog/more.env': 'C=more\n',
    });
    const { project } = ok(
      web({ env_file: ['web.env', { path: './more.env' }, { path: 'optional.env', required: false }], environment: { A: 'from-environment' } }),
      { files, variables: { HOST: 'h' } },
    );
    expect(project.services.web?.environment).toEqual({ A: 'from-environment', B: 'h', C: 'more' });
    expect(files.reads).toContain('/srv/projects/blog/optional.env');
    expect(project.services.web).not.toHaveProperty('env_file');
  });

  it('reads the raw env_file format literally', () => {
    const files = projectFiles({ '/srv/projects/blog/raw.env': '# c\nA="quoted ${X}"\n' });
    expect(ok(web({ env_file: [{ path: 'raw.env', format: 'raw' }] }), { files }).project.services.web?.environment).toEqual({ A: '"quoted ${X}"' });
    expectIssue(web({ env_file: [{ path: 'a.env', format: 'json' }] }), ['services', 'web', 'env_file', 0, 'format'], /unsupported env_file format "json"/);
  });

  it('reports a missing required env_file, and warns when there is no project folder to read', () => {
    expectIssue(web({ env_file: 'missing.env' }), ['services', 'web', 'env_file'], /"missing.env" not found/, { files: projectFiles({}) });
    expectIssue(web({ env_file: ['../outside.env'] }), ['services', 'web', 'env_file', 0], /leaves the project folder/, { files: projectFiles({}) });
    const { warnings } = ok(web({ env_file: 'web.env' }));
    expect(warnings.join()).toMatch(/env_file web.env not checked here/);
  });

  it('splits string commands like compose and keeps lists', () => {
    const { project, warnings } = ok({
      services: {
        a: { image: 'i', command: `sh -c 'echo "hi there" && sleep 1'`, entrypoint: ['/bin/tini', '--', 'a b'] },
        b: { image: 'i', command: 'echo $HOME', entrypoint: '' },
        c: { image: 'i', command: 'run > /dev/null' },
      },
    });
    expect(project.services.a?.command).toEqual(['sh', '-c', 'echo "hi there" && sleep 1']);
    expect(project.services.a?.entrypoint).toEqual(['/bin/tini', '--', 'a b']);
    expect(project.services.b?.command).toEqual(['echo', '$HOME']);
    expect(project.services.b?.entrypoint).toEqual([]);
    expect(project.services.c?.command).toEqual(['run']);
    expect(warnings.join()).toMatch(/"> \/dev\/null" is shell syntax and is dropped/);
    expectIssue(web({ command: 'echo "x' }), ['services', 'web', 'command'], /quote is not closed/);
  });

  it('takes scale from scale or deploy.replicas, which must agree', () => {
    expect(ok(web({ deploy: { replicas: 3 } })).project.services.web?.scale).toBe(3);
    expect(ok(web({ scale: 2, deploy: { replicas: 2 } })).project.services.web?.scale).toBe(2);
    expectIssue(web({ scale: 2, deploy: { replicas: 3 } }), ['services', 'web', 'scale'], /distinct values on 'scale' and 'deploy.replicas'/);
    expectIssue(web({ cpus: 1, deploy: { resources: { limits: { cpus: 2 } } } }), ['services', 'web', 'cpus'], /distinct values/);
    expectIssue(web({ container_name: 'x', scale: 2 }), ['services', 'web', 'container_name'], /container_name and scale > 1/);
    expectIssue(web({ container_name: 'x', deploy: { replicas: 2 } }), ['services', 'web', 'container_name'], /deploy.replicas > 1/);
  });

  it('refuses networks with network_mode, and undefined networks', () => {
    expectIssue(web({ network_mode: 'host', networks: ['front'] }, { networks: { front: {} } }), ['services', 'web', 'network_mode'], /mutually exclusive/);
    expectIssue(web({ networks: ['front'] }), ['services', 'web', 'networks', 0], /undefined network "front"/);
    const { project } = ok(web({ network_mode: 'none' }));
    expect(project.services.web?.networks).toBeUndefined();
    expect(project.networks).toEqual({});
  });

  it('adds the dependencies compose implies: links, service: namespaces, volumes_from', () => {
    const { project } = ok({
      services: {
        db: { image: 'i' },
        cache: { image: 'i' },
        store: { image: 'i' },
        web: { image: 'i', links: ['db:database'], network_mode: 'service:cache', volumes_from: ['store:ro', 'container:other'] },
      },
    });
    expect(project.services.web?.depends_on).toEqual({
      db: { condition: 'service_started', required: true, restart: true },
      cache: { condition: 'service_started', required: true, restart: true },
      store: { condition: 'service_started', required: true, restart: false },
    });
    expectIssue(web({ links: ['ghost'] }), ['services', 'web', 'links', 0], /linked service "ghost" is not defined/);
    expectIssue(web({ volumes_from: ['ghost'] }), ['services', 'web', 'volumes_from', 0], /service "ghost" is not defined/);
    expectIssue(web({ network_mode: 'service:ghost' }), ['services', 'web', 'network_mode'], /service "ghost" is not defined/);
  });

  it('reads label_file under labels', () => {
    const files = projectFiles({ '/srv/projects/blog/labels': 'a=file\nb=file\n' });
    expect(ok(web({ label_file: './labels', labels: { b: 'own' } }), { files }).project.services.web?.labels).toEqual({ a: 'file', b: 'own' });
  });

  it('still checks the other services while one is broken', () => {
    const all = issues({ services: { x: { image: 'i', ports: ['x'] }, a: { image: 'i', depends_on: ['b', 'x'] }, b: { image: 'i', depends_on: ['a'] } } });
    expect(all.map((i) => i.message)).toEqual(expect.arrayContaining(['dependency cycle: a -> b -> a']));
    // x is known (its body is what is wrong), so depending on it is not reported again.
    expect(all.filter((i) => /undefined service/.test(i.message))).toEqual([]);
  });

  it('refuses memory limits Docker refuses, and maps if_not_present to missing', () => {
    expectIssue(web({ mem_limit: '1m' }), ['services', 'web', 'mem_limit'], /at least 6m/);
    expectIssue(web({ deploy: { resources: { limits: { memory: '100k' } } } }), ['services', 'web', 'deploy', 'resources', 'limits', 'memory'], /at least 6m/);
    expect(ok(web({ mem_limit: 0, pull_policy: 'if_not_present' })).project.services.web).toMatchObject({ mem_limit: 0, pull_policy: 'missing' });
  });

  it('reports every bad service, not only the first', () => {
    const all = issues({ services: { a: { image: 'i', foo: 1 }, b: { image: 'i', ports: ['x'] }, c: { build: '.' } } });
    expect(all.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['services.a.foo', 'services.b.ports.0', 'services.c.build']));
    // A service with build and no image is refused once, at build.
    expect(all.filter((i) => i.path[1] === 'c')).toHaveLength(1);
  });
});

describe('normalizeCompose: across services', () => {
  const deps = (graph: Record<string, string[]>): Doc => ({
    services: Object.fromEntries(Object.entries(graph).map(([k, d]) => [k, { image: 'i', depends_on: d }])),
  });

  it('reports unknown and self dependencies at the entry', () => {
    expectIssue(deps({ web: ['db', 'cache'], db: [] }), ['services', 'web', 'depends_on', 1], /depends on undefined service "cache"/);
    expectIssue(deps({ web: ['web'] }), ['services', 'web', 'depends_on', 0], /cannot depend on itself/);
    expectIssue({ services: { web: { image: 'i', depends_on: { db: { condition: 'service_healthy' } } } } }, ['services', 'web', 'depends_on', 'db'], /undefined service "db"/);
  });

  it('reports a cycle at the entry that closes it, naming the cycle', () => {
    expectIssue(deps({ a: ['b'], b: ['a'] }), ['services', 'b', 'depends_on', 0], /^dependency cycle: a -> b -> a$/);
    expectIssue(deps({ a: ['b'], b: ['c'], c: ['x', 'a'], x: [] }), ['services', 'c', 'depends_on', 1], /^dependency cycle: a -> b -> c -> a$/);
  });

  it('rejects a container_name used twice', () => {
    expectIssue(
      { services: { a: { image: 'i', container_name: 'x' }, b: { image: 'i', container_name: 'x' } } },
      ['services', 'b', 'container_name'],
      /already used by service "a"/,
    );
  });

  it('rejects a host port published twice, across or within services', () => {
    expectIssue(
      { services: { db: { image: 'i', ports: ['8080:5432'] }, web: { image: 'i', ports: ['8080:80'] } } },
      ['services', 'web', 'ports', 0],
      /^host port 8080\/tcp is already published by service "db"$/,
    );
    expectIssue(web({ ports: ['8080:80', '127.0.0.1:8080:81'] }), ['services', 'web', 'ports', 1], /already published by this service/);
    expectIssue(web({ ports: ['[::]:8080:80', '[::1]:8080:81'] }), ['services', 'web', 'ports', 1], /^host port \[::1\]:8080\/tcp is already published by this service$/);
    expectIssue(web({ ports: ['8000-8002:8000-8002', { target: 9, published: 8001 }] }), ['services', 'web', 'ports', 1], /8001\/tcp/);
    // Different protocols, different addresses and random host ports do not clash.
    ok(web({ ports: ['8080:80', '8080:80/udp', '127.0.0.1:9000:80', '127.0.0.2:9000:80', '80', '80'] }));
  });
});

describe('normalizeCompose: profiles', () => {
  const doc = (): Doc => ({
    services: {
      web: { image: 'i', depends_on: { dbg: { condition: 'service_started', required: false } } },
      dbg: { image: 'i', profiles: ['debug'], volumes: ['undeclared:/x'], env_file: 'never-read.env' },
      tools: { image: 'i', profiles: ['tools', 'debug'] },
    },
  });

  it('leaves out services whose profiles are not enabled, without checking their references', () => {
    const files = projectFiles({});
    const { project } = ok(doc(), { files });
    expect(Object.keys(project.services)).toEqual(['web']);
    expect(project.disabled_services).toEqual(['dbg', 'tools']);
    // An optional dependency on a disabled service is dropped.
    expect(project.services.web?.depends_on).toEqual({});
    expect(files.reads).toEqual([]);
  });

  it('runs them when a profile is enabled, or with "*"', () => {
    expect(Object.keys(ok({ services: { a: { image: 'i' }, t: { image: 'i', profiles: ['tools'] } } }, { profiles: ['tools'] }).project.services)).toEqual(['a', 't']);
    expect(Object.keys(ok({ services: { a: { image: 'i' }, t: { image: 'i', profiles: ['tools'] } } }, { profiles: ['*'] }).project.services)).toEqual(['a', 't']);
  });

  it('does not refuse the build of a service whose profiles are off, but does once one is enabled', () => {
    const file = { services: { web: { image: 'i' }, dev: { build: '.', profiles: ['dev'] } } };
    const { project, warnings } = ok(file);
    expect(project.disabled_services).toEqual(['dev']);
    expect(warnings.join()).toMatch(/services.dev: build is ignored/);
    expectIssue(file, ['services', 'dev', 'build'], /build is not supported/, { profiles: ['dev'] });
  });

  it('refuses a required dependency on a disabled service', () => {
    expectIssue(
      { services: { web: { image: 'i', depends_on: ['dbg'] }, dbg: { image: 'i', profiles: ['debug'] } } },
      ['services', 'web', 'depends_on', 0],
      /depends on service "dbg", which is not enabled: enable its profile "debug"/,
    );
  });
});
