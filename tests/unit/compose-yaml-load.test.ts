import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, loadYaml } from '../../src/shared/compose/yaml-load.js';

describe('loadYaml', () => {
  it('reads anchors, aliases and merge keys (one map and a list of maps)', () => {
    const r = loadYaml(`x-common: &common
  restart: unless-stopped
  environment: &env
    TZ: UTC
x-logging: &logging
  logging: { driver: local }
services:
  web:
    <<: *common
    image: nginx
    restart: always
  worker:
    <<: [*common, *logging, { image: first, user: "1000" }]
    image: worker
    environment: *env
`);
    expect(r.issues).toEqual([]);
    const services = r.value!.services as Record<string, Record<string, unknown>>;
    // keys written in the map win over the merged ones
    expect(services.web).toEqual({ image: 'nginx', restart: 'always', environment: { TZ: 'UTC' } });
    expect(services.worker).toEqual({
      image: 'worker',
      restart: 'unless-stopped',
      environment: { TZ: 'UTC' },
      logging: { driver: 'local' },
      user: '1000',
    });
    // an alias expands to its own copy: changing one does not change the other
    (services.web!.environment as Record<string, string>).TZ = 'X';
    expect((services.worker!.environment as Record<string, string>).TZ).toBe('UTC');
  });

  it('loads a file with hundreds of merges and aliases (sentry self-hosted style)', () => {
    let text = 'x-defaults: &defaults\n  restart: unless-stopped\n  depends_on: &deps\n    - redis\n    - kafka\n  environment: &env\n    A: "1"\n';
    text += 'services:\n';
    for (let i = 0; i < 300; i++) {
      text += `  svc${i}:\n    <<: *defaults\n    image: "img:${i}"\n    depends_on: *deps\n    environment: *env\n`;
    }
    const r = loadYaml(text);
    expect(r.issues).toEqual([]);
    const services = r.value!.services as Record<string, Record<string, unknown>>;
    expect(Object.keys(services)).toHaveLength(300);
    expect(services.svc299).toEqual({ restart: 'unless-stopped', depends_on: ['redis', 'kafka'], environment: { A: '1' }, image: 'img:299' });
  });

  it('refuses a billion-laughs document by its expanded size, without expanding it', () => {
    const names = 'abcdefghij';
    let text = 'x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i < names.length; i++) {
      const prev = names[i - 1];
      text += `x-${names[i]}: &${names[i]} [${Array(10).fill(`*${prev}`).join(', ')}]\n`;
    }
    text += 'services: { web: { image: x, command: *j } }\n';
    const r = loadYaml(text);
    expect(r.value).toBeUndefined();
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]!.message).toMatch(/expands .* allowed size/);
  });

  it('refuses nesting deeper than the bound, through aliases too', () => {
    const deep = `a: ${'['.repeat(MAX_DEPTH + 5)}${']'.repeat(MAX_DEPTH + 5)}\n`;
    expect(loadYaml(deep).issues[0]!.message).toMatch(/nested deeper than 200/);
    // textually shallow, deep once expanded: 3 levels per anchor, 80 anchors
    let text = 'x0: &x0 [[[1]]]\n';
    for (let i = 1; i < 80; i++) text += `x${i}: &x${i} [[[*x${i - 1}]]]\n`;
    expect(loadYaml(text).issues[0]!.message).toMatch(/nested deeper/);
    // a flood of brackets the parser itself could not survive is refused before parsing
    expect(loadYaml(`a: ${'['.repeat(200_000)}`).issues[0]!.message).toMatch(/nested deeper/);
  });

  it('reports a repeated key with its line and the first one', () => {
    const r = loadYaml('services:\n  web:\n    image: a\n    ports: []\n    image: b\n');
    expect(r.issues).toEqual([{ path: [], line: 5, message: 'mapping key "image" already defined at line 3' }]);
  });

  it('gives YAML syntax errors their 1-based line', () => {
    const r = loadYaml('services:\n  web:\n    image: "unclosed\n');
    expect(r.issues[0]!.line).toBe(3);
    const bad = loadYaml('services:\n  web:\n    image: x\n  - oops\n');
    expect(bad.issues[0]!.line).toBe(4);
  });

  it('says an empty document or a non-map is not a compose file', () => {
    for (const text of ['', '# only a comment\n', '- a\n- b\n', 'just text\n']) {
      const r = loadYaml(text);
      expect(r.issues).toEqual([{ path: [], line: 1, message: 'expected a compose file: a map with services:' }]);
    }
  });

  it('reads plain 0-prefixed numbers as octal, as compose-go does, and quoted ones as text', () => {
    const r = loadYaml('secrets:\n  s:\n    mode: 0440\n    o: 0o17\n    q: "0440"\n    d: 8080\n    b: yes\n    t: !!str 0440\n    u: 1_000\n    x: 0x1F\n    z: 0\n');
    expect((r.value!.secrets as Record<string, unknown>).s).toEqual({ mode: 0o440, o: 15, q: '0440', d: 8080, b: 'yes', t: '0440', u: 1000, x: 31, z: 0 });
  });

  it('drops !reset values and records them; keeps !override values and records them', () => {
    const r = loadYaml('services:\n  web:\n    image: x\n    command: !reset null\n    ports: !override ["80:80"]\n    dns: !reset []\n');
    expect(r.issues).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.value!.services).toEqual({ web: { image: 'x', ports: ['80:80'] } });
    expect(r.resets).toEqual([
      ['services', 'web', 'command'],
      ['services', 'web', 'dns'],
    ]);
    expect(r.overrides).toEqual([['services', 'web', 'ports']]);
  });

  it('keeps "__proto__" as an ordinary key', () => {
    const r = loadYaml('services:\n  __proto__:\n    image: x\n');
    const services = r.value!.services as Record<string, unknown>;
    expect(Object.keys(services)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(services)).toBe(Object.prototype);
  });

  it('locates paths: keys, list items, through aliases and merge keys, else the nearest parent', () => {
    const r = loadYaml(`x-base: &base
  image: nginx
  environment:
    A: "1"
services:
  web:
    <<: *base
    ports:
      - "80:80"
      - "443:443"
  db:
    environment: &dbenv
      B: "2"
  db2:
    environment: *dbenv
`);
    expect(r.locate([])).toBe(1);
    expect(r.locate(['services'])).toBe(5);
    expect(r.locate(['services', 'web', 'ports', 1])).toBe(10);
    expect(r.locate(['services', 'web', 'image'])).toBe(2); // written in the anchor
    expect(r.locate(['services', 'web', 'environment', 'A'])).toBe(4);
    expect(r.locate(['services', 'db2', 'environment', 'B'])).toBe(13);
    expect(r.locate(['services', 'web', 'healthcheck', 'test'])).toBe(6); // missing: the service's line
    expect(r.locate(['services', 'web', 'ports', 7])).toBe(8);
  });
});
