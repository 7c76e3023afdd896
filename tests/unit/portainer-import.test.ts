import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CapstanError } from '../../src/server/errors.js';
import { importPortainerTemplates } from '../../src/server/services/portainer-import.js';
import { loadCompose } from '../../src/shared/compose/index.js';
import { TEMPLATE_ID, type AppTemplate } from '../../src/shared/templates.js';

// A version 3 document as Portainer publishes it (github.com/portainer/templates, branch v3):
// integer ids, volumes as objects, env with label/default/preset/select.
const v3 = {
  version: '3',
  templates: [
    {
      id: 1,
      type: 1,
      title: 'Registry (cache)',
      description: 'Docker image registry configured as a pull through cache',
      categories: ['docker'],
      platform: 'linux',
      logo: 'https://example.org/registry.png',
      image: 'registry:2',
      ports: ['5000/tcp'],
      volumes: [{ container: '/var/lib/registry' }],
      env: [{ name: 'REGISTRY_PROXY_REMOTEURL', default: 'https://registry-1.docker.io', preset: true }],
      maintainer: 'someone', // not a Portainer field: ignored
    },
    {
      id: 2,
      type: 1,
      title: 'MS SQL Server',
      description: 'Microsoft SQL Server on Linux',
      note: 'Accept the EULA first.',
      categories: ['database'],
      platform: 'linux',
      name: 'mssql',
      image: 'microsoft/mssql-server-linux',
      registry: 'mcr.microsoft.com',
      ports: ['1433:1433/tcp', '53/udp', ':8080/tcp'],
      env: [
        { name: 'ACCEPT_EULA', label: 'Accept EULA', select: [{ text: 'Yes, I accept', value: 'Y', default: true }] },
        { name: 'SA_PASSWORD', label: 'SA password', description: 'At least 8 characters' },
        { name: 'MSSQL_PID', label: 'Edition', default: 'Developer' },
        { name: 'PATH_LIKE', default: 'C:$HOME/${x}', preset: true },
        { name: '3D_DEVICE', label: 'Printer' },
      ],
      volumes: [
        { container: '/var/opt/mssql', bind: '/srv/mssql' },
        { container: '/backup', bind: '/srv/backup', readonly: true },
        { container: '/cache', bind: 'mssql-cache' },
        { container: '/data' },
      ],
      command: 'run --price=$5',
      restart_policy: 'unless-stopped',
      labels: [
        { name: 'traefik.enable', value: 'true' },
        { name: 'cost', value: '$$ money' },
      ],
      privileged: true,
      interactive: true,
      hostname: 'sql1',
      network: 'host',
    },
    {
      id: 3,
      type: 3,
      title: 'WordPress',
      description: 'WordPress setup with a MySQL database',
      note: 'Deploys a WordPress instance connected to a MySQL database.',
      categories: ['CMS'],
      platform: 'linux',
      logo: 'https://example.org/wordpress.png',
      repository: { url: 'https://github.com/portainer/templates', stackfile: 'stacks/wordpress/docker-compose.yml' },
      env: [{ name: 'MYSQL_DATABASE_PASSWORD', label: 'Database root password', description: 'Password of root.' }],
    },
    {
      id: 4,
      type: 2,
      title: 'Portainer Agent',
      description: 'Manage all the resources in your Swarm cluster',
      repository: { url: 'https://github.com/portainer/templates', stackfile: 'stacks/portainer-agent/docker-stack.yml' },
    },
    { id: 5, type: 1, title: 'IIS', description: 'Windows web server', platform: 'windows', image: 'microsoft/iis' },
    { id: 6, type: 1, title: 'Broken ports', description: '', image: 'busybox', ports: ['eighty'] },
    { id: 7, type: 1, title: 'No image', description: 'A container without an image' },
    { id: 8, type: 3, title: 'No repository', description: '' },
    { id: 9, type: 4, title: 'Edge thing', description: '', stackfile: 'https://example.org/x.yml' },
    { id: 10, type: 1, title: 'Registry (cache)', description: 'Same title again', image: 'registry' },
    { id: 11, type: 1, title: 'Registry  cache!', description: 'Same slug again', image: 'registry' },
    { id: 12, type: 1, title: 'Bad restart', description: '', image: 'busybox', restart_policy: 'sometimes' },
    { id: 13, type: 3, title: 'Ssh stack', description: '', repository: { url: 'git@example.org:x/y.git', stackfile: 'a.yml' } },
  ],
};

const importOk = (doc: unknown) => importPortainerTemplates(JSON.stringify(doc));
const byTitle = (ts: AppTemplate[], title: string) => {
  const t = ts.find((x) => x.title === title);
  if (!t) throw new Error(`no template "${title}"`);
  return t;
};

function invalidDoc(text: string, opts?: { maxTemplates?: number }): CapstanError {
  try {
    importPortainerTemplates(text, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(CapstanError);
    const err = e as CapstanError;
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toBe('Invalid templates document');
    return err;
  }
  throw new Error('the document was accepted');
}

/** The compose text through Capstan's own pipeline, with each variable set. */
function load(t: AppTemplate, values: Record<string, string> = {}) {
  const env = t.variables.map((v) => `${v.name}='${values[v.name] ?? (v.default || 'set')}'\n`).join('');
  const r = loadCompose({ name: 'imported', yaml: t.compose!, env });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  expect(r.warnings).toEqual([]);
  return r.project;
}

describe('importPortainerTemplates: version 3', () => {
  const { templates, skipped } = importOk(v3);

  it('keeps the container and compose-stack templates, and says why it skipped each other one', () => {
    expect(templates.map((t) => t.id)).toEqual([
      'registry-cache',
      'ms-sql-server',
      'wordpress',
      'registry-cache-2',
      'registry-cache-3',
    ]);
    expect(skipped).toEqual([
      { title: 'Portainer Agent', reason: expect.stringMatching(/swarm stack \(type 2\)/i) },
      { title: 'IIS', reason: 'a Windows template' },
      { title: 'Broken ports', reason: 'port "eighty" is not [host:]container[/protocol]' },
      { title: 'No image', reason: 'a container template without an image' },
      { title: 'No repository', reason: 'a compose stack without a repository url and stackfile' },
      { title: 'Edge thing', reason: expect.stringContaining('type 4 is not supported') },
      { title: 'Bad restart', reason: 'restart policy "sometimes" is not one Docker knows' },
      { title: 'Ssh stack', reason: expect.stringContaining('https:, http: or git:') },
    ]);
    for (const t of templates) expect(t.id).toMatch(TEMPLATE_ID);
  });

  it('writes a plain container template as one service with a named volume and Portainer\'s default restart', () => {
    const t = byTitle(templates, 'Registry (cache)');
    expect(t).toMatchObject({
      source: 'imported',
      description: 'Docker image registry configured as a pull through cache',
      categories: ['docker'],
      logo: 'https://example.org/registry.png',
      note: null,
      repository: null,
      variables: [],
    });
    expect(parse(t.compose!)).toEqual({
      services: {
        'registry-cache': {
          image: 'registry:2',
          environment: { REGISTRY_PROXY_REMOTEURL: 'https://registry-1.docker.io' },
          ports: ['5000/tcp'],
          volumes: [{ type: 'volume', source: 'registry-cache-var-lib-registry', target: '/var/lib/registry' }],
          restart: 'always',
        },
      },
      volumes: { 'registry-cache-var-lib-registry': {} },
    });
    const svc = load(t).services['registry-cache']!;
    expect(svc.ports).toEqual([expect.objectContaining({ target: 5000, protocol: 'tcp' })]);
    expect(svc.ports?.[0]?.published ?? '').toBe('');
    expect(svc.restart).toBe('always');
  });

  it('maps every container field, escapes $ in literals and turns env into variables', () => {
    const t = byTitle(templates, 'MS SQL Server');
    expect(t.note).toBe('Accept the EULA first.');
    expect(t.logo).toBeNull();
    expect(t.variables).toEqual([
      { name: 'ACCEPT_EULA', label: 'Accept EULA', default: 'Y', secret: false, options: [{ label: 'Yes, I accept', value: 'Y' }] },
      { name: 'SA_PASSWORD', label: 'SA password', default: '', description: 'At least 8 characters', secret: false },
      { name: 'MSSQL_PID', label: 'Edition', default: 'Developer', secret: false },
      { name: '_3D_DEVICE', label: 'Printer', default: '', secret: false },
    ]);
    const doc = parse(t.compose!);
    expect(Object.keys(doc.services)).toEqual(['mssql']);
    expect(doc.services.mssql).toEqual({
      image: 'mcr.microsoft.com/microsoft/mssql-server-linux',
      command: 'run --price=$$5',
      environment: {
        ACCEPT_EULA: '${ACCEPT_EULA}',
        SA_PASSWORD: '${SA_PASSWORD}',
        MSSQL_PID: '${MSSQL_PID}',
        PATH_LIKE: 'C:$$HOME/$${x}',
        '3D_DEVICE': '${_3D_DEVICE}',
      },
      ports: ['1433:1433/tcp', '53/udp', '8080/tcp'],
      volumes: [
        { type: 'bind', source: '/srv/mssql', target: '/var/opt/mssql', bind: { create_host_path: true } },
        { type: 'bind', source: '/srv/backup', target: '/backup', bind: { create_host_path: true }, read_only: true },
        { type: 'volume', source: 'mssql-cache', target: '/cache' },
        { type: 'volume', source: 'mssql-data', target: '/data' },
      ],
      restart: 'unless-stopped',
      labels: { 'traefik.enable': 'true', cost: '$$$$ money' },
      privileged: true,
      stdin_open: true,
      tty: true,
      hostname: 'sql1',
      network_mode: 'host',
    });
    expect(doc.volumes).toEqual({ 'mssql-cache': {}, 'mssql-data': {} });

    // Through the pipeline, with values set: the literals come back unchanged, the variables filled in.
    const svc = load(t, { SA_PASSWORD: 'pa$$word', _3D_DEVICE: '/dev/usb0' }).services.mssql!;
    expect(svc.image).toBe('mcr.microsoft.com/microsoft/mssql-server-linux');
    expect(svc.command).toEqual(['run', '--price=$5']);
    expect(svc.environment).toEqual({
      ACCEPT_EULA: 'Y',
      SA_PASSWORD: 'pa$$word',
      MSSQL_PID: 'Developer',
      PATH_LIKE: 'C:$HOME/${x}',
      '3D_DEVICE': '/dev/usb0',
    });
    expect(svc.labels).toEqual({ 'traefik.enable': 'true', cost: '$$ money' });
    expect(svc.ports).toEqual([
      expect.objectContaining({ target: 1433, published: '1433', protocol: 'tcp' }),
      expect.objectContaining({ target: 53, protocol: 'udp' }),
      expect.objectContaining({ target: 8080, protocol: 'tcp' }),
    ]);
    expect(svc.volumes).toEqual([
      expect.objectContaining({ type: 'bind', source: '/srv/mssql', target: '/var/opt/mssql' }),
      expect.objectContaining({ type: 'bind', source: '/srv/backup', target: '/backup', read_only: true }),
      expect.objectContaining({ type: 'volume', source: 'mssql-cache', target: '/cache' }),
      expect.objectContaining({ type: 'volume', source: 'mssql-data', target: '/data' }),
    ]);
    expect(svc).toMatchObject({ privileged: true, stdin_open: true, tty: true, hostname: 'sql1', network_mode: 'host' });
    expect(svc.restart).toBe('unless-stopped');
  });

  it('keeps a compose stack as its repository, with its env as variables', () => {
    const t = byTitle(templates, 'WordPress');
    expect(t).toEqual({
      id: 'wordpress',
      title: 'WordPress',
      description: 'WordPress setup with a MySQL database',
      categories: ['CMS'],
      logo: 'https://example.org/wordpress.png',
      note: 'Deploys a WordPress instance connected to a MySQL database.',
      source: 'imported',
      compose: null,
      repository: { url: 'https://github.com/portainer/templates', stackfile: 'stacks/wordpress/docker-compose.yml' },
      variables: [
        { name: 'MYSQL_DATABASE_PASSWORD', label: 'Database root password', default: '', description: 'Password of root.', secret: false },
      ],
    });
  });

  it('skips what would not load through the compose pipeline, and joins a named network as external', () => {
    const { templates: ts, skipped: sk } = importOk({
      version: '3',
      templates: [
        { id: 1, type: 1, title: 'Bad image', image: 'Upper Case:tag' },
        { id: 2, type: 1, title: 'Proxied', image: 'busybox', network: 'proxy', env: [{ name: 'VENDOR ID' }] },
        { id: 3, type: 1, title: 'Proxied too', image: 'busybox', network: 'proxy' },
      ],
    });
    expect(sk).toEqual([
      { title: 'Bad image', reason: expect.stringMatching(/^the compose file made from it does not load: services\.bad-image\.image: /) },
      { title: 'Proxied', reason: 'env name "VENDOR ID" is not a valid variable name' },
    ]);
    const t = byTitle(ts, 'Proxied too');
    expect(parse(t.compose!)).toMatchObject({ services: { 'proxied-too': { networks: ['proxy'] } }, networks: { proxy: { external: true } } });
    expect(load(t).networks.proxy).toMatchObject({ external: true });
  });

  it('makes ids unique within the document, and short enough', () => {
    const long = 'A very long title '.repeat(8);
    const { templates: ts } = importOk({
      version: '3',
      templates: [1, 2, 3].map((id) => ({ id, type: 1, title: long, image: 'busybox' })).concat([
        { id: 4, type: 1, title: '日本語', image: 'busybox' },
      ]),
    });
    const ids = ts.map((t) => t.id);
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(TEMPLATE_ID);
    expect(ids[1]).toMatch(/-2$/);
    expect(ids[2]).toMatch(/-3$/);
    expect(ids[3]).toBe('template');
    // the service inside is named from the title too, and loads
    for (const t of ts) expect(Object.keys(load(t).services)).toHaveLength(1);
  });
});

describe('importPortainerTemplates: version 2', () => {
  // As templates-2.0.json on portainer/templates' master: no ids, the same fields otherwise.
  const v2 = {
    version: '2',
    templates: [
      {
        type: 1,
        title: 'Nginx',
        description: 'High performance web server',
        categories: ['webserver'],
        platform: 'linux',
        logo: 'https://example.org/nginx.png',
        image: 'nginx:latest',
        ports: ['8080:80/tcp', '443/tcp'],
        volumes: [{ container: '/etc/nginx' }, { container: '/usr/share/nginx/html' }],
      },
      {
        type: 1,
        title: 'MySQL',
        description: 'The most popular open-source database',
        image: 'mysql:latest',
        env: [{ name: 'MYSQL_ROOT_PASSWORD', label: 'Root password' }, { name: 'MYSQL_ROOT_HOST', default: '%', preset: true }],
        ports: ['3306/tcp'],
        volumes: [{ container: '/var/lib/mysql' }],
        logo: null,
      },
      { type: 2, title: 'Swarm monitoring', description: '', repository: { url: 'https://github.com/x/y', stackfile: 'a.yml' } },
      { type: 3, title: 'Stack', description: '', repository: { url: 'git://example.org/x.git', stackfile: './stacks/a.yml' } },
    ],
  };

  it('imports the same way', () => {
    const { templates, skipped } = importOk(v2);
    expect(templates.map((t) => t.id)).toEqual(['nginx', 'mysql', 'stack']);
    expect(skipped).toEqual([{ title: 'Swarm monitoring', reason: expect.stringContaining('type 2') }]);
    const nginx = load(byTitle(templates, 'Nginx')).services.nginx!;
    expect(nginx.image).toBe('nginx:latest');
    expect(nginx.ports).toEqual([
      expect.objectContaining({ target: 80, published: '8080', protocol: 'tcp' }),
      expect.objectContaining({ target: 443, protocol: 'tcp' }),
    ]);
    expect(nginx.volumes?.map((v) => v.source)).toEqual(['nginx-etc-nginx', 'nginx-usr-share-nginx-html']);
    const mysql = byTitle(templates, 'MySQL');
    expect(mysql.logo).toBeNull();
    expect(mysql.variables).toEqual([{ name: 'MYSQL_ROOT_PASSWORD', label: 'Root password', default: '', secret: false }]);
    expect(load(mysql, { MYSQL_ROOT_PASSWORD: 'secret' }).services.mysql!.environment).toEqual({
      MYSQL_ROOT_PASSWORD: 'secret',
      MYSQL_ROOT_HOST: '%',
    });
    expect(byTitle(templates, 'Stack').repository).toEqual({ url: 'git://example.org/x.git', stackfile: './stacks/a.yml' });
  });
});

describe('importPortainerTemplates: a malformed document is a 400 naming the place', () => {
  it('is not JSON', () => {
    expect(invalidDoc('{"version": "3", templates: []').details).toMatch(/^document: not valid JSON/);
    expect(invalidDoc('').details).toMatch(/^document: not valid JSON/);
  });

  it('has no version, or one other than 2 and 3', () => {
    expect(invalidDoc('{"templates": []}').details).toMatch(/^version: /);
    expect(invalidDoc('{"version": "1", "templates": []}').details).toBe('version: "1" is not supported (2 or 3)');
    expect(invalidDoc('{"version": 3, "templates": []}').details).toMatch(/^version: .*string/);
    expect(invalidDoc('[{"type": 1, "title": "x", "image": "y"}]').details).toMatch(/^version: .*version 1/);
    expect(invalidDoc('"3"').details).toMatch(/^document: /);
  });

  it('has templates that are not a list', () => {
    expect(invalidDoc('{"version": "3"}').details).toMatch(/^templates: /);
    expect(invalidDoc('{"version": "3", "templates": {"a": 1}}').details).toMatch(/^templates: .*array/);
  });

  it('has a field of the wrong type', () => {
    const doc = structuredClone(v3);
    (doc.templates[3] as Record<string, unknown>).ports = [8080];
    expect(invalidDoc(JSON.stringify(doc)).details).toMatch(/^templates\.3\.ports\.0: .*expected string/);
    const env = structuredClone(v3);
    (env.templates[1]!.env![2] as Record<string, unknown>).default = 5;
    expect(invalidDoc(JSON.stringify(env)).details).toMatch(/^templates\.1\.env\.2\.default: /);
    expect(invalidDoc('{"version": "3", "templates": [1]}').details).toMatch(/^templates\.0: /);
    expect(invalidDoc('{"version": "3", "templates": [{"type": "1", "title": "x"}]}').details).toMatch(/^templates\.0\.type: /);
  });

  it('has more templates than allowed', () => {
    const many = { version: '3', templates: Array.from({ length: 5 }, (_, i) => ({ id: i, type: 1, title: `t${i}`, image: 'busybox' })) };
    expect(invalidDoc(JSON.stringify(many), { maxTemplates: 4 }).details).toBe('templates: 5 entries, at most 4 are allowed');
    expect(importPortainerTemplates(JSON.stringify(many), { maxTemplates: 5 }).templates).toHaveLength(5);
    const big = { version: '3', templates: Array.from({ length: 2001 }, () => ({})) };
    expect(invalidDoc(JSON.stringify(big)).details).toBe('templates: 2001 entries, at most 2000 are allowed');
  });
});

// Public community lists, copied next to the repository by hand (not committed): they show what
// the wild looks like. Without them this case is skipped, visibly.
const sharedDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/portainer-templates');
const realFiles = existsSync(sharedDir) ? readdirSync(sharedDir).filter((f) => f.endsWith('.json')) : [];

describe('importPortainerTemplates: real public documents', () => {
  it.skipIf(realFiles.length === 0)(`imports ${realFiles.join(', ') || '(none: ../shared/portainer-templates/*.json is absent)'}`, () => {
    for (const f of realFiles) {
      const text = readFileSync(path.join(sharedDir, f), 'utf8');
      const total = (JSON.parse(text) as { templates: unknown[] }).templates.length;
      const { templates, skipped } = importPortainerTemplates(text);
      expect(templates.length + skipped.length, f).toBe(total);
      expect(templates.length / total, f).toBeGreaterThan(0.6);
      for (const s of skipped) expect(s.reason, `${f}: ${s.title}`).toMatch(/\w{3}/);
      expect(new Set(templates.map((t) => t.id)).size, f).toBe(templates.length);
      for (const t of templates) {
        expect(t.id).toMatch(TEMPLATE_ID);
        expect(t.compose === null, `${f}: ${t.title}`).toBe(t.repository !== null);
        if (t.compose !== null) load(t);
      }
    }
  });
});
