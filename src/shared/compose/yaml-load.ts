// The first step of the compose pipeline: YAML text to plain data, as
// compose-go reads it (anchors, aliases, `<<` merge keys, unique keys, the
// `!reset` / `!override` tags), with the line of every path kept for issues.
// A document is refused by the size it EXPANDS to through its aliases (the
// "billion laughs" defence), not by how many aliases it uses: real files
// (sentry self-hosted) use hundreds of merges.
import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Pair, YAMLMap } from 'yaml';
import type { ComposeIssue } from './model.js';
import { MAX_DEPTH, MAX_TEXT_BYTES, Refusal, aliasTargets, flowTooDeep, measure } from './yaml-bounds.js';

export { MAX_DEPTH, MAX_EXPANDED_BYTES, MAX_EXPANDED_NODES } from './yaml-bounds.js';

export type DocPath = (string | number)[];

export interface YamlLoadResult {
  /** The document as plain data; absent when there are issues. */
  value?: Record<string, unknown>;
  issues: ComposeIssue[];
  warnings: string[];
  /** Paths carrying `!reset` (dropped from `value`) and `!override` (kept): extends uses them. */
  resets: DocPath[];
  overrides: DocPath[];
  /** The 1-based line of the key (or list item) at `path`, else of its nearest existing parent. */
  locate(path: DocPath): number | undefined;
}

/** Sets an own property, even "__proto__" (plain assignment would change the prototype). */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

const isMergeKey = (key: unknown): boolean =>
  isScalar(key) && typeof key.value === 'symbol' && key.value.description === '<<';

// Go's yaml (compose-go's reader) takes plain integers as strconv.ParseInt(s, 0) does after dropping "_":
// 0755 is octal (YAML 1.1 style), 0b101 binary, 1_000 a thousand; YAML 1.2 core says decimal / string.
const GO_INT = /^([-+]?)(?:0x([0-9a-f]+)|0o([0-7]+)|0b([01]+)|0([0-7]+)|([1-9][0-9]*|0))$/i;
function goInt(source: string): number | undefined {
  const m = GO_INT.exec(source.replace(/_/g, ''));
  if (!m) return undefined;
  const [, sign, hex, oct, bin, oldOct, dec] = m;
  const n = hex ? parseInt(hex, 16) : oct ? parseInt(oct, 8) : bin ? parseInt(bin, 2) : oldOct ? parseInt(oldOct, 8) : Number(dec);
  return sign === '-' ? -n : n;
}

interface Converter {
  deref: (node: unknown) => unknown;
  issues: ComposeIssue[];
  resets: DocPath[];
  overrides: DocPath[];
  lineOf(node: unknown): number | undefined;
}

const RESET = Symbol('reset');

function convert(c: Converter, node: unknown, path: DocPath): unknown {
  node = c.deref(node);
  if (isNode(node) && node.tag === '!reset') {
    c.resets.push(path);
    return RESET;
  }
  if (isNode(node) && node.tag === '!override') c.overrides.push(path);
  if (isScalar(node)) {
    if (node.type === 'PLAIN' && !node.tag && typeof node.source === 'string' && /^[-+0-9]/.test(node.source)) {
      const n = goInt(node.source);
      if (n !== undefined) return n;
    }
    const v = node.value;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    // !!binary: Go's yaml hands compose the decoded bytes as a string
    if (v instanceof Uint8Array) return new TextDecoder().decode(v);
    return typeof v === 'symbol' ? '<<' : String(v);
  }
  if (isSeq(node)) {
    const out: unknown[] = [];
    node.items.forEach((item, i) => {
      const v = convert(c, item, [...path, i]);
      if (v !== RESET) out.push(v);
    });
    return out;
  }
  if (isMap(node)) return convertMap(c, node, path);
  return null;
}

function convertMap(c: Converter, node: YAMLMap, path: DocPath): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const merged: Record<string, unknown> = {};
  for (const pair of node.items as Pair[]) {
    if (isMergeKey(pair.key)) {
      const value = c.deref(pair.value);
      const sources = isSeq(value) ? value.items : [value];
      for (const source of sources) {
        const map = c.deref(source);
        if (!isMap(map)) {
          c.issues.push({ path, line: c.lineOf(pair.key), message: 'a merge key `<<` takes a map or a list of maps' });
          continue;
        }
        // Earlier sources win over later ones; keys written in the map win over all of them.
        for (const [k, v] of Object.entries(convertMap(c, map, path))) if (!Object.hasOwn(merged, k)) setKey(merged, k, v);
      }
      continue;
    }
    const keyNode = c.deref(pair.key);
    if (!isScalar(keyNode)) {
      c.issues.push({ path, line: c.lineOf(pair.key) ?? c.lineOf(pair.value), message: 'a mapping key must be a plain value' });
      continue;
    }
    const key = String(keyNode.value);
    const v = convert(c, pair.value, [...path, key]);
    if (v !== RESET) setKey(out, key, v);
  }
  for (const [k, v] of Object.entries(merged)) if (!Object.hasOwn(out, k)) setKey(out, k, v);
  return out;
}

/** Finds the pair for `key` in a map, looking through its `<<` sources when it is not written there. */
function findPair(deref: (n: unknown) => unknown, map: YAMLMap, key: string, seen = new Set<unknown>()): Pair | undefined {
  if (seen.has(map)) return undefined;
  seen.add(map);
  const own = (map.items as Pair[]).find((p) => isScalar(p.key) && !isMergeKey(p.key) && String(p.key.value) === key);
  if (own) return own;
  for (const pair of map.items as Pair[]) {
    if (!isMergeKey(pair.key)) continue;
    const value = deref(pair.value);
    for (const source of isSeq(value) ? value.items : [value]) {
      const m = deref(source);
      const found = isMap(m) ? findPair(deref, m, key, seen) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

function duplicateKeyMessage(doc: Document, lines: LineCounter, at: number, text: string): string | undefined {
  let message: string | undefined;
  const walk = (node: unknown, depth: number): void => {
    if (message !== undefined || depth > MAX_DEPTH) return;
    if (isMap(node)) {
      const pairs = node.items as Pair[];
      const dup = pairs.find((p) => isNode(p.key) && p.key.range?.[0] === at);
      if (dup && isScalar(dup.key)) {
        const first = pairs.find((p) => isScalar(p.key) && p.key.value === (dup.key as { value: unknown }).value);
        const firstLine = first && isNode(first.key) && first.key.range ? lines.linePos(first.key.range[0]).line : undefined;
        message = `mapping key "${String(dup.key.value)}" already defined${firstLine ? ` at line ${firstLine}` : ''}`;
        return;
      }
      for (const p of pairs) walk(p.value, depth + 1);
    } else if (isSeq(node)) for (const item of node.items) walk(item, depth + 1);
  };
  walk(doc.contents, 0);
  return message ?? (text ? `mapping key ${text} already defined` : undefined);
}

/** Parses compose YAML text into plain data (see YamlLoadResult). */
export function loadYaml(text: string): YamlLoadResult {
  const lines = new LineCounter();
  const empty = { resets: [], overrides: [], warnings: [] as string[] };
  if (text.length > MAX_TEXT_BYTES || flowTooDeep(text)) {
    const message = text.length > MAX_TEXT_BYTES ? 'the file is too large' : `nested deeper than ${MAX_DEPTH} levels`;
    return { ...empty, issues: [{ path: [], line: 1, message }], locate: () => 1 };
  }
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, merge: true, prettyErrors: false });
  let targets: Map<unknown, unknown> | undefined;
  // Alias → anchored node (built on first use: locate may run on a document with errors).
  const deref = (node: unknown): unknown => {
    if (!isAlias(node)) return node;
    targets ??= aliasTargets(doc.contents);
    return targets.get(node);
  };
  const lineOf = (node: unknown): number | undefined =>
    isNode(node) && node.range ? lines.linePos(node.range[0]).line : undefined;

  const locate = (path: DocPath): number | undefined => {
    let node: unknown = doc.contents;
    let line = lineOf(node);
    for (const segment of path) {
      node = deref(node);
      if (isMap(node)) {
        const pair = findPair(deref, node, String(segment));
        if (!pair) break;
        line = lineOf(pair.key) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
        node = node.items[segment];
        line = lineOf(node) ?? line;
      } else break;
    }
    return line;
  };

  const warnings = doc.warnings
    .filter((w) => !(w.code === 'TAG_RESOLVE_FAILED' && /!(reset|override)\b/.test(w.message)))
    .map((w) => `line ${lines.linePos(w.pos[0]).line}: ${w.message}`);
  if (doc.errors.length > 0) {
    // Errors at the end of input (an unclosed quote or bracket) belong to the last line with text.
    const lastText = Math.max(0, text.trimEnd().length - 1);
    const issues = doc.errors.map((e) => {
      let message = e.message;
      if (e.code === 'DUPLICATE_KEY') message = duplicateKeyMessage(doc, lines, e.pos[0], text.slice(e.pos[0], e.pos[1])) ?? message;
      if (e.code === 'MULTIPLE_DOCS') message = 'a compose file is one YAML document: remove the "---" separator';
      return { path: [], line: lines.linePos(Math.min(e.pos[0], lastText)).line, message };
    });
    return { ...empty, warnings, issues, locate };
  }

  const root = doc.contents;
  if (!isMap(root)) {
    const message = 'expected a compose file: a map with services:';
    return { ...empty, warnings, issues: [{ path: [], line: lineOf(root) ?? 1, message }], locate };
  }
  try {
    measure(deref, root);
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    return { ...empty, warnings, issues: [{ path: [], line: lineOf(e.node) ?? 1, message: e.message }], locate };
  }
  const c: Converter = { deref, issues: [], resets: [], overrides: [], lineOf };
  const value = convertMap(c, root, []);
  if (c.issues.length > 0) return { ...empty, warnings, issues: c.issues, locate };
  return { value, issues: [], warnings, resets: c.resets, overrides: c.overrides, locate };
}
