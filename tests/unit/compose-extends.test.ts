import { describe, expect, it } from 'vitest';
import { applyExtends } from '../../src/shared/compose/extends.js';
import { interpolateDocument } from '../../src/shared/compose/interpolate.js';
import type { ProjectFiles } from '../../src/shared/compose/model.js';
import { loadYaml } from '../../src/shared/compose/yaml-load.js';

/** A project folder held in memory: path (relative to the folder) → text. */
function folder(files: Record<string, string>): ProjectFiles & { reads: string[] } {
  const reads: string[] = [];
  return {
    dir: '/srv/projects/app',
    home: '/root',
    reads,
    read(path: string) {
      if (path.startsWith('..') || path.startsWith('/')) throw new Error('the path leaves the project folder');
      reads.push(path);
      return Object.hasOwn(files, path) ? files[path] : undefined;
    },
  };
}

const vars: Record<string, string> = { TAG: '2' };
const lookup = (n: string) => (Object.hasOwn(vars, n) ? vars[n] : undefined);

function run(text: string, files?: ProjectFiles) {
  const y = loadYaml(text);
  expect(y.issues).toEqual([]);
  const doc = interpolateDocument(y.value, lookup).value as Record<string, unknown>;
  const r = applyExtends(doc, { ...(files ? { files } : {}), lookup, resets: [...y.resets, ...y.overrides] });
  return { ...r, services: r.value.services as Record<string, Record<string, unknown>> };
}

describe('applyExtends in one file', () => {
  it('merges a base under the service, following the specification merge rules', () => {
    const { services, issues } = run(`
services:
  base:
    image: app:\${TAG}
    command: ["serve", "--base"]
    environment: { A: "1", B: "2" }
    labels: [x=1]
    ports: ["80:80", "443:443"]
    volumes: [data:/data, ./conf:/etc/app:ro]
    expose: ["9000"]
    dns: [1.1.1.1]
    depends_on: [db]
    healthcheck: { test: ["CMD", "true"], interval: 10s }
    ulimits: { nofile: { soft: 10, hard: 20 } }
    logging: { driver: json-file, options: { max-size: 1m } }
    deploy: { resources: { limits: { memory: 1g } } }
  web:
    extends: base
    command: serve --web
    environment: [B=3, C=4]
    labels: { y: "2" }
    ports: ["80:80", "8080:8080"]
    volumes: [other:/data]
    expose: ["9000", "9001"]
    dns: [8.8.8.8]
    depends_on: { cache: { condition: service_healthy } }
    healthcheck: { test: ["CMD", "false"] }
    ulimits: { nofile: 5 }
    logging: { driver: local }
    deploy: { resources: { limits: { cpus: "0.5" } } }
  db: { image: postgres }
  cache: { image: redis }
`);
    expect(issues).toEqual([]);
    expect(services.web).toEqual({
      image: 'app:2',
      command: 'serve --web',
      environment: ['A=1', 'B=3', 'C=4'],
      labels: ['x=1', 'y=2'],
      ports: ['80:80', '443:443', '8080:8080'],
      volumes: ['other:/data', './conf:/etc/app:ro'],
      expose: ['9000', '9001'],
      dns: ['1.1.1.1', '8.8.8.8'],
      depends_on: {
        db: { condition: 'service_started', required: true },
        // a dependency written as a map keeps what it says (compose-go adds defaults only to list entries)
        cache: { condition: 'service_healthy' },
      },
      healthcheck: { test: ['CMD', 'false'], interval: '10s' },
      ulimits: { nofile: 5 },
      logging: { driver: 'local' },
      deploy: { resources: { limits: { memory: '1g', cpus: '0.5' } } },
    });
    // the base itself is unchanged
    expect(services.base!.command).toEqual(['serve', '--base']);
  });

  it('merges logging options when the driver is the same, and networks from list and map', () => {
    const { services } = run(`
services:
  base:
    image: a
    logging: { driver: json-file, options: { max-size: 1m } }
    networks: [front, back]
  web:
    extends: { service: base }
    logging: { options: { max-file: "3" } }
    networks: { back: { aliases: [api] } }
`);
    expect(services.web).toEqual({
      image: 'a',
      logging: { driver: 'json-file', options: { 'max-size': '1m', 'max-file': '3' } },
      networks: { front: null, back: { aliases: ['api'] } },
    });
  });

  it('follows chains of extends', () => {
    const { services, issues } = run(`
services:
  c: { extends: b, user: "3" }
  b: { extends: a, hostname: b }
  a: { image: base, hostname: a, user: "1" }
`);
    expect(issues).toEqual([]);
    expect(services.c).toEqual({ image: 'base', hostname: 'b', user: '3' });
    expect(services.b).toEqual({ image: 'base', hostname: 'b', user: '1' });
  });

  it('reports a cycle naming the chain, once', () => {
    const { issues } = run(`
services:
  a: { extends: b, image: x }
  b: { extends: c }
  c: { extends: a }
  self: { extends: self, image: y }
`);
    expect(issues).toEqual([
      { path: ['services', 'c', 'extends'], message: 'circular extends: a extends b extends c extends a' },
      { path: ['services', 'self', 'extends'], message: 'circular extends: self extends self' },
    ]);
  });

  it('reports a missing base service and a missing service name', () => {
    const { issues } = run('services:\n  web: { extends: nope, image: x }\n  api: { extends: { file: "" } }\n');
    expect(issues).toEqual([
      { path: ['services', 'web', 'extends'], message: 'cannot extend service "web": service "nope" not found' },
      { path: ['services', 'api', 'extends', 'service'], message: 'extends.service is required for service "api"' },
    ]);
  });

  it('honours !reset and !override on the extending service', () => {
    const { services, issues } = run(`
services:
  base:
    image: a
    command: sleep 1
    ports: ["80:80"]
    environment: { A: "1", B: "2" }
  web:
    extends: base
    command: !reset null
    ports: !override ["8443:443"]
    environment:
      B: !reset null
`);
    expect(issues).toEqual([]);
    // environment merges as a list, as compose-go merges it
    expect(services.web).toEqual({ image: 'a', ports: ['8443:443'], environment: ['A=1'] });
  });

  it('keeps one entry per key in set-like lists of every service, the later one winning', () => {
    const { services } = run(`
services:
  web:
    image: a
    environment: [A=1, B=2, A=3]
    volumes: [x:/data, y:/data]
    secrets: [s, { source: t, target: /run/secrets/s }]
    cap_add: [NET_ADMIN, NET_ADMIN]
`);
    expect(services.web).toEqual({
      image: 'a',
      environment: ['A=3', 'B=2'],
      volumes: ['y:/data'],
      secrets: [{ source: 't', target: '/run/secrets/s' }],
      cap_add: ['NET_ADMIN'],
    });
  });
});

describe('applyExtends across files', () => {
  const files = () =>
    folder({
      'common/base.yml': `
x-env: &env
  MODE: prod
services:
  app:
    image: app:\${TAG}
    environment: *env
    env_file: [./app.env, { path: ../shared.env, required: false }]
    volumes: [./data:/data, named:/named, { type: bind, source: ./logs, target: /logs }, /abs:/abs]
  worker:
    extends: app
    command: work
  deep:
    extends: { file: ./more/deeper.yml, service: leaf }
`,
      'common/more/deeper.yml': 'services:\n  leaf:\n    image: leaf\n    volumes: [../../top:/top]\n',
    });

  it('reads the other file relative to the project, interpolates it, and rebases its relative paths', () => {
    const f = files();
    const { services, issues } = run(
      `
services:
  web:
    extends: { file: ./common/base.yml, service: app }
    ports: ["80:80"]
  worker:
    extends: { file: common/base.yml, service: worker }
  leaf:
    extends: { file: common/base.yml, service: deep }
`,
      f,
    );
    expect(issues).toEqual([]);
    expect(services.web).toEqual({
      image: 'app:2',
      environment: { MODE: 'prod' },
      env_file: ['./common/app.env', { path: './shared.env', required: false }],
      volumes: ['./common/data:/data', 'named:/named', { type: 'bind', source: './common/logs', target: '/logs' }, '/abs:/abs'],
      ports: ['80:80'],
    });
    expect(services.worker).toMatchObject({ image: 'app:2', command: 'work', volumes: expect.arrayContaining(['./common/data:/data']) });
    expect(services.leaf).toEqual({ image: 'leaf', volumes: ['./top:/top'] });
    // each file is read once
    expect(f.reads).toEqual(['common/base.yml', 'common/more/deeper.yml']);
  });

  it('reports a missing file, a missing service in it, an unreadable path, and errors inside it with their line', () => {
    const f = folder({ 'bad.yml': 'services:\n  a:\n    image: x\n    image: y\n', 'ok.yml': 'services:\n  a: { image: x }\n' });
    const { issues } = run(
      `
services:
  one: { extends: { file: missing.yml, service: a } }
  two: { extends: { file: ok.yml, service: b } }
  three: { extends: { file: ../outside.yml, service: a } }
  four: { extends: { file: bad.yml, service: a } }
`,
      f,
    );
    expect(issues).toEqual([
      { path: ['services', 'one', 'extends'], message: 'extends: file "missing.yml" not found in the project folder' },
      { path: ['services', 'two', 'extends'], message: 'cannot extend service "two": service "b" not found in ok.yml' },
      { path: ['services', 'three', 'extends'], message: 'extends: cannot read "../outside.yml": the path leaves the project folder' },
      { path: ['services', 'four', 'extends'], message: 'in bad.yml line 4: mapping key "image" already defined at line 3' },
    ]);
  });

  it('without project files (the dashboard), warns and keeps the service as written', () => {
    const { services, issues, warnings } = run('services:\n  web:\n    extends: { file: base.yml, service: app }\n    ports: ["80:80"]\n');
    expect(issues).toEqual([]);
    expect(warnings).toEqual(['service "web" extends "app" from base.yml, which is read when the service is applied']);
    expect(services.web).toEqual({ extends: { file: 'base.yml', service: 'app' }, ports: ['80:80'] });
  });
});
