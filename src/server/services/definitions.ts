import { Document, parseDocument, visit } from 'yaml';
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
  /** The engine asked for (a create's, or an update's, which must be the service's own); absent: `local` for a create. */
  engineId?: string | undefined;
}

const bad = (details: string) => new CapstanError('BAD_REQUEST', 'Invalid definition', { details });

/**
 * A request body to a submission: `{name, yaml, env?, files?}`, or the JSON
 * form `{name, services, ...}` of the contract, which is written as YAML here,
 * once; from then on it is a compose file like any other.
 */
export function submissionFromBody(body: Record<string, unknown>): Submission {
  // Everything but these is the compose document of the JSON form.
  const { name, yaml, env, files, id: _id, engine_id: engineId, ...document } = body;
  if (name !== undefined && typeof name !== 'string') throw bad('name: expected a string');
  if (engineId !== undefined && typeof engineId !== 'string') throw bad('engine_id: expected an engine id');
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
    text = composeYaml(document, { literal: false });
  }
  return { name, yaml: text, env, files: filesFromBody(files), ...(engineId !== undefined ? { engineId } : {}) };
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
 * A compose document (an object) as compose text. `literal`: its string values
 * are final, not to be interpolated (a definition from before project folders,
 * which was never interpolated; a project rebuilt from running containers), so
 * each `$` is written `$$` and interpolation gives it back unchanged. The JSON
 * body form is not literal: compose interpolates a JSON compose file as it
 * does a YAML one.
 */
export function composeYaml(document: Record<string, unknown>, { literal }: { literal: boolean }): string {
  const doc = new Document(declareNamedVolumes(document));
  visit(doc, {
    Scalar(key, node) {
      if (typeof node.value !== 'string') return;
      // Keys are never interpolated (an environment variable's name stays as written).
      const value = literal && key !== 'key' ? node.value.replaceAll('$', () => '$$') : node.value;
      node.value = value;
      if (RETYPED.test(value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  // lineWidth 0: never fold long values (a folded env value is hard to read and edit).
  return doc.toString({ lineWidth: 0 });
}

/**
 * Strings that a reader would take for something else when written plain: the
 * loader reads a plain scalar starting with a digit or sign as Go does
 * ("0b101" and "1_000" are numbers), and YAML 1.1 readers (older compose tooling)
 * read yes/no/on/off as booleans. Quoted, they stay the strings they are.
 */
const RETYPED = /^[-+0-9]|^(y|yes|n|no|on|off|true|false|null|~)$/i;

/**
 * The JSON form (and definitions from before project folders) let a service
 * name a volume without declaring it; compose wants it declared at the top
 * level. Declares each such volume, so those documents mean what they meant.
 */
function declareNamedVolumes(document: Record<string, unknown>): Record<string, unknown> {
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
