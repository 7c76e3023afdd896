// The templates Capstan ships: one compose file per app in templates/builtin/,
// its catalogue entry in a top-level `x-capstan-template` block. Compose
// ignores x- blocks, so each file is deployed verbatim, metadata included.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { z } from 'zod';
import { TEMPLATE_ID, type AppTemplate, type TemplateVariable } from '../../shared/templates.js';
import { VARIABLE_NAME } from './template-render.js';

// src/server/services/ and dist/server/services/ are both three levels below the repo root.
const DEFAULT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../templates/builtin');

const zVariable = z
  .object({
    name: z.string().regex(VARIABLE_NAME),
    label: z.string().min(1),
    default: z.string().default(''),
    description: z.string().min(1).optional(),
    secret: z.boolean().default(false),
    options: z
      .array(z.object({ label: z.string().min(1), value: z.string() }).strict())
      .min(1)
      .optional(),
  })
  .strict();

const zMetadata = z
  .object({
    title: z.string().min(1),
    description: z.string().min(1),
    categories: z.array(z.string().regex(/^[a-z0-9-]+$/)).min(1),
    logo: z.url({ protocol: /^https$/ }).nullable().default(null),
    note: z.string().min(1).nullable().default(null),
    variables: z.array(zVariable),
  })
  .strict();

/** Reads one built-in file; throws (naming it) when it is not a well-formed template: a bug in Capstan, not user input. */
export function parseBuiltinTemplate(file: string, text: string): AppTemplate {
  const fail = (what: string): never => {
    throw new Error(`built-in template ${file}: ${what}`);
  };
  const id = path.basename(file).replace(/\.yaml$/, '');
  if (!TEMPLATE_ID.test(id)) fail('the file name is not a slug (lowercase letters, digits, dashes)');
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    fail(`not YAML: ${(e as Error).message}`);
  }
  const block = (doc as Record<string, unknown> | null)?.['x-capstan-template'];
  if (block === undefined) fail('no x-capstan-template block');
  const parsed = zMetadata.safeParse(block);
  if (!parsed.success) {
    fail(parsed.error.issues.map((i) => `${['x-capstan-template', ...i.path].join('.')}: ${i.message}`).join('; '));
  }
  const meta = parsed.data!;
  const names = new Set<string>();
  for (const v of meta.variables) {
    if (names.has(v.name)) fail(`variable ${v.name} is declared twice`);
    names.add(v.name);
    if (v.options && v.default !== '' && !v.options.some((o) => o.value === v.default)) {
      fail(`variable ${v.name}: the default is not one of its options`);
    }
  }
  const variables: TemplateVariable[] = meta.variables.map((v) => ({
    name: v.name,
    label: v.label,
    default: v.default,
    secret: v.secret,
    ...(v.description !== undefined ? { description: v.description } : {}),
    ...(v.options !== undefined ? { options: v.options } : {}),
  }));
  return {
    id,
    title: meta.title,
    description: meta.description,
    categories: meta.categories,
    logo: meta.logo,
    note: meta.note,
    source: 'builtin',
    variables,
    compose: text,
    repository: null,
  };
}

const cache = new Map<string, AppTemplate[]>();

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  for (const v of Object.values(value)) deepFreeze(v);
  Object.freeze(value);
}

/** Every `*.yaml` of the directory (the shipped templates by default), sorted by title; read once per directory. */
export function loadBuiltinTemplates(dir: string = DEFAULT_DIR): AppTemplate[] {
  const key = path.resolve(dir);
  const hit = cache.get(key);
  if (hit) return hit;
  const templates = readdirSync(key)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parseBuiltinTemplate(f, readFileSync(path.join(key, f), 'utf8')))
    .sort((a, b) => a.title.localeCompare(b.title, 'en') || a.id.localeCompare(b.id));
  // One copy serves every caller: frozen, so that no caller can change the catalogue for the others.
  deepFreeze(templates);
  cache.set(key, templates);
  return templates;
}
