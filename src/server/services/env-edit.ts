import { isAlias, isMap, isScalar, isSeq, parseDocument, Scalar, YAMLMap, type Document, type Node } from 'yaml';
import { setDotenvValue } from '../../shared/compose/dotenv-edit.js';
import type { ComposeProject } from '../../shared/compose/model.js';
import { CapstanError } from '../errors.js';

/**
 * PUT /env as an edit of the compose text rather than a rewrite: only the
 * variables whose value changes are touched, in the service's own
 * `environment:` (map or list form), so comments, order, anchors and the
 * `${VAR}` expressions of unchanged keys stay as the user wrote them.
 * A changed key whose value in the file is only a reference to a `.env`
 * variable (`${DB_PASSWORD}`, `$DB_PASSWORD`, `${DB_PASSWORD:-x}`, or a bare
 * `KEY`) gets its new value in the `.env` instead: a secret stays out of
 * compose.yaml, and so out of every deployment's recorded compose text.
 */

export interface EnvEdit {
  yaml: string;
  /** Service key → the keys that changed (the audit records these, never values). */
  changedKeys: Record<string, string[]>;
  /** Service key → the environment asked for. */
  wanted: Record<string, Record<string, string>>;
  /** The new .env text, when variables were set there (else the .env stays as it is). */
  env?: string;
  /** The .env variables set, by name (never their values). */
  envVariables: string[];
}

export interface EnvEditOptions {
  /** The project's .env text now ('' when there is none). */
  env: string;
  /** Loads compose text and .env as the service's folder would; undefined when they do not load. */
  load: (yaml: string, env: string) => ComposeProject | undefined;
}

const bad = (details: string, message = 'Invalid environment') => new CapstanError('BAD_REQUEST', message, { details });

// YAML 1.1 readers (docker-compose 1.x among them) take these for booleans or null.
const YAML11_AMBIGUOUS = /^(y|yes|n|no|true|false|on|off|null|~)$/i;

/**
 * A literal value as a node: `$` is written `$$` so that interpolation gives
 * it back, and words a YAML 1.1 reader would not take for text are quoted.
 */
function literal(v: string): Scalar {
  const node = new Scalar(v.replace(/\$/g, '$$$$'));
  if (YAML11_AMBIGUOUS.test(v)) node.type = 'QUOTE_DOUBLE';
  return node;
}

/** The environment a container gets, as GET /env shows it: variables left unset are not listed. */
export function environmentOf(project: ComposeProject): Record<string, Record<string, string>> {
  return Object.fromEntries(
    Object.entries(project.services).map(([key, s]) => [
      key,
      Object.fromEntries(Object.entries(s.environment ?? {}).filter((e): e is [string, string] => e[1] !== null)),
    ]),
  );
}

/** The service key a PUT /env target names: the key itself, its container_name, or one of its replicas' names. */
export function serviceKeyOf(project: ComposeProject, target: string): string | undefined {
  if (project.services[target]) return target;
  for (const [key, s] of Object.entries(project.services)) {
    if (s.container_name === target) return key;
    if (new RegExp(`^${project.name}-${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+$`).test(target)) return key;
  }
  return undefined;
}

/** The node at `path`, made the document's own when it was an alias (editing it must not change the anchor's other users). */
function ownNode(doc: Document, path: string[]): Node | undefined {
  const node = doc.getIn(path, true) as Node | undefined;
  if (!isAlias(node)) return node;
  const copy = (node.resolve(doc) as Node | undefined)?.clone() as Node | undefined;
  if (copy) {
    delete (copy as { anchor?: string }).anchor;
    doc.setIn(path, copy);
  }
  return copy;
}

const keyOfItem = (item: unknown) => (isScalar(item) ? String(item.value).split('=')[0]! : undefined);

function editService(doc: Document, key: string, after: Record<string, string>, changed: string[]): void {
  const service = ownNode(doc, ['services', key]);
  if (!isMap(service)) throw bad(`services.${key}: not a map in the compose file`);
  let env = ownNode(doc, ['services', key, 'environment']);
  if (env === undefined || env === null) {
    // A merged-in (`<<:`) environment is replaced whole by a local one: then write every variable.
    const merged = service.items.some((p) => isScalar(p.key) && p.key.value === '<<');
    const keys = merged ? Object.keys(after) : changed.filter((k) => after[k] !== undefined);
    const removedElsewhere = changed.filter((k) => after[k] === undefined && !merged);
    if (removedElsewhere.length) throw notLocal(key, removedElsewhere);
    const map = new YAMLMap();
    for (const k of keys) map.set(k, literal(after[k]!));
    service.set('environment', map);
    return;
  }
  if (isMap(env)) {
    for (const k of changed) {
      const pair = env.items.find((p) => isScalar(p.key) && String(p.key.value) === k);
      if (after[k] === undefined) {
        if (!pair) throw notLocal(key, [k]);
        env.items.splice(env.items.indexOf(pair), 1);
      } else if (pair) {
        pair.value = literal(after[k]!);
      } else {
        env.set(k, literal(after[k]!));
      }
    }
    return;
  }
  if (isSeq(env)) {
    for (const k of changed) {
      const index = env.items.findIndex((item) => keyOfItem(item) === k);
      if (after[k] === undefined) {
        if (index < 0) throw notLocal(key, [k]);
        env.items.splice(index, 1);
      } else if (index >= 0 && isScalar(env.items[index])) {
        (env.items[index] as Scalar).value = `${k}=${literal(after[k]!).value}`;
      } else {
        env.add(new Scalar(`${k}=${literal(after[k]!).value}`));
      }
    }
    return;
  }
  throw bad(`services.${key}.environment: neither a map nor a list in the compose file`);
}

const notLocal = (key: string, keys: string[]) =>
  bad(
    `services.${key}.environment: ${keys.join(', ')} ${keys.length > 1 ? 'come' : 'comes'} from env_file, extends or a merged anchor; remove ${keys.length > 1 ? 'them' : 'it'} there`,
    'Cannot remove the variable here',
  );

const NAME = '[_A-Za-z][_A-Za-z0-9]*';
// A value that is the variable and nothing else; `-`/`?` forms give the variable whenever it is set.
const REFERENCE = new RegExp(`^(?:\\$(${NAME})|\\$\\{(${NAME})(?:(:?)[-?][^$}]*)?\\})$`);

/**
 * The .env variable whose value `KEY` of a service's own `environment:`
 * takes, when that value is exactly a reference to it (or `KEY` has no value:
 * then the variable of that name). `value` is what is to be set: `${X:-d}`
 * gives the default, not the variable, when X is empty.
 */
function referenceOf(doc: Document, key: string, k: string, value: string): string | undefined {
  let env = doc.getIn(['services', key, 'environment'], true) as Node | undefined | null;
  if (isAlias(env)) env = env.resolve(doc) as Node | undefined;
  let raw: unknown;
  if (isMap(env)) {
    const pair = env.items.find((p) => isScalar(p.key) && String(p.key.value) === k);
    if (!pair) return undefined;
    raw = isScalar(pair.value) ? pair.value.value : pair.value;
    if (raw === null || raw === undefined || raw === '') return k;
  } else if (isSeq(env)) {
    const item = env.items.find((i) => keyOfItem(i) === k);
    if (!isScalar(item)) return undefined;
    const text = String(item.value);
    if (!text.includes('=')) return k;
    raw = text.slice(text.indexOf('=') + 1);
  } else {
    return undefined;
  }
  if (typeof raw !== 'string') return undefined;
  const m = REFERENCE.exec(raw);
  if (!m) return undefined;
  if (m[3] === ':' && value === '') return undefined;
  return m[1] ?? m[2];
}

/** The project without its environments, to see that a .env edit changed nothing else (an image tag, a label). */
const withoutEnvironment = (p: ComposeProject) =>
  JSON.stringify({ ...p, services: Object.fromEntries(Object.entries(p.services).map(([k, s]) => [k, { ...s, environment: undefined }])) });

const sameEnvironments = (a: Record<string, Record<string, string>>, b: Record<string, Record<string, string>>) => {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => {
    const x = a[k] ?? {};
    const y = b[k] ?? {};
    return Object.keys(x).length === Object.keys(y).length && Object.entries(x).every(([n, v]) => y[n] === v);
  });
};

/**
 * The compose text with the environment of the named containers replaced by
 * `changes` (the other containers keep theirs). Throws a 400 for an unknown
 * container or a removal the service's own `environment:` cannot express.
 * With `options`, changed keys that only reference a .env variable are set in
 * the .env instead, when loading the result shows that this changes nothing
 * but what was asked (the variable may also feed another container, an image
 * tag or a secret: then the value goes into compose.yaml, as for other keys).
 */
export function editEnvironment(
  yaml: string,
  project: ComposeProject,
  changes: Record<string, Record<string, string>>,
  options?: EnvEditOptions,
): EnvEdit {
  const current = environmentOf(project);
  const changedKeys: Record<string, string[]> = {};
  const wanted: Record<string, Record<string, string>> = {};
  for (const [target, after] of Object.entries(changes)) {
    const key = serviceKeyOf(project, target);
    if (!key) throw bad(`environment.${target}: the service has no container "${target}"`, 'Unknown container');
    wanted[key] = after;
    const before = current[key] ?? {};
    const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]).sort();
    if (changed.length) changedKeys[key] = changed;
  }
  if (options) {
    const viaEnv = editBoth(yaml, project, changedKeys, wanted, options);
    if (viaEnv) return viaEnv;
  }
  return { ...editText(yaml, changedKeys, wanted, new Set()), changedKeys, wanted, envVariables: [] };
}

function parse(yaml: string): Document {
  const doc = parseDocument(yaml, { prettyErrors: false });
  if (doc.errors.length) throw bad(`yaml: ${doc.errors[0]!.message}`, 'Invalid definition');
  return doc;
}

/** Edits compose.yaml for the changed keys, except those in `skip` ("service\0KEY"); the text itself when nothing is edited. */
function editText(yaml: string, changedKeys: Record<string, string[]>, wanted: Record<string, Record<string, string>>, skip: Set<string>): { yaml: string } {
  const doc = parse(yaml);
  let edited = false;
  for (const [key, changed] of Object.entries(changedKeys)) {
    const own = changed.filter((k) => !skip.has(`${key}\0${k}`));
    if (own.length === 0) continue;
    editService(doc, key, wanted[key]!, own);
    edited = true;
  }
  if (!edited) return { yaml };
  // Keep the file's own list indentation ("key:\n- item" or "key:\n  - item").
  const indentSeq = !/^( *)[^\s#][^\n]*:[ \t]*\n\1- /m.test(yaml);
  return { yaml: doc.toString({ lineWidth: 0, indentSeq }) };
}

/** The edit with references set in the .env; undefined when there is none to set or the result would not be what was asked. */
function editBoth(
  yaml: string,
  project: ComposeProject,
  changedKeys: Record<string, string[]>,
  wanted: Record<string, Record<string, string>>,
  options: EnvEditOptions,
): EnvEdit | undefined {
  const doc = parse(yaml);
  const values = new Map<string, string>();
  const skip = new Set<string>();
  for (const [key, changed] of Object.entries(changedKeys)) {
    for (const k of changed) {
      const value = wanted[key]![k];
      if (value === undefined) continue; // a removal is an edit of the file
      const name = referenceOf(doc, key, k, value);
      if (!name) continue;
      if (values.has(name) && values.get(name) !== value) return undefined; // two keys of one variable, two values
      values.set(name, value);
      skip.add(`${key}\0${k}`);
    }
  }
  if (values.size === 0) return undefined;
  // A secret or config read from the variable would change with it.
  const fileObjects = [...Object.values(project.secrets), ...Object.values(project.configs)];
  if (fileObjects.some((o) => o.environment !== undefined && values.has(o.environment))) return undefined;
  let env: string | undefined = options.env;
  for (const [name, value] of [...values].sort(([a], [b]) => a.localeCompare(b))) {
    env = setDotenvValue(env, name, value);
    if (env === undefined) return undefined;
  }
  const edited = editText(yaml, changedKeys, wanted, skip);
  const loaded = options.load(edited.yaml, env);
  if (!loaded) return undefined;
  const expected = { ...environmentOf(project), ...wanted };
  if (!sameEnvironments(environmentOf(loaded), expected) || withoutEnvironment(loaded) !== withoutEnvironment(project)) return undefined;
  return { yaml: edited.yaml, env, changedKeys, wanted, envVariables: [...values.keys()].sort() };
}
