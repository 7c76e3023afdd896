// The compose pipeline and the planner over compose files as real projects
// write them: tests/fixtures/compose/** reproduces what the public corpus
// uses (sentry's anchors at scale, netbox's merged services, jitsi's
// variables, immich, authentik, vaultwarden's profiles, traefik's long
// syntax, version-3 files), and ../shared/compose-corpus/** — real files,
// when that folder exists — must load the same way: every file without
// `build:` accepted and planned, every file with it refused for that reason.
// scripts/compose-corpus.ts runs the same check from the command line.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkComposeFile, findComposeFiles, type CorpusResult } from '../../scripts/compose-corpus.js';
import { loadCompose } from '../../src/shared/compose/index.js';
import type { ComposeProject, ComposeService } from '../../src/shared/compose/model.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = path.join(root, 'tests/fixtures/compose');
// CAPSTAN_COMPOSE_CORPUS points at another folder of real files (e.g. one brought with scripts).
const SHARED = process.env.CAPSTAN_COMPOSE_CORPUS ?? path.resolve(root, '../shared/compose-corpus');
const SEC = 1_000_000_000;
const MiB = 1024 * 1024;

const explain = (r: CorpusResult) =>
  `${path.relative(root, r.file)}: ${r.verdict}\n${r.issues.map((i) => `  ${i.path.join('.')} line ${i.line}: ${i.message}`).join('\n')}${r.planError ? `\n  plan: ${r.planError}` : ''}`;

function expectLoads(results: CorpusResult[]) {
  for (const r of results) {
    const hasBuild = r.verdict.startsWith('build');
    const fine = hasBuild ? ['build-refused', 'build-disabled'] : ['accepted', 'incomplete-refused'];
    expect(fine, explain(r)).toContain(r.verdict);
  }
}

const fixtureResults = findComposeFiles(FIXTURES).map(checkComposeFile);
const result = (rel: string): CorpusResult => {
  const r = fixtureResults.find((x) => x.file === path.join(FIXTURES, rel));
  if (!r) throw new Error(`no fixture ${rel}`);
  return r;
};
const project = (rel: string): ComposeProject => {
  const r = result(rel);
  if (!r.project) throw new Error(explain(r));
  return r.project;
};
const service = (rel: string, name: string): ComposeService => {
  const s = project(rel).services[name];
  if (!s) throw new Error(`${rel}: no service ${name}`);
  return s;
};

describe('compose files as real projects write them (tests/fixtures/compose)', () => {
  it('every fixture without build: is accepted and planned; the one with build: is refused on its line', () => {
    expect(fixtureResults.length).toBeGreaterThanOrEqual(15);
    expectLoads(fixtureResults);
    const build = result('corpus/build-refused/compose.yaml');
    expect(build.verdict).toBe('build-refused');
    const issue = build.issues.find((i) => i.path.includes('build'));
    expect(issue?.path.slice(0, 3)).toEqual(['services', 'backend', 'build']);
    expect(issue?.line).toBe(5);
  });

  it('anchors and merge keys at sentry scale, numbers and profiles from .env', () => {
    const p = project('corpus/anchors-at-scale/docker-compose.yml');
    // 3 + 40 consumers + 40 workers + 2 with the profile COMPOSE_PROFILES enables
    expect(Object.keys(p.services)).toHaveLength(85);
    expect(p.disabled_services ?? []).toEqual([]);
    const worker = p.services['sentry-worker-40']!;
    expect(worker.image).toBe('ghcr.io/getsentry/sentry:nightly');
    expect(worker.restart).toBe('unless-stopped');
    expect(worker.healthcheck).toMatchObject({ interval: 30 * SEC, timeout: 90 * SEC, retries: 10, start_period: 10 * SEC });
    expect(worker.depends_on).toEqual({
      redis: { condition: 'service_healthy', required: true, restart: false },
      memcached: { condition: 'service_started', required: true, restart: false },
    });
    expect(worker.environment).toMatchObject({
      HTTP_PROXY: '',
      REQUESTS_CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt',
      GRPC_DEFAULT_SSL_ROOTS_FILE_PATH_ENV_VAR: '/etc/ssl/certs/ca-certificates.crt',
      SENTRY_EVENT_RETENTION_DAYS: '90',
      COMPOSE_PROFILES: 'feature-complete',
      SENTRY_STATSD_ADDR: '',
    });
    expect(worker.entrypoint).toEqual(['/etc/sentry/entrypoint.sh']);
    expect(worker.command?.slice(0, 3)).toEqual(['run', 'consumer', 'topic-40']);
    expect(p.services['snuba-consumer-7']!.image).toBe('ghcr.io/getsentry/snuba:nightly');
    expect(p.services.memcached!.command).toEqual(['-I', '1M']);
    expect(p.services.web!.healthcheck?.test?.[0]).toBe('CMD');
    expect(p.volumes['sentry-data']).toMatchObject({ external: true, name: 'sentry-data' });
  });

  it("netbox: a merged service's own keys replace the anchor's, env_file in a subfolder, $$ kept for the shell", () => {
    const rel = 'corpus/netbox-like/compose.yaml';
    const worker = service(rel, 'netbox-worker');
    expect(worker.depends_on).toEqual({ netbox: { condition: 'service_healthy', required: true, restart: false } });
    expect(worker.user).toBe('unit:root');
    expect(worker.environment).toMatchObject({ DB_NAME: 'netbox', DB_HOST: 'postgres' });
    expect(worker.command).toEqual(['/opt/netbox/venv/bin/python', '/opt/netbox/netbox/manage.py', 'rqworker']);
    const config = service(rel, 'netbox').volumes?.find((v) => v.target === '/etc/netbox/config');
    expect(config).toMatchObject({ type: 'bind', source: path.join(FIXTURES, 'corpus/netbox-like/configuration'), read_only: true });
    const redis = service(rel, 'redis');
    expect(redis.command?.[2]).toBe('valkey-server --appendonly yes --requirepass $REDIS_PASSWORD');
    expect(redis.healthcheck?.test).toEqual(['CMD-SHELL', `[ $(valkey-cli --pass "\${REDIS_PASSWORD}" ping) = 'PONG' ]`]);
    expect(service(rel, 'redis-cache').healthcheck).toEqual(redis.healthcheck);
    expect(service(rel, 'postgres').healthcheck?.test).toEqual(['CMD-SHELL', 'pg_isready -q -t 2 -d $POSTGRES_DB -U $POSTGRES_USER']);
  });

  it('jitsi: defaults everywhere, bare environment names from .env or unset, ~ in a variable, dotted network', () => {
    const rel = 'corpus/jitsi-like/docker-compose.yml';
    const web = service(rel, 'web');
    expect(web.image).toBe('ghcr.io/jitsi/web:unstable');
    expect(web.restart).toBe('unless-stopped');
    expect(web.read_only).toBe(true);
    expect(web.environment).toEqual({
      AMPLITUDE_ID: null,
      ENABLE_AUTH: null,
      ENABLE_GUESTS: null,
      PUBLIC_URL: 'https://meet.example.com',
      TZ: 'UTC',
      XMPP_DOMAIN: 'meet.jitsi',
    });
    expect(web.volumes?.[0]).toMatchObject({ type: 'bind', source: path.join(os.homedir(), '.jitsi-meet-cfg/web'), target: '/config' });
    expect(web.ports?.map((p) => [p.target, p.published])).toEqual([
      [8000, '8000'],
      [8443, '8443'],
    ]);
    expect(service(rel, 'jvb').ports).toEqual([
      expect.objectContaining({ target: 10000, published: '10000', protocol: 'udp' }),
      expect.objectContaining({ target: 8080, published: '8080', host_ip: '127.0.0.1', protocol: 'tcp' }),
    ]);
    expect(service(rel, 'jvb').environment).toMatchObject({ JVB_ADVERTISE_IPS: '192.168.1.1,1.2.3.4', JVB_PORT: null });
    expect(service(rel, 'prosody').environment).toMatchObject({ JICOFO_AUTH_PASSWORD: '' });
    expect(service(rel, 'prosody').networks).toEqual({ 'meet.jitsi': { aliases: ['xmpp.meet.jitsi'] } });
  });

  it('immich: top-level name, a default that is a port spec, shm_size in mb, healthcheck disable: false', () => {
    const rel = 'corpus/immich-like/docker-compose.yml';
    expect(project(rel).name).toBe('photos');
    const server = service(rel, 'photos-server');
    expect(server.container_name).toBe('photos_server');
    expect(server.image).toBe('ghcr.io/example/photos-server:v1.135.3');
    expect(server.ports).toEqual([expect.objectContaining({ target: 2283, published: '2283', protocol: 'tcp' })]);
    expect(server.ports?.[0]?.host_ip ?? '').toBe('');
    expect(server.environment).toMatchObject({ DB_PASSWORD: 'postgres', UPLOAD_LOCATION: './library' });
    expect(server.volumes?.[0]).toMatchObject({ type: 'bind', source: path.join(FIXTURES, 'corpus/immich-like/library'), target: '/data' });
    expect(server.healthcheck?.disable ?? false).toBe(false);
    expect(service(rel, 'db').shm_size).toBe(128 * MiB);
    expect(service(rel, 'cache').image).toMatch(/@sha256:0123456789abcdef/);
  });

  it('authentik: :? satisfied by .env, quoting in .env, :+ and +, $${} for the shell', () => {
    const rel = 'corpus/authentik-like/docker-compose.yml';
    const r = result(rel);
    expect(r.dummyVars).toEqual([]);
    expect(service(rel, 'pg').environment).toMatchObject({ POSTGRES_PASSWORD: 'quoted password with spaces', POSTGRES_USER: 'idp' });
    expect(service(rel, 'pg').healthcheck?.test).toEqual(['CMD-SHELL', 'pg_isready -d ${POSTGRES_DB} -U ${POSTGRES_USER}']);
    const api = service(rel, 'api');
    expect(api.image).toBe('ghcr.io/example/idp:2025.6.3');
    expect(api.environment).toMatchObject({
      IDP_SECRET_KEY: 'single-$quoted-literal',
      IDP_ERROR_REPORTING__ENABLED: 'true',
      IDP_OUTPOSTS__DISCOVER: '',
    });
    expect(api.depends_on?.pg?.condition).toBe('service_healthy');
    expect(service(rel, 'jobs').ulimits).toEqual({ nofile: { soft: 10240, hard: 10240 } });
    expect(api.command).toEqual(['api']);
  });

  it('authentik without its .env: the :? variable is a refusal that names it and its line', () => {
    const r = loadCompose({ name: 'authentik', yaml: 'services:\n  db:\n    image: postgres\n    environment:\n      P: ${PG_PASS:?database password required}\n', env: '' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]).toMatchObject({ line: 5 });
    expect(r.issues[0]!.message).toMatch(/PG_PASS/);
    expect(r.issues[0]!.message).toMatch(/database password required/);
  });

  it('profiles and extends: disabled services, extends in the file and from another file, env_file long form', () => {
    const rel = 'corpus/profiles-extends/compose.yaml';
    const p = project(rel);
    expect(Object.keys(p.services).sort()).toEqual(['app', 'base', 'cache']);
    expect([...(p.disabled_services ?? [])].sort()).toEqual(['Mariadb', 'Vaultwarden']);
    const app = p.services.app!;
    expect(app.image).toBe('docker.io/library/alpine:3.20');
    expect(app.environment).toMatchObject({ BASE_ONLY: '1', SHARED: 'from-app', MARIADB_ROOT_PASSWORD: 'root' });
    expect(app.labels).toEqual({ 'com.example.tier': 'base' });
    expect(app.restart).toBe('unless-stopped');
    expect(app.depends_on).toEqual({ cache: { condition: 'service_started', required: false, restart: false } });
    const cache = p.services.cache!;
    expect(cache.command).toEqual(['redis-server', '--save', '']);
    expect(cache.healthcheck).toMatchObject({ test: ['CMD', 'redis-cli', 'ping'], interval: 5 * SEC, retries: 3 });
    expect(cache.ports).toEqual([expect.objectContaining({ target: 6379, published: '6380', host_ip: '127.0.0.1' })]);
  });

  it('long syntax: ports, volumes, secrets, configs, networks with ipam, extra_hosts in both forms', () => {
    const rel = 'corpus/long-syntax/compose.yaml';
    const proxy = service(rel, 'proxy');
    expect(proxy.ports).toEqual([
      expect.objectContaining({ target: 80, published: '8081', host_ip: '127.0.0.1', protocol: 'tcp' }),
      expect.objectContaining({ target: 443, published: '8443', protocol: 'tcp' }),
    ]);
    expect(proxy.volumes).toEqual([
      expect.objectContaining({ type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock', read_only: true }),
      expect.objectContaining({ type: 'bind', source: path.join(FIXTURES, 'corpus/long-syntax/config'), bind: expect.objectContaining({ create_host_path: true }) }),
      expect.objectContaining({ type: 'volume', source: 'certs', target: '/certs', volume: { nocopy: true } }),
      expect.objectContaining({ type: 'tmpfs', target: '/cache', tmpfs: expect.objectContaining({ size: 10 * MiB }) }),
    ]);
    expect(proxy.secrets).toEqual([
      expect.objectContaining({ source: 'api_token', target: '/run/secrets/api_token' }),
      expect.objectContaining({ source: 'dns_key', target: '/run/secrets/dns.key', mode: 0o400 }),
    ]);
    expect(proxy.labels).toMatchObject({ 'traefik.http.routers.api.rule': 'Host(`traefik.localhost`)' });
    expect(proxy.logging).toEqual({ driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } });
    expect(proxy.deploy?.resources?.limits).toMatchObject({ cpus: 0.5, memory: 256 * MiB, pids: 100 });
    const whoami = service(rel, 'whoami');
    expect(whoami.stop_grace_period).toBe(90 * SEC);
    expect(whoami.networks?.back).toMatchObject({ aliases: ['who', 'whoami.internal'], ipv4_address: '172.28.5.10' });
    expect(whoami.extra_hosts).toEqual(['db.internal:10.1.2.3', 'cache.internal:10.1.2.4', 'v6.internal:::1']);
    const p = project(rel);
    expect(p.secrets.dns_key?.file).toBe(path.join(FIXTURES, 'corpus/long-syntax/config/dns.key'));
    expect(p.secrets.api_token?.environment).toBe('API_TOKEN');
    expect(p.configs.dynamic?.content).toMatch(/stsSeconds: 31536000/);
    expect(p.networks.back).toMatchObject({ internal: true, ipam: { config: [{ subnet: '172.28.5.0/24', gateway: '172.28.5.1' }] } });
  });

  it('version-3 files: version ignored with a warning, service-level limits, port ranges, links', () => {
    const rel = 'corpus/legacy-version/docker-compose.yml';
    expect(result(rel).warnings.join('\n')).toMatch(/version/);
    const db = service(rel, 'db');
    expect(db).toMatchObject({ mem_limit: 512 * MiB, memswap_limit: 1024 * MiB, cpus: 1.5, cpu_shares: 512 });
    expect(db.environment).toMatchObject({ PGOPTIONS: '-c statement_timeout=5000', QUOTED: '"kept as written"' });
    const app = service(rel, 'app');
    expect(app.restart).toBe('on-failure:5');
    expect(app.ports?.map((p) => `${p.host_ip ?? ''}|${p.published ?? ''}|${p.target}`)).toEqual([
      '127.0.0.1|8000|8000',
      '|9000|9000',
      '|9001|9001',
      '|9002|9002',
      '||3000',
    ]);
    expect(app.ulimits).toEqual({ nproc: { soft: 65535, hard: 65535 }, nofile: { soft: 262144, hard: 262144 } });
    expect(app.links).toEqual(['db:database', 'mail']);
  });

  it('interpolation as the parity fixture uses it (values docker-compose 1.29 cannot give)', () => {
    const app = service('parity/env-interpolation/compose.yaml', 'app');
    expect(app.environment).toMatchObject({
      MAP_NESTED: 'from-dotenv-nested',
      MAP_DOLLAR: 'cost: $5',
      MAP_DASH_DEFAULT: '',
      MAP_COLON_DEFAULT_EMPTY: 'colon-default',
      APP_MODE: 'second file wins',
      FROM_ENV_FILE_OVERRIDDEN: 'environment wins',
      NUMBER: '42',
    });
    expect(app.command).toEqual(['sh', '-c', 'echo "$GREETING" && exec sleep 3600']);
    expect(service('parity/env-interpolation/compose.yaml', 'list').environment).toMatchObject({ NOT_ANYWHERE: null, LIST_PLAIN: 'a=b=c' });
  });
});

// Defined only where the corpus is (fetched files are not committed): no test is skipped when it is absent.
if (existsSync(SHARED)) {
  describe(`the real corpus (${SHARED})`, () => {
    const files = findComposeFiles(SHARED);
    it('holds compose files', () => expect(files.length).toBeGreaterThan(0));
    for (const file of files) {
      it(path.relative(SHARED, file), () => expectLoads([checkComposeFile(file)]));
    }
  });
}
