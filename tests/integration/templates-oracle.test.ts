// The built-in templates against a real compose implementation: Debian's
// docker-compose 1.29 reads each one (as compose.yaml, with the .env Capstan
// renders for it) and its `config` output must name the same services,
// images, published ports and environment as Capstan's model of the file.
// `config` only: the apps' images are not on the test engine, and nothing may pull them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import YAML from 'yaml';
import { dockerCompose } from '../helpers/compose-oracle.js';
import { loadBuiltinTemplates } from '../../src/server/services/template-builtin.js';
import { renderTemplateEnv } from '../../src/server/services/template-render.js';
import { loadCompose } from '../../src/shared/compose/index.js';
import type { ComposeProject } from '../../src/shared/compose/model.js';
import type { AppTemplate } from '../../src/shared/templates.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'capstan-templates-oracle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const templates = loadBuiltinTemplates();

interface View {
  image: string;
  ports: string[];
  environment: Record<string, string>;
}

/** What both sides must agree on, per service. */
function capstanView(project: ComposeProject): Record<string, View> {
  return Object.fromEntries(
    Object.entries(project.services).map(([name, s]) => [
      name,
      {
        image: s.image,
        ports: (s.ports ?? []).map((p) => `${p.host_ip ?? ''}:${p.published ?? ''}:${p.target}/${p.protocol}`).sort(),
        environment: Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v ?? ''])),
      },
    ]),
  );
}

type ConfigPort = { target: number; published?: number | string; protocol?: string; host_ip?: string };
type ConfigService = { image: string; ports?: ConfigPort[]; environment?: Record<string, unknown> };

// `config` writes a literal `$` as `$$`, so that its output can be read again.
const unescape = (v: unknown): string => String(v ?? '').replace(/\$\$/g, '$');

function composeView(configYaml: string): Record<string, View> {
  const doc = YAML.parse(configYaml) as { services: Record<string, ConfigService> };
  return Object.fromEntries(
    Object.entries(doc.services).map(([name, s]) => [
      name,
      {
        image: s.image,
        ports: (s.ports ?? []).map((p) => `${p.host_ip ?? ''}:${p.published ?? ''}:${p.target}/${p.protocol ?? 'tcp'}`).sort(),
        environment: Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, unescape(v)])),
      },
    ]),
  );
}

async function compare(t: AppTemplate, given: Record<string, string>, label: string): Promise<Record<string, View>> {
  const { env } = renderTemplateEnv(t.variables, given);
  const ours = loadCompose({ name: t.id, yaml: t.compose!, env });
  if (!ours.ok) throw new Error(`${t.id}: ${JSON.stringify(ours.issues)}`);
  expect(ours.warnings).toEqual([]);
  const dir = path.join(work, `${t.id}-${label}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'compose.yaml'), t.compose!);
  writeFileSync(path.join(dir, '.env'), env);
  const out = await dockerCompose({ project: t.id, dir, dockerHost: inject('testEnv').dockerHost }, ['config']);
  const theirs = composeView(out);
  const mine = capstanView(ours.project);
  expect(theirs).toEqual(mine);
  return mine;
}

describe('built-in templates, read by docker-compose 1.29', () => {
  it('the oracle is compose 1.29', async () => {
    expect(await dockerCompose({ project: 'x', dir: work, dockerHost: inject('testEnv').dockerHost }, ['version', '--short'])).toMatch(/^1\.29\./);
  });

  it.each(templates.map((t) => [t.id, t] as const))('%s: defaults and generated secrets', async (_id, t) => {
    const view = await compare(t, {}, 'defaults');
    const ports = Object.values(view).flatMap((s) => s.ports);
    expect(ports.length).toBeGreaterThan(0);
    // the defaults are what the file publishes
    for (const v of t.variables.filter((x) => x.name.endsWith('_PORT'))) {
      expect(ports.some((p) => p.startsWith(`:${v.default}:`)), v.name).toBe(true);
    }
  });

  // Values both dotenv parsers read alike, and host ports other than the defaults. Single-quoted: spaces, #,
  // $NAME, double quotes. Not a backslash or `${NAME}`: inside single quotes 1.29 (python-dotenv) turns `\\` into
  // `\` and expands `${NAME}`, where compose-go (and Capstan) keep the text as written. Not a single quote either:
  // it makes Capstan write "…" with `\$`, which 1.29 keeps as `\$`.
  it.each(templates.map((t) => [t.id, t] as const))('%s: chosen ports and secrets with spaces, # and $', async (_id, t) => {
    const given: Record<string, string> = {};
    t.variables.forEach((v, i) => {
      if (v.name.endsWith('_PORT')) given[v.name] = String(41000 + i);
      else if (v.secret) given[v.name] = `p@ss word #${i} $HOME "q"`;
    });
    const view = await compare(t, given, 'given');
    const envValues = Object.values(view).flatMap((s) => Object.values(s.environment));
    for (const [name, value] of Object.entries(given)) {
      if (name.endsWith('_PORT')) continue;
      expect(envValues.some((e) => e.includes(value)), name).toBe(true);
    }
  });
});
