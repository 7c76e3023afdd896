// The limits a compose document must stay within, checked before it is
// turned into data: its size as its aliases would expand it (memoized per
// anchor, so a "billion laughs" document is measured, never expanded), its
// depth, and, on the raw text, flow brackets deep enough to exhaust the
// parser itself.
import { isAlias, isMap, isNode, isScalar, isSeq } from 'yaml';
import type { Node as YamlNode, Pair } from 'yaml';

/** Bounds on the document as its aliases expand it. */
export const MAX_EXPANDED_NODES = 1_000_000;
export const MAX_EXPANDED_BYTES = 16 * 1024 * 1024;
export const MAX_DEPTH = 200;
/** Past this the yaml parser itself can exhaust memory; checked on the raw text. */
export const MAX_TEXT_BYTES = 16 * 1024 * 1024;
const MAX_FLOW_NESTING = 1000;

export class Refusal extends Error {
  constructor(
    message: string,
    readonly node?: YamlNode,
  ) {
    super(message);
  }
}

/** Flow brackets nested deeper than the parser survives, counted on the text (quotes ignored: a rough upper bound). */
export function flowTooDeep(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) {
      if (++depth > MAX_FLOW_NESTING) return true;
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return false;
}

/**
 * Each alias's target, found in one pass in document order (the yaml
 * package's Alias.resolve searches the whole document on every call, which
 * is quadratic on files with hundreds of aliases).
 */
export function aliasTargets(root: unknown): Map<unknown, unknown> {
  const anchors = new Map<string, unknown>();
  const targets = new Map<unknown, unknown>();
  const walk = (node: unknown, depth: number): void => {
    if (depth > MAX_DEPTH * 4) return;
    if (isAlias(node)) {
      targets.set(node, anchors.get(node.source));
      return;
    }
    if (isNode(node) && node.anchor) anchors.set(node.anchor, node);
    if (isMap(node)) {
      for (const pair of node.items as Pair[]) {
        walk(pair.key, depth + 1);
        walk(pair.value, depth + 1);
      }
    } else if (isSeq(node)) for (const item of node.items) walk(item, depth + 1);
  };
  walk(root, 0);
  return targets;
}

interface Size {
  nodes: number;
  bytes: number;
  height: number;
}

/** Counts the document as it would expand, each alias target measured once. */
export function measure(deref: (node: unknown) => unknown, root: unknown): void {
  const memo = new Map<unknown, Size>();
  const busy = new Set<unknown>();
  const visit = (node: unknown, level: number): Size => {
    if (isAlias(node)) {
      const target = deref(node);
      if (busy.has(target)) throw new Refusal('an alias refers to the collection that contains it', node);
      return visit(target, level);
    }
    const known = memo.get(node);
    if (known) {
      if (level + known.height > MAX_DEPTH) throw new Refusal(`nested deeper than ${MAX_DEPTH} levels`, node as YamlNode);
      return known;
    }
    if (level > MAX_DEPTH) throw new Refusal(`nested deeper than ${MAX_DEPTH} levels`, node as YamlNode);
    const size: Size = { nodes: 1, bytes: 0, height: 0 };
    const add = (child: unknown) => {
      const s = visit(child, level + 1);
      size.nodes += s.nodes;
      size.bytes += s.bytes;
      size.height = Math.max(size.height, s.height + 1);
      if (size.nodes > MAX_EXPANDED_NODES || size.bytes > MAX_EXPANDED_BYTES) {
        throw new Refusal('the document expands through its aliases to more than the allowed size ("billion laughs")');
      }
    };
    busy.add(node);
    if (isMap(node)) {
      for (const pair of node.items) {
        add(pair.key);
        add(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) add(item);
    } else if (isScalar(node)) {
      size.bytes = typeof node.value === 'string' ? node.value.length : 8;
    }
    busy.delete(node);
    memo.set(node, size);
    return size;
  };
  visit(root, 0);
}

