// The project's `.env`, read as compose-go's dotenv (a godotenv fork) reads
// it: `KEY=value` or `KEY: value`, `export KEY=...`, comments, 'single
// quotes' taken literally, "double quotes" with escapes and variables,
// values spanning lines inside quotes, ` #` starting a comment after an
// unquoted value, a bare `KEY` inheriting from the lookup (or left out), and
// `${VAR}` expanded from the lookup first, then from keys set earlier in the
// file (compose-go's order).
import { InvalidTemplateError, substitute } from './interpolate.js';

export interface DotenvIssue {
  line: number;
  message: string;
}

export interface DotenvResult {
  values: Record<string, string>;
  issues: DotenvIssue[];
}

// Go's isSpace in the dotenv parser: spaces that are not line breaks.
const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\v' || c === '\f' || c === '\r' || c === '\u0085' || c === '\u00a0';
const isKeyChar = (c: string): boolean => /[\p{L}\p{N}_.\-[\]]/u.test(c);

// Shell escapes honoured in double quotes; `\$` stays a literal `$` (written `$$` for the template).
const ESCAPE = /\\(?:[abcfnrtv$"\\]|0\d{0,3})/g;
const ESCAPED: Record<string, string> = { a: '\x07', b: '\b', c: 'c', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"', '\\': '\\' };

function expandEscapes(s: string): string {
  return s.replace(ESCAPE, (m) => {
    if (m === '\\$') return '$$';
    if (m.startsWith('\\0')) {
      // Go's UnquoteChar takes exactly three octal digits (≤ 0377) after the rewritten `\`.
      const digits = m.slice(2);
      return /^[0-7]{3}$/.test(digits) && parseInt(digits, 8) <= 0o377 ? String.fromCharCode(parseInt(digits, 8)) : m;
    }
    const c = m[1]!;
    // Go has no `\c` escape: UnquoteChar fails and the text stays as written.
    return c === 'c' ? m : (ESCAPED[c] ?? m);
  });
}

class DotenvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** Parses .env text. Stops at the first error, as compose does (the values read so far are kept). */
export function parseDotenv(text: string, lookup?: (name: string) => string | undefined): DotenvResult {
  const values = new Map<string, string>();
  const src = text.startsWith('\ufeff') ? text.slice(1) : text;
  let pos = 0;
  let line = 1;

  const resolve = (name: string): string | undefined => lookup?.(name) ?? values.get(name);
  const expand = (value: string, at: number): string => {
    try {
      return substitute(value, resolve);
    } catch (e) {
      if (e instanceof InvalidTemplateError) throw new DotenvError(at, `invalid interpolation format: ${JSON.stringify(e.template)}`);
      throw new DotenvError(at, (e as Error).message);
    }
  };

  // Skips blank space and comment lines; false at the end of the text.
  const statementStart = (): boolean => {
    for (;;) {
      while (pos < src.length && (isSpace(src[pos]) || src[pos] === '\n')) {
        if (src[pos] === '\n') line++;
        pos++;
      }
      if (pos >= src.length) return false;
      if (src[pos] !== '#') return true;
      const nl = src.indexOf('\n', pos);
      if (nl < 0) return false;
      pos = nl;
    }
  };

  const keyName = (): { key: string; inherited: boolean } => {
    const exported = /^export[ \t\n\f\r]+/.exec(src.slice(pos, pos + 64));
    if (exported) {
      pos += 'export'.length;
      while (isSpace(src[pos])) pos++;
    }
    const start = pos;
    for (; pos < src.length; pos++) {
      const c = src[pos]!;
      if (isSpace(c)) continue;
      if (c === '=' || c === ':' || c === '\n') {
        const key = src.slice(start, pos).replace(/\s+$/u, '');
        pos++;
        if (c === '\n' && !key.includes(' ')) line++;
        while (isSpace(src[pos])) pos++;
        return { key, inherited: c === '\n' };
      }
      if (!isKeyChar(c)) {
        const first = src.slice(start).split('\n')[0];
        throw new DotenvError(line, `unexpected character ${JSON.stringify(c)} in variable name ${JSON.stringify(first)}`);
      }
    }
    // A bare name on the last line, without a newline: inherited like any other bare name.
    return { key: src.slice(start).replace(/\s+$/u, ''), inherited: true };
  };

  const value = (): string => {
    const quote = src[pos];
    if (quote !== '"' && quote !== "'") {
      const nl = src.indexOf('\n', pos);
      const end = nl < 0 ? src.length : nl;
      let raw = src.slice(pos, end);
      const at = line;
      pos = nl < 0 ? src.length : nl + 1;
      line++;
      const comment = raw.indexOf(' #');
      if (comment >= 0) raw = raw.slice(0, comment);
      return expand(raw.replace(/\s+$/u, ''), at);
    }
    const startLine = line;
    let escaped = false;
    let chars = '';
    for (let i = pos + 1; i < src.length; i++) {
      const c = src[i]!;
      if (c === '\n') line++;
      if (c !== quote) {
        if (!escaped && c === '\\') {
          escaped = true;
          continue;
        }
        if (escaped) {
          escaped = false;
          chars += '\\';
        }
        chars += c;
        continue;
      }
      if (escaped) {
        // \" inside "…" (or \' inside '…') is the quote itself
        escaped = false;
        chars += c;
        continue;
      }
      pos = i + 1;
      return quote === '"' ? expand(expandEscapes(chars), startLine) : chars;
    }
    const first = src.slice(pos).split('\n')[0];
    throw new DotenvError(startLine, `unterminated quoted value ${first}`);
  };

  try {
    while (statementStart()) {
      const keyLine = line;
      const { key, inherited } = keyName();
      if (key.includes(' ')) throw new DotenvError(keyLine, 'key cannot contain a space');
      if (inherited) {
        const inheritedValue = resolve(key);
        if (inheritedValue !== undefined) values.set(key, inheritedValue);
        continue;
      }
      values.set(key, value());
    }
  } catch (e) {
    if (!(e instanceof DotenvError)) throw e;
    return { values: Object.fromEntries(values), issues: [{ line: e.line, message: e.message }] };
  }
  return { values: Object.fromEntries(values), issues: [] };
}
