// The shipped catalogue: every file a template Capstan's own pipeline takes
// without a warning, with the metadata a form needs and only the variables it uses.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadBuiltinTemplates, parseBuiltinTemplate } from '../../src/server/services/template-builtin.js';
import { renderTemplateEnv } from '../../src/server/services/template-render.js';
import { loadCompose } from '../../src/shared/compose/index.js';
import { parseImageReference } from '../../src/shared/compose/image-ref.js';
import { TEMPLATE_ID, zTemplateSummary, type AppTemplate } from '../../src/shared/templates.js';

const templates = loadBuiltinTemplates();

/** The names a compose text interpolates: `$NAME`, `${NAME}`, `${NAME:-…}`…, never `$$` (a literal dollar). */
function interpolated(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$(?:(\$)|([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|(\{))/g)) {
    if (m[4]) throw new Error(`invalid interpolation at ${m.index}`);
    const name = m[2] ?? m[3];
    if (name) names.add(name);
  }
  return names;
}

function load(t: AppTemplate) {
  const { env, generated } = renderTemplateEnv(t.variables, {});
  return { result: loadCompose({ name: t.id, yaml: t.compose!, env }), env, generated };
}

describe('the built-in templates', () => {
  it('are at least twelve, with distinct ids and titles, sorted by title', () => {
    expect(templates.length).toBeGreaterThanOrEqual(12);
    expect(new Set(templates.map((t) => t.id)).size).toBe(templates.length);
    expect(new Set(templates.map((t) => t.title)).size).toBe(templates.length);
    const titles = templates.map((t) => t.title);
    expect(titles).toEqual([...titles].sort((a, b) => a.localeCompare(b, 'en')));
  });

  it('are read once and shared, frozen', () => {
    expect(loadBuiltinTemplates()).toBe(templates);
    expect(Object.isFrozen(templates[0])).toBe(true);
    expect(Object.isFrozen(templates[0]!.variables)).toBe(true);
  });

  describe.each(templates.map((t) => [t.id, t] as const))('%s', (_id, t) => {
    it('has an id that is a slug and complete metadata', () => {
      expect(t.id).toMatch(TEMPLATE_ID);
      expect(t.id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(zTemplateSummary.parse(t)).toEqual({
        id: t.id,
        title: t.title,
        description: t.description,
        categories: t.categories,
        logo: t.logo,
        note: t.note,
        source: 'builtin',
        variables: t.variables,
      });
      expect(t.title.trim()).not.toBe('');
      expect(t.description.length).toBeGreaterThan(10);
      expect(t.categories.length).toBeGreaterThan(0);
      if (t.logo !== null) expect(t.logo).toMatch(/^https:\/\/[^\s]+\.svg$/);
      expect(t.source).toBe('builtin');
      expect(t.repository).toBeNull();
      for (const v of t.variables) {
        expect(v.name).toMatch(/^[A-Z][A-Z0-9_]*$/);
        expect(v.label.trim()).not.toBe('');
        // a secret is generated, so it carries no default; everything else has one
        expect(v.default === '').toBe(v.secret);
        if (v.options) expect(v.options.map((o) => o.value)).toContain(v.default);
      }
      // a host port is always something the user chooses
      const portVariables = t.variables.filter((v) => v.name.endsWith('_PORT'));
      expect(portVariables.length).toBeGreaterThan(0);
      for (const v of portVariables) expect(Number(v.default)).toBeGreaterThan(0);
    });

    it('interpolates exactly its declared variables', () => {
      const used = interpolated(t.compose!);
      expect([...used].sort()).toEqual(t.variables.map((v) => v.name).sort());
    });

    it('keeps its compose text verbatim, the metadata block included', () => {
      const doc = YAML.parse(t.compose!) as Record<string, unknown>;
      expect(doc['x-capstan-template']).toMatchObject({ title: t.title });
      expect(Object.keys(doc).filter((k) => !k.startsWith('x-'))).toEqual(
        expect.arrayContaining(['services']),
      );
    });

    it('loads through the compose pipeline with its defaults and generated secrets, without a warning', () => {
      const { result, generated } = load(t);
      expect(result.issues).toEqual([]);
      expect(result.warnings).toEqual([]);
      expect(result.located_warnings ?? []).toEqual([]);
      expect(generated).toEqual(t.variables.filter((v) => v.secret).map((v) => v.name));
      if (!result.ok) return;
      const services = Object.values(result.project.services);
      expect(services.length).toBeGreaterThan(0);
      const published: string[] = [];
      for (const s of services) {
        const ref = parseImageReference(s.image);
        expect(ref.ok, s.image).toBe(true);
        if (!ref.ok) continue;
        expect(ref.ref.tag, `${s.name}: ${s.image} has no explicit tag`).toBeDefined();
        expect(ref.ref.tag).not.toBe('latest');
        expect(s.restart, s.name).toBe('unless-stopped');
        expect(s.network_mode ?? 'default', s.name).not.toBe('host');
        expect(s.pull_policy, s.name).not.toBe('always');
        expect(s.privileged ?? false, s.name).toBe(false);
        for (const m of s.volumes ?? []) expect(m.type, `${s.name}: ${m.target}`).toBe('volume');
        for (const [dep, cond] of Object.entries(s.depends_on ?? {})) {
          // waiting for a database means waiting for its healthcheck
          if (cond.condition === 'service_healthy') expect(result.project.services[dep]?.healthcheck?.test, dep).toBeDefined();
        }
        for (const p of s.ports ?? []) {
          expect(p.published, `${s.name}: port ${p.target} is published on a port the user chose`).toBeDefined();
          published.push(`${p.published}/${p.protocol}`);
        }
      }
      expect(published.length).toBeGreaterThan(0);
      // the raw file: no build (Capstan does not build) and no top-level volume bound to a host path
      const doc = YAML.parse(t.compose!) as { services: Record<string, Record<string, unknown>>; volumes?: Record<string, unknown> };
      for (const [name, s] of Object.entries(doc.services)) expect(s, name).not.toHaveProperty('build');
      for (const [name, v] of Object.entries(doc.volumes ?? {})) expect(v ?? {}, name).not.toHaveProperty('driver_opts');
    });

    it('takes other port values: every host port is the variable, not a fixed number', () => {
      const given = Object.fromEntries(t.variables.filter((v) => v.name.endsWith('_PORT')).map((v, i) => [v.name, String(40100 + i)]));
      const { env } = renderTemplateEnv(t.variables, given);
      const r = loadCompose({ name: t.id, yaml: t.compose!, env });
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      const hostPorts = Object.values(r.project.services).flatMap((s) => (s.ports ?? []).map((p) => p.published));
      expect(hostPorts.length).toBeGreaterThan(0);
      for (const p of hostPorts) expect(Object.values(given)).toContain(p);
    });
  });
});

describe('loadBuiltinTemplates on a directory', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'capstan-templates-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const good = (title: string) => `x-capstan-template:
  title: ${title}
  description: A test template
  categories: [test]
  variables:
    - name: PORT
      label: Port
      default: "80"
services:
  web:
    image: capstan-test/busybox:latest
    ports: ["\${PORT}:80"]
`;

  it('reads every *.yaml, fills the optional fields, and sorts by title', () => {
    writeFileSync(path.join(dir, 'zeta.yaml'), good('Alpha'));
    writeFileSync(path.join(dir, 'alpha.yaml'), good('Zeta'));
    writeFileSync(path.join(dir, 'README.md'), 'not a template');
    const list = loadBuiltinTemplates(dir);
    expect(list.map((t) => [t.id, t.title])).toEqual([
      ['zeta', 'Alpha'],
      ['alpha', 'Zeta'],
    ]);
    expect(list[0]).toMatchObject({ logo: null, note: null, source: 'builtin', repository: null, compose: good('Alpha') });
    expect(list[0]!.variables).toEqual([{ name: 'PORT', label: 'Port', default: '80', secret: false }]);
  });

  it.each([
    ['Bad_Name.yaml', good('X'), /Bad_Name\.yaml: the file name is not a slug/],
    ['no-block.yaml', 'services: {}\n', /no-block\.yaml: no x-capstan-template block/],
    ['not-yaml.yaml', 'a: [\n', /not-yaml\.yaml: not YAML/],
    ['no-title.yaml', good('X').replace('  title: X\n', ''), /no-title\.yaml: x-capstan-template\.title/],
    ['bad-var.yaml', good('X').replace('name: PORT', 'name: 1PORT'), /bad-var\.yaml: x-capstan-template\.variables\.0\.name/],
    ['unknown-key.yaml', good('X').replace('  categories', '  colour: red\n  categories'), /unknown-key\.yaml: .*colour/],
    [
      'twice.yaml',
      good('X').replace('services:', '    - name: PORT\n      label: Again\nservices:'),
      /twice\.yaml: variable PORT is declared twice/,
    ],
    [
      'bad-option.yaml',
      good('X').replace('default: "80"', 'default: "80"\n      options: [{ label: A, value: "81" }]'),
      /bad-option\.yaml: variable PORT: the default is not one of its options/,
    ],
  ])('throws naming the file for %s', (file, text, message) => {
    expect(() => parseBuiltinTemplate(file, text)).toThrow(message);
  });
});
