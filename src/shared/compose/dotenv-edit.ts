// Setting one variable in a project's `.env` text without rewriting the rest:
// the last assignment of the name (the one compose uses) has its value
// replaced, keeping its `export`, its separator and a trailing comment; a
// name not there yet is appended. Values are written so that compose's
// dotenv parser (dotenv.ts) reads back exactly the string given.
import { parseDotenv } from './dotenv.js';

// Read back as written when unquoted: no `$` (expansion), `#` (comment), quotes, `\` or spaces.
const PLAIN = /^[\w.,/:@%+=^-]*$/u;

/** The value as .env text: bare when that is unambiguous (and not empty), else double-quoted with `\ " $` and line breaks escaped. */
export function dotenvValue(value: string): string {
  // An empty bare value would read a following ` # comment` as the value.
  if (value !== '' && PLAIN.test(value)) return value;
  const escaped = value.replace(/[\\"$]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');
  return `"${escaped}"`;
}

interface Span {
  key: string;
  /** Where the value starts and ends (a bare `KEY` line: both at the end of the name). */
  start: number;
  end: number;
  /** A bare `KEY` with no `=`: the separator must be written too. */
  bare: boolean;
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\v' || c === '\f' || c === '\r';

/** The statements of a .env text with where their values sit, read as parseDotenv reads them. */
function statements(src: string): Span[] {
  const out: Span[] = [];
  let pos = 0;
  while (pos < src.length) {
    while (pos < src.length && (isSpace(src[pos]) || src[pos] === '\n')) pos++;
    if (pos >= src.length) break;
    if (src[pos] === '#') {
      const nl = src.indexOf('\n', pos);
      pos = nl < 0 ? src.length : nl;
      continue;
    }
    const exported = /^export[ \t\f\r]+/.exec(src.slice(pos, pos + 64));
    if (exported) pos += exported[0].length;
    const keyStart = pos;
    while (pos < src.length && !'=:\n'.includes(src[pos]!)) pos++;
    const key = src.slice(keyStart, pos).replace(/\s+$/u, '');
    if (pos >= src.length || src[pos] === '\n') {
      const end = keyStart + key.length;
      out.push({ key, start: end, end, bare: true });
      continue;
    }
    pos++;
    while (isSpace(src[pos])) pos++;
    const start = pos;
    const quote = src[pos];
    if (quote === '"' || quote === "'") {
      let i = pos + 1;
      for (; i < src.length && src[i] !== quote; i++) if (src[i] === '\\') i++;
      pos = Math.min(i + 1, src.length);
      out.push({ key, start, end: pos, bare: false });
      // what follows the closing quote on its line is skipped by the parser as space or a comment
      continue;
    }
    const nl = src.indexOf('\n', pos);
    const lineEnd = nl < 0 ? src.length : nl;
    const comment = src.slice(pos, lineEnd).indexOf(' #');
    let end = comment >= 0 ? pos + comment : lineEnd;
    while (end > start && isSpace(src[end - 1])) end--;
    out.push({ key, start, end, bare: false });
    pos = lineEnd;
  }
  return out;
}

/**
 * The .env text with `name` set to `value`. Undefined when the text does not
 * parse (or would not read back `value`): the caller must not guess then.
 */
export function setDotenvValue(text: string, name: string, value: string): string | undefined {
  // Other values that expand ${name} see this stand-in on both sides, so any other difference is a misplaced edit.
  const probe = (n: string) => (n === name ? '\u0000capstan-probe\u0000' : undefined);
  const before = parseDotenv(text, probe);
  if (before.issues.length) return undefined;
  const written = dotenvValue(value);
  const last = statements(text).filter((s) => s.key === name).at(-1);
  const next = last
    ? `${text.slice(0, last.start)}${last.bare ? '=' : ''}${written}${text.slice(last.end)}`
    : `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${name}=${written}\n`;
  const after = parseDotenv(next, probe);
  if (after.issues.length || after.values[name] !== value) return undefined;
  const keys = new Set([...Object.keys(before.values), ...Object.keys(after.values)]);
  for (const k of keys) if (k !== name && before.values[k] !== after.values[k]) return undefined;
  return next;
}
