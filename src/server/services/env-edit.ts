import { isAlias, isMap, isScalar, isSeq, parseDocument, Scalar, YAMLMap, type Document, type Node } from 'yaml';
import type { ComposeProject } from '../../shared/compose/model.js';
import { CapstanError } from '../errors.js';

/**
 * PUT /env as an edit of the compose text rather than a rewrite: only the
 * variables whose value changes are touched, in the service's own
 * `environment:` (map or list form), so comments, order, anchors and the
 * `${VAR}` expressions of unchanged keys stay as the user wrote them.
 */

export interface EnvEdit {
  yaml: string;
  /** Service key → the keys that changed (the audit records these, never values). */
  changedKeys: Record<string, string[]>;
  /** Service key → the environment asked for. */
  wanted: Record<string, Record<string, string>>;
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

/**
 * The compose text with the environment of the named containers replaced by
 * `changes` (the other containers keep theirs). Throws a 400 for an unknown
 * container or a removal the service's own `environment:` cannot express.
 */
export function editEnvironment(yaml: string, project: ComposeProject, changes: Record<string, Record<string, string>>): EnvEdit {
  const doc = parseDocument(yaml, { prettyErrors: false });
  if (doc.errors.length) throw bad(`yaml: ${doc.errors[0]!.message}`, 'Invalid definition');
  const current = environmentOf(project);
  const changedKeys: Record<string, string[]> = {};
  const wanted: Record<string, Record<string, string>> = {};
  for (const [target, after] of Object.entries(changes)) {
    const key = serviceKeyOf(project, target);
    if (!key) throw bad(`environment.${target}: the service has no container "${target}"`, 'Unknown container');
    wanted[key] = after;
    const before = current[key] ?? {};
    const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]).sort();
    if (changed.length === 0) continue;
    editService(doc, key, after, changed);
    changedKeys[key] = changed;
  }
  if (Object.keys(changedKeys).length === 0) return { yaml, changedKeys, wanted };
  // Keep the file's own list indentation ("key:\n- item" or "key:\n  - item").
  const indentSeq = !/^( *)[^\s#][^\n]*:[ \t]*\n\1- /m.test(yaml);
  return { yaml: doc.toString({ lineWidth: 0, indentSeq }), changedKeys, wanted };
}
