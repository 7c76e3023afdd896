import { describe, expect, it } from 'vitest';
import { loadCompose } from '../../src/shared/compose/index.js';
import type { LoadComposeResult, ProjectFiles } from '../../src/shared/compose/model.js';

function folder(files: Record<string, string>): ProjectFiles {
  return {
    dir: '/srv/projects/shop',
    home: '/root',
    read: (p) => (Object.hasOwn(files, p) ? files[p] : undefined),
  };
}

const ok = (r: LoadComposeResult) => {
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r;
};

describe('loadCompose', () => {
  it('runs a file through .env, interpolation, extends and normalize', () => {
    const r = ok(
      loadCompose({
        name: 'shop',
        yaml: `x-base: &base
  restart: unless-stopped
services:
  web:
    <<: *base
    image: "nginx:\${TAG:-1.25}"
    ports: ["\${PORT:-8080}:80"]
    environment:
      DB: "postgres://\${DB_USER}@db/\${COMPOSE_PROJECT_NAME}"
      LITERAL: "$$HOME"
  worker:
    extends: web
    ports: !reset []
    command: work
`,
        env: 'TAG=1.27\nDB_USER="app"\n',
      }),
    );
    expect(r.warnings).toEqual([]);
    const { web, worker } = r.project.services;
    expect(web?.image).toBe('nginx:1.27');
    expect(web?.restart).toBe('unless-stopped');
    expect(web?.environment).toEqual({ DB: 'postgres://app@db/shop', LITERAL: '$HOME' });
    expect(web?.ports).toEqual([expect.objectContaining({ target: 80, published: '8080', protocol: 'tcp' })]);
    expect(worker?.image).toBe('nginx:1.27');
    expect(worker?.command).toEqual(['work']);
    expect(worker?.ports ?? []).toEqual([]);
  });

  it('takes variables from the .env alone, never from the server environment', () => {
    process.env.CAPSTAN_LEAK_CHECK = 'leaked';
    try {
      const r = ok(loadCompose({ name: 'shop', yaml: 'services:\n  web:\n    image: "busybox:${CAPSTAN_LEAK_CHECK:-safe}"\n' }));
      expect(r.project.services.web?.image).toBe('busybox:safe');
      const unset = ok(loadCompose({ name: 'shop', yaml: 'services:\n  web:\n    image: busybox\n    user: "${HOME}"\n' }));
      expect(unset.warnings).toEqual(['The "HOME" variable is not set. Defaulting to a blank string.']);
      // the editor can mark it where it is first used
      expect(unset.located_warnings).toEqual([
        { path: ['services', 'web', 'user'], line: 4, message: 'The "HOME" variable is not set. Defaulting to a blank string.' },
      ]);
    } finally {
      delete process.env.CAPSTAN_LEAK_CHECK;
    }
  });

  it('refuses :? with the variable, its message and the line', () => {
    const r = loadCompose({
      name: 'shop',
      yaml: 'services:\n  db:\n    image: postgres\n    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD:?put DB_PASSWORD in .env}\n',
    });
    expect(r.ok).toBe(false);
    expect(r.issues).toEqual([
      {
        path: ['services', 'db', 'environment', 'POSTGRES_PASSWORD'],
        line: 5,
        message: expect.stringContaining('required variable DB_PASSWORD is missing a value: put DB_PASSWORD in .env'),
      },
    ]);
  });

  it('gives every issue its line, sorted by line', () => {
    const r = loadCompose({
      name: 'shop',
      yaml: 'name: other\nservices:\n  web:\n    image: nginx\n    ports: ["${1}"]\n',
    });
    expect(r.ok).toBe(false);
    expect(r.issues.map((i) => i.line)).toEqual([5]);
    const named = loadCompose({ name: 'shop', yaml: '# header\nname: other\nservices:\n  web:\n    image: nginx\n' });
    expect(named.issues).toEqual([{ path: ['name'], line: 2, message: 'must be "shop" (the service\'s name) or left out' }]);
    const bad = loadCompose({ name: 'shop', yaml: 'services:\n  web:\n    image: nginx\n    restart: sometimes\n  db:\n    imagee: x\n' });
    expect(bad.ok).toBe(false);
    const lines = bad.issues.map((i) => i.line ?? 0);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l > 0)).toBe(true);
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
  });

  it('accepts `version` with compose\'s warning and a `name` equal to the service', () => {
    const r = ok(loadCompose({ name: 'shop', yaml: 'version: "3.8"\nname: shop\nservices:\n  web:\n    image: nginx\n' }));
    expect(r.warnings).toEqual([
      'the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion',
    ]);
    expect(r.project.name).toBe('shop');
  });

  it('reports YAML and .env errors with their lines', () => {
    const yaml = loadCompose({ name: 'shop', yaml: 'services:\n  web:\n    image: nginx\n    image: httpd\n' });
    expect(yaml.issues).toEqual([{ path: [], line: 4, message: 'mapping key "image" already defined at line 3' }]);
    const env = loadCompose({ name: 'shop', yaml: 'services:\n  web:\n    image: nginx\n', env: 'A=1\nB="open\n' });
    expect(env.issues).toEqual([{ path: [], message: expect.stringMatching(/^\.env line 2: unterminated quoted value/) }]);
  });

  it('enables profiles from the input and from COMPOSE_PROFILES in .env', () => {
    const yaml = 'services:\n  web:\n    image: nginx\n  debug:\n    image: busybox\n    profiles: [debug]\n  tools:\n    image: busybox\n    profiles: [tools]\n';
    const none = ok(loadCompose({ name: 'shop', yaml }));
    expect(Object.keys(none.project.services)).toEqual(['web']);
    const both = ok(loadCompose({ name: 'shop', yaml, env: 'COMPOSE_PROFILES=debug\n', profiles: ['tools'] }));
    expect(Object.keys(both.project.services).sort()).toEqual(['debug', 'tools', 'web']);
  });

  it('extends a service from another project file when the files are there, and warns without them', () => {
    const yaml = 'services:\n  web:\n    extends: { file: base/common.yml, service: app }\n    ports: ["80:80"]\n';
    const files = folder({ 'base/common.yml': 'services:\n  app:\n    image: "httpd:${TAG}"\n    volumes: ["./html:/usr/local/apache2/htdocs"]\n' });
    const r = ok(loadCompose({ name: 'shop', yaml, env: 'TAG=2.4\n', files }));
    expect(r.project.services.web?.image).toBe('httpd:2.4');
    expect(r.project.services.web?.volumes?.[0]).toMatchObject({ type: 'bind', source: '/srv/projects/shop/base/html' });
    const browser = loadCompose({ name: 'shop', yaml, env: 'TAG=2.4\n' });
    expect(browser.warnings).toContain('service "web" extends "app" from base/common.yml, which is read when the service is applied');
  });

  it('refuses a billion-laughs document', () => {
    let yaml = 'x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i < 10; i++) yaml += `x-${i}: &a${i} [${Array(10).fill(i === 1 ? '*a' : `*a${i - 1}`).join(',')}]\n`;
    yaml += 'services:\n  web:\n    image: nginx\n    command: *a9\n';
    const r = loadCompose({ name: 'shop', yaml });
    expect(r.ok).toBe(false);
    expect(r.issues[0]?.message).toMatch(/billion laughs/);
  });
});
