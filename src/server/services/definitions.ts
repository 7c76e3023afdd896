import { Document, parseDocument } from 'yaml';
import { definitionToYaml, type ServiceDefinition } from '../../shared/definition.js';
import { CapstanError } from '../errors.js';
import { cleanRelativePath, COMPOSE_FILE, ENV_FILE } from './project-files.js';
import type { Overlay } from './project-loader.js';

/**
 * What a create, update or validate body asks for: the compose text (given,
 * or made once from the JSON form), the .env text when given, and other
 * project files when given.
 */
export interface Submission {
  name: string | undefined;
  yaml: string;
  /** Absent: keep the folder's .env (an update) or start with an empty one (a create). */
  env: string | undefined;
  files: Record<string, string> | undefined;
}

const bad = (details: string) => new CapstanError('BAD_REQUEST', 'Invalid definition', { details });

/**
 * A request body to a submission: `{name, yaml, env?, files?}`, or the JSON
 * form `{name, services, ...}` of the contract, which is written as YAML here,
 * once; from then on it is a compose file like any other.
 */
export function submissionFromBody(body: Record<string, unknown>): Submission {
  // Everything but these is the compose document of the JSON form.
  const { name, yaml, env, files, id: _id, ...document } = body;
  if (name !== undefined && typeof name !== 'string') throw bad('name: expected a string');
  if (env !== undefined && typeof env !== 'string') throw bad('env: expected the text of a .env file');
  let text: string;
  if (yaml !== undefined) {
    if (typeof yaml !== 'string') throw bad('yaml: expected the text of a compose file');
    const extra = Object.keys(document);
    if (extra.length) throw bad(`body: give either yaml or the compose document (${extra.join(', ')}), not both`);
    text = yaml;
  } else {
    if (!('services' in document)) throw bad('services: required (or give the compose text as yaml)');
    // `name` stays out of the file: the folder's name is the project name, for Capstan and for `docker compose` run there.
    text = new Document(declareNamedVolumes(document)).toString({ lineWidth: 0 });
  }
  return { name, yaml: text, env, files: filesFromBody(files) };
}

function filesFromBody(files: unknown): Record<string, string> | undefined {
  if (files === undefined) return undefined;
  if (!files || typeof files !== 'object' || Array.isArray(files)) throw bad('files: expected an object of relative path → text');
  const out: Record<string, string> = {};
  for (const [rel, content] of Object.entries(files)) {
    const clean = cleanRelativePath(rel, `files.${rel}`);
    if (clean === COMPOSE_FILE || clean === ENV_FILE) throw bad(`files.${rel}: give it as ${clean === ENV_FILE ? 'env' : 'yaml'}`);
    if (typeof content !== 'string') throw bad(`files.${rel}: expected text`);
    out[clean] = content;
  }
  return out;
}

/** The files a submission writes, as an overlay over the folder. */
export function overlayOf(s: Submission): Overlay {
  return { yaml: s.yaml, ...(s.env !== undefined ? { env: s.env } : {}), ...(s.files ? { files: s.files } : {}) };
}

/**
 * The JSON form (and definitions from before project folders) let a service
 * name a volume without declaring it; compose wants it declared at the top
 * level. Declares each such volume, so those documents mean what they meant.
 */
export function declareNamedVolumes<T extends Record<string, unknown>>(document: T): T {
  const services = document.services;
  if (!services || typeof services !== 'object') return document;
  const declared = (document.volumes && typeof document.volumes === 'object' ? document.volumes : {}) as Record<string, unknown>;
  const missing: string[] = [];
  for (const svc of Object.values(services as Record<string, { volumes?: unknown }>)) {
    for (const v of Array.isArray(svc?.volumes) ? (svc.volumes as unknown[]) : []) {
      const source = namedSource(v);
      if (source && !(source in declared) && !missing.includes(source)) missing.push(source);
    }
  }
  if (missing.length === 0) return document;
  return { ...document, volumes: { ...declared, ...Object.fromEntries(missing.map((m) => [m, {}])) } };
}

/** The volume a service's mount names ("data:/srv" or {type: volume, source: data}); undefined for binds and anonymous ones. */
function namedSource(v: unknown): string | undefined {
  const source =
    typeof v === 'string'
      ? v.includes(':') ? v.split(':')[0] : undefined
      : (v as { type?: unknown })?.type === 'volume' ? (v as { source?: unknown }).source : undefined;
  return typeof source === 'string' && /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(source) ? source : undefined;
}

/** The top-level `name:` of a compose text, when it has a plain one (validate without a name uses it). */
export function topLevelName(yaml: string): string | undefined {
  try {
    const value = parseDocument(yaml, { prettyErrors: false }).get('name');
    return typeof value === 'string' && value ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A definition of the old JSON shape (a service from before project folders,
 * an adopted project) as compose text, with the top-level volumes it used
 * without declaring.
 */
export function legacyDefinitionYaml(definition: ServiceDefinition): string {
  const yaml = definitionToYaml(definition);
  const declared: Record<string, unknown> = declareNamedVolumes({ services: definition.services } as Record<string, unknown>);
  if (!declared.volumes) return yaml;
  const names = Object.keys(declared.volumes as Record<string, unknown>);
  return `${yaml.trimEnd()}\nvolumes:\n${names.map((n) => `  ${n}: {}`).join('\n')}\n`;
}
