// Text the engine and PostgreSQL refuse. PostgreSQL rejects a NUL in text
// (22P05) and a lone UTF-16 surrogate cannot be encoded as UTF-8 (22P02);
// Go (the engine) cuts strings at NUL in C calls and replaces bad UTF-8.
// Such text is refused at the edge (input) and replaced where it is only
// reported (error messages written by the job queue).

// Without the `u` flag the regex sees UTF-16 code units, which is what a lone surrogate is.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** Why `s` cannot be stored or sent as text, or undefined when it can. */
export function textProblem(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(s)) return 'must be valid Unicode (it contains a lone surrogate)';
  return undefined;
}

/** `s` as PostgreSQL accepts it in a text column: NUL and lone surrogates become U+FFFD. */
export function toPgText(s: string): string {
  return s.replaceAll('\u0000', '\ufffd').replace(LONE_SURROGATES, '\ufffd');
}

/**
 * The first key or string inside `value` (a parsed JSON or YAML document)
 * that `textProblem` refuses, with its path. Iterative: the document's
 * depth is bounded elsewhere, but a walk must not be what overflows.
 */
export function findBadText(value: unknown): { path: (string | number)[]; message: string } | undefined {
  // Each entry links to its parent: a path is built only for the one reported.
  interface At {
    v: unknown;
    key?: string | number;
    up?: At;
  }
  const pathOf = (at: At, last?: string): (string | number)[] => {
    const path: (string | number)[] = last === undefined ? [] : [last];
    for (let a: At | undefined = at; a?.key !== undefined; a = a.up) path.unshift(a.key);
    return path;
  };
  const stack: At[] = [{ v: value }];
  while (stack.length > 0) {
    const at = stack.pop()!;
    const v = at.v;
    if (typeof v === 'string') {
      const message = textProblem(v);
      if (message) return { path: pathOf(at), message };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], key: i, up: at });
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      for (const [key] of entries) {
        const problem = textProblem(key);
        if (problem) return { path: pathOf(at, key), message: `the key ${problem}` };
      }
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ v: entries[i]![1], key: entries[i]![0], up: at });
    }
  }
  return undefined;
}
