// Pure helpers for the dashboard's compose and .env editors: where a warning
// points, and how a .env text looks with its values masked.

/**
 * The line a pipeline warning points at. Warnings are plain strings (compose
 * prints them that way); ours say "line N" when the place is known, and a
 * warning without one is listed but marks no line.
 */
export function warningLine(warning: string): number | undefined {
  const m = /\bline (\d+)\b/i.exec(warning);
  const n = m ? Number(m[1]) : NaN;
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The variable an "is not set" warning names (compose's wording: `The "TAG" variable is not set. ...`). */
export function warningVariable(warning: string): string | undefined {
  return /"([A-Za-z_][A-Za-z0-9_]*)" variable is not set/.exec(warning)?.[1];
}

/**
 * The lines of a compose text that use a variable: `$NAME` or `${NAME...}`,
 * not the `$$NAME` escape and not comment lines. For a warning that names a
 * variable but no line, since compose warns once per variable.
 */
export function variableLines(yaml: string, name: string): number[] {
  const use = new RegExp(`(^|[^$])(\\$\\$)*\\$(\\{${name}(?![A-Za-z0-9_])|${name}(?![A-Za-z0-9_]))`);
  const out: number[] = [];
  yaml.split('\n').forEach((line, i) => {
    if (!/^\s*#/.test(line) && use.test(line)) out.push(i + 1);
  });
  return out;
}

export interface MaskedLine {
  /** Shown as is: the key and "=", a comment, a blank line. */
  shown: string;
  /** Length of the value that follows, drawn as dots (the characters themselves never reach the page). */
  hidden: number;
}

const ASSIGNMENT = /^(\s*(?:export\s+)?[^\s=#][^=]*=)(.*)$/;

/** Where a quoted value that a line opens ends: -1 when it goes on to the next line. */
function quoteEnd(value: string, quote: string, from: number): number {
  for (let i = from; i < value.length; i++) {
    if (quote === '"' && value[i] === '\\') i++;
    else if (value[i] === quote) return i;
  }
  return -1;
}

/**
 * The .env text line by line, each value replaced by its length, so an
 * overlay can draw dots exactly where the characters are. A quoted value
 * that spans lines stays hidden up to its closing quote.
 */
export function maskEnvText(text: string): MaskedLine[] {
  const out: MaskedLine[] = [];
  let openQuote: string | undefined;
  for (const line of text.split('\n')) {
    if (openQuote) {
      out.push({ shown: '', hidden: line.length });
      if (quoteEnd(line, openQuote, 0) >= 0) openQuote = undefined;
      continue;
    }
    const m = ASSIGNMENT.exec(line);
    if (!m || /^\s*#/.test(line)) {
      out.push({ shown: line, hidden: 0 });
      continue;
    }
    const value = m[2]!;
    out.push({ shown: m[1]!, hidden: value.length });
    const first = value.trimStart()[0];
    if (first === '"' || first === "'") {
      const start = value.indexOf(first) + 1;
      if (quoteEnd(value, first, start) < 0) openQuote = first;
    }
  }
  return out;
}

/** The names a .env text sets, in order (the editor's summary while values are hidden). */
export function envKeys(text: string): string[] {
  return maskEnvText(text)
    .map((l) => (l.shown.endsWith('=') ? l.shown.replace(/^\s*(export\s+)?/, '').replace(/\s*=$/, '') : ''))
    .filter(Boolean);
}
