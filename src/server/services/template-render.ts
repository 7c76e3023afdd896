// A template's variables, as the .env of the service deployed from it. The
// text is read back by Capstan's own dotenv parser (src/shared/compose/dotenv.ts,
// compose-go's rules), so each value is written in a form that parser
// returns unchanged; the form is chosen per value, the plainest that is safe.
import { randomBytes } from 'node:crypto';
import { CapstanError } from '../errors.js';
import type { TemplateVariable } from '../../shared/templates.js';

/** A name a .env line and `${NAME}` can both carry. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Generated secrets: 24 random bytes, base64url, so 32 characters safe in URLs, YAML and shells. */
const SECRET_BYTES = 24;

// Unquoted values are cut at ` #`, trimmed, and interpolated: only these characters are taken as written.
const PLAIN = /^[A-Za-z0-9_.,:/@%+=~^-]*$/;
// In '…' everything is literal except `\'` (a quote): a value with a quote, or ending in a backslash, cannot be written there.
const SINGLE_QUOTABLE = (v: string): boolean => !v.includes("'") && !v.endsWith('\\');
// A newline would end the line (or be folded into a quoted one), NUL is refused by the engine, a lone surrogate is not UTF-8.
const UNWRITABLE = /[\n\r\0]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** One value as the right-hand side of a .env line. */
export function dotenvValue(value: string): string {
  if (PLAIN.test(value)) return value;
  if (SINGLE_QUOTABLE(value)) return `'${value}'`;
  // "…" expands escapes and then `$`: escape both, and the quote itself.
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

/** A name for an error message: never the value, and bounded (an unknown name comes from the request). */
const shown = (name: string): string => (name.length > 64 ? `${name.slice(0, 64)}…` : name);

export interface RenderedEnv {
  /** The .env text: one `KEY=value` line per variable, in declaration order. */
  env: string;
  /** The variables whose value was generated (secrets left empty and without a default). */
  generated: string[];
}

/**
 * Gives every declared variable its value (the given one, else the default,
 * else a generated one for a secret) and writes them as .env text. An empty
 * given value counts as not given, as a form's blank field. All problems are
 * reported together, by name only: values may be secrets.
 */
export function renderTemplateEnv(
  variables: TemplateVariable[],
  given: Record<string, string>,
  random: (bytes: number) => Buffer = randomBytes,
): RenderedEnv {
  const problems: string[] = [];
  const declared = new Set<string>();
  const lines: string[] = [];
  const generated: string[] = [];
  for (const v of variables) {
    const name = v.name;
    if (declared.has(name)) {
      problems.push(`variables.${shown(name)}: declared twice by the template`);
      continue;
    }
    declared.add(name);
    if (!VARIABLE_NAME.test(name)) {
      problems.push(`variables.${shown(name)}: not a valid variable name`);
      continue;
    }
    const own = Object.hasOwn(given, name) ? given[name] : undefined;
    if (own !== undefined && typeof own !== 'string') {
      problems.push(`variables.${name}: must be a string`);
      continue;
    }
    let value = own !== undefined && own !== '' ? own : v.default;
    if (value === '') {
      if (!v.secret) {
        problems.push(`variables.${name}: required`);
        continue;
      }
      value = random(SECRET_BYTES).toString('base64url');
      generated.push(name);
    }
    if (UNWRITABLE.test(value)) {
      problems.push(`variables.${name}: must not contain a newline, carriage return, NUL or invalid Unicode`);
      continue;
    }
    if (v.options && v.options.length > 0 && !v.options.some((o) => o.value === value)) {
      problems.push(`variables.${name}: must be one of ${v.options.map((o) => JSON.stringify(o.value)).join(', ')}`);
      continue;
    }
    lines.push(`${name}=${dotenvValue(value)}`);
  }
  for (const name of Object.keys(given)) {
    if (!declared.has(name)) problems.push(`variables.${shown(name)}: not a variable of this template`);
  }
  if (problems.length > 0) {
    throw new CapstanError('BAD_REQUEST', 'Invalid template variables', { details: problems.join('; ') });
  }
  return { env: lines.map((l) => `${l}\n`).join(''), generated };
}
