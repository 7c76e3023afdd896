// Compose YAML in and out. Every issue carries the 1-based line it belongs to,
// because the dashboard marks errors in its editor by line.
import { Document, LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { ContainerDefinition, ServiceDefinition } from './definition-schema.js';
import { zServiceDefinition } from './definition-schema.js';

export interface DefinitionIssue {
  path: (string | number)[];
  line?: number;
  message: string;
}

export type ParseComposeResult = { ok: true; value: ServiceDefinition } | { ok: false; issues: DefinitionIssue[] };

function isPlainMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The line of the node at `path`: for a map entry the line of its key, for a
 * list item the item's own line. A path that does not exist (a missing
 * required key, say) gets the line of its nearest existing parent.
 */
function lineOf(doc: Document, lines: LineCounter, path: (string | number)[]): number | undefined {
  const lineAt = (node: unknown): number | undefined =>
    isNode(node) && node.range ? lines.linePos(node.range[0]).line : undefined;
  let node: unknown = doc.contents;
  let line = lineAt(node);
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      line = lineAt(pair.key) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      line = lineAt(item) ?? line;
      node = item;
    } else {
      break;
    }
  }
  return line;
}

function byLine(a: DefinitionIssue, b: DefinitionIssue): number {
  return (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER);
}

/**
 * Parses and validates a compose YAML file as the definition called `name`.
 * A `name:` in the file is optional but, if present, must equal `name`.
 * Issues are sorted by line.
 */
export function parseComposeYaml(name: string, text: string): ParseComposeResult {
  const lines = new LineCounter();
  // merge: compose files use `<<: *anchor`; uniqueKeys: a repeated key would otherwise silently win.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, merge: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    // Errors found at end of input (an unclosed quote or bracket) belong to the
    // last line with text, not to the empty line after the final newline.
    const lastText = Math.max(0, text.trimEnd().length - 1);
    return {
      ok: false,
      issues: doc.errors.map((e) => ({
        path: [],
        line: lines.linePos(Math.min(e.pos[0], lastText)).line,
        message: e.message,
      })),
    };
  }

  let raw: unknown;
  try {
    raw = doc.toJS() ?? {};
  } catch (e) {
    // e.g. too many aliases (a "billion laughs" document)
    return { ok: false, issues: [{ path: [], line: 1, message: e instanceof Error ? e.message : String(e) }] };
  }
  if (!isPlainMap(raw)) {
    const message = 'expected a compose file: a map with "services:"';
    return { ok: false, issues: [{ path: [], line: lineOf(doc, lines, []) ?? 1, message }] };
  }

  const issues: DefinitionIssue[] = [];
  if ('name' in raw && raw.name !== name) {
    issues.push({ path: ['name'], line: lineOf(doc, lines, ['name']), message: `must be "${name}" or left out` });
  }
  const result = zServiceDefinition.safeParse({ ...raw, name });
  if (result.success && issues.length === 0) return { ok: true, value: result.data };

  for (const zi of result.error?.issues ?? []) {
    const path = zi.path.map((p) => (typeof p === 'number' ? p : String(p)));
    if (zi.code === 'unrecognized_keys') {
      // One issue per key, so each is marked on its own line.
      for (const key of zi.keys) {
        const keyPath = [...path, key];
        issues.push({ path: keyPath, line: lineOf(doc, lines, keyPath), message: `unknown key "${key}"` });
      }
    } else {
      issues.push({ path, line: lineOf(doc, lines, path), message: zi.message });
    }
  }
  return { ok: false, issues: issues.sort(byLine) };
}

const CONTAINER_KEY_ORDER: (keyof ContainerDefinition)[] = [
  'image',
  'container_name',
  'command',
  'entrypoint',
  'environment',
  'ports',
  'volumes',
  'depends_on',
  'restart',
  'labels',
  'healthcheck',
];

// YAML 1.1 readers (older compose tooling among them) take these for booleans/null.
const YAML11_AMBIGUOUS = /^(y|yes|n|no|true|false|on|off|null|~)$/i;

/** Writes a definition as a compose file that parseComposeYaml reads back unchanged. */
export function definitionToYaml(def: ServiceDefinition): string {
  const services: Record<string, Record<string, unknown>> = {};
  for (const [key, container] of Object.entries(def.services)) {
    const ordered: Record<string, unknown> = {};
    const keys = [...CONTAINER_KEY_ORDER, ...Object.keys(container)] as (keyof ContainerDefinition)[];
    for (const k of keys) {
      if (container[k] !== undefined && !(k in ordered)) ordered[k] = container[k];
    }
    services[key] = ordered;
  }
  const doc = new Document({ name: def.name, services });

  visit(doc, {
    Seq(_, node, path) {
      const parent = path[path.length - 1];
      const key = parent && 'key' in parent && isScalar(parent.key) ? parent.key.value : undefined;
      // Argument lists read best on one line, like compose's own examples.
      if (key === 'command' || key === 'entrypoint' || key === 'test') node.flow = true;
      // "22:22" is a base-60 number to YAML 1.1 readers; quoted ports are what compose's docs recommend.
      if (key === 'ports') {
        for (const item of node.items) if (isScalar(item)) item.type = 'QUOTE_DOUBLE';
      }
    },
    Scalar(_, node) {
      if (typeof node.value === 'string' && YAML11_AMBIGUOUS.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  // lineWidth 0: never fold long values (a folded env value is hard to read and edit).
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
