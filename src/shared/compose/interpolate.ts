// Compose interpolation, as compose-go's template/ and interpolation/ do it:
// `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?m}`, `${VAR?m}`,
// `${VAR:+a}`, `${VAR+a}`, nested expansions inside the default/alternative/
// message, and `$$` for a literal `$`. Only string values are interpolated,
// never map keys; then the values at the paths compose casts (booleans,
// integers, floats) are turned into their type, as compose-go does, so that
// `replicas: ${N:-2}` is the number 2.
import { setKey } from './yaml-load.js';

export type Lookup = (name: string) => string | undefined;
export type DocPath = (string | number)[];

/** `${` not followed by a valid expression (the template is the whole string being interpolated). */
export class InvalidTemplateError extends Error {
  constructor(public template = '') {
    super('invalid template');
  }
}

/** `${VAR:?message}` / `${VAR?message}` with VAR missing. */
export class MissingRequiredError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(reason ? `required variable ${variable} is missing a value: ${reason}` : `required variable ${variable} is missing a value`);
  }
}

// compose-go's pattern: `$` then `$` (escaped), a name, `{name[op...]}`, or `{` anything else (invalid).
// Go's `.` does not match "\n" only; JavaScript's also refuses "\r" and U+2028/9, hence [^\n].
const NAME = '[_A-Za-z][_A-Za-z0-9]*';
const SOURCE = `\\$(?:(\\$)|(${NAME})|\\{(?:(${NAME}(?::?[-+?][^\\n]*)?)\\}|()))`;
const PATTERN = new RegExp(SOURCE, 'g');
const ONE = new RegExp(SOURCE);

interface Ctx {
  lookup: Lookup;
  onUnset?: (name: string) => void;
}

type Operator = (substitution: string, ctx: Ctx) => string;

function partition(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + sep.length)];
}

const OPERATORS: [string, Operator][] = [
  [':?', (s, ctx) => required(s, ':?', ctx, (v) => v !== '')],
  ['?', (s, ctx) => required(s, '?', ctx, () => true)],
  [':-', (s, ctx) => whenAbsent(s, ':-', ctx, true)],
  ['-', (s, ctx) => whenAbsent(s, '-', ctx, false)],
  [':+', (s, ctx) => whenPresent(s, ':+', ctx, true)],
  ['+', (s, ctx) => whenPresent(s, '+', ctx, false)],
];

function required(s: string, sep: string, ctx: Ctx, valid: (v: string) => boolean): string {
  const [name, message] = partition(s, sep);
  const value = ctx.lookup(name);
  if (value === undefined || !valid(value)) throw new MissingRequiredError(name, substituteWith(message, ctx));
  return value;
}

function whenAbsent(s: string, sep: string, ctx: Ctx, emptyToo: boolean): string {
  const [name, fallback] = partition(s, sep);
  const value = ctx.lookup(name);
  if (value === undefined || (emptyToo && value === '')) return substituteWith(fallback, ctx);
  return value;
}

function whenPresent(s: string, sep: string, ctx: Ctx, nonEmpty: boolean): string {
  const [name, alternative] = partition(s, sep);
  const value = ctx.lookup(name);
  if (value !== undefined && (!nonEmpty || value !== '')) return substituteWith(alternative, ctx);
  return value ?? '';
}

/** The operator written first in the expression, as compose-go picks it. */
function operatorOf(expression: string): Operator | undefined {
  let best: Operator | undefined;
  let bestAt = Infinity;
  for (const [sep, op] of OPERATORS) {
    const at = expression.indexOf(sep);
    if (at >= 0 && at < bestAt) [best, bestAt] = [op, at];
  }
  return best;
}

/** Index of the `}` closing the first `{` (compose-go skips the character after each `{`). */
function closingBrace(s: string): number {
  let open = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '}') {
      open--;
      if (open === 0) return i;
    }
    if (s[i] === '{') {
      open++;
      i++;
    }
  }
  return -1;
}

function replace(match: string, ctx: Ctx): string {
  const op = operatorOf(match);
  let rest = '';
  const close = closingBrace(match);
  if (close > -1) {
    rest = match.slice(close + 1);
    match = match.slice(0, close + 1);
  }
  const m = ONE.exec(match);
  if (!m) throw new InvalidTemplateError();
  if (m[1] !== undefined) return '$';
  const braced = m[2] === undefined;
  const name = m[2] ?? m[3];
  if (!name) throw new InvalidTemplateError();
  // With an operator, what follows the closing brace (the greedy match took it) is substituted on its own.
  if (braced && op) return op(name, ctx) + substituteWith(rest, ctx);
  const value = ctx.lookup(name);
  if (value === undefined) ctx.onUnset?.(name);
  return value ?? '';
}

function substituteWith(template: string, ctx: Ctx): string {
  let first: unknown;
  const out = template.replace(PATTERN, (match) => {
    try {
      return replace(match, ctx);
    } catch (e) {
      if (e instanceof InvalidTemplateError && e.template === '') e.template = template;
      first ??= e;
      return '';
    }
  });
  if (first !== undefined) throw first;
  return out;
}

/**
 * Substitutes the variables in one string. Throws InvalidTemplateError or
 * MissingRequiredError; `onUnset` hears each variable used without a value
 * and without a default (compose warns about those and uses "").
 */
export function substitute(template: string, lookup: Lookup, onUnset?: (name: string) => void): string {
  return substituteWith(template, { lookup, ...(onUnset ? { onUnset } : {}) });
}

// The paths whose string values compose-go casts after interpolation ("*": any key or list item).
type Cast = (value: string, warn: (m: string) => void) => unknown;
const toInt: Cast = (v) => {
  if (!/^[-+]?\d+$/.test(v)) throw new Error(`invalid integer: ${JSON.stringify(v)}`);
  return Number(v);
};
const toFloat: Cast = (v) => {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) throw new Error(`invalid number: ${JSON.stringify(v)}`);
  return Number(v);
};
const toBool: Cast = (v, warn) => {
  const l = v.toLowerCase();
  if (l === 'true' || l === 'false') return l === 'true';
  const yes = ['y', 'yes', 'on'].includes(l);
  if (yes || ['n', 'no', 'off'].includes(l)) {
    warn(`"${v}" for boolean is not supported by YAML 1.2, please use \`${yes}\``);
    return yes;
  }
  throw new Error(`invalid boolean: ${v}`);
};
const S = 'services.*.';
const CASTS: [string[], Cast][] = (
  [
    [`${S}cpu_count`, toInt], [`${S}cpu_percent`, toFloat], [`${S}cpu_period`, toInt], [`${S}cpu_quota`, toInt],
    [`${S}cpu_rt_period`, toInt], [`${S}cpu_rt_runtime`, toInt], [`${S}cpus`, toFloat], [`${S}cpu_shares`, toInt],
    [`${S}init`, toBool], [`${S}depends_on.*.required`, toBool], [`${S}depends_on.*.restart`, toBool],
    [`${S}deploy.replicas`, toInt], [`${S}deploy.update_config.parallelism`, toInt],
    [`${S}deploy.update_config.max_failure_ratio`, toFloat], [`${S}deploy.rollback_config.parallelism`, toInt],
    [`${S}deploy.rollback_config.max_failure_ratio`, toFloat], [`${S}deploy.restart_policy.max_attempts`, toInt],
    [`${S}deploy.placement.max_replicas_per_node`, toInt], [`${S}healthcheck.retries`, toInt],
    [`${S}healthcheck.disable`, toBool], [`${S}oom_kill_disable`, toBool], [`${S}oom_score_adj`, toInt],
    [`${S}pids_limit`, toInt], [`${S}ports.*.target`, toInt], [`${S}privileged`, toBool], [`${S}read_only`, toBool],
    [`${S}scale`, toInt], [`${S}stdin_open`, toBool], [`${S}tty`, toBool], [`${S}ulimits.*`, toInt],
    [`${S}ulimits.*.hard`, toInt], [`${S}ulimits.*.soft`, toInt], [`${S}volumes.*.read_only`, toBool],
    [`${S}volumes.*.volume.nocopy`, toBool], ['networks.*.external', toBool], ['networks.*.internal', toBool],
    ['networks.*.attachable', toBool], ['networks.*.enable_ipv4', toBool], ['networks.*.enable_ipv6', toBool],
    ['volumes.*.external', toBool], ['secrets.*.external', toBool], ['configs.*.external', toBool],
  ] as [string, Cast][]
).map(([p, c]) => [p.split('.'), c]);

function castFor(path: DocPath): Cast | undefined {
  for (const [pattern, cast] of CASTS) {
    if (pattern.length === path.length && pattern.every((p, i) => p === '*' || p === String(path[i]))) return cast;
  }
  return undefined;
}

export interface InterpolateIssue {
  path: DocPath;
  message: string;
}

export interface InterpolateResult {
  value: unknown;
  /** Deduplicated; compose's wording. */
  warnings: string[];
  /** The same warnings, each with the path of the first value it was about. */
  located: InterpolateIssue[];
  issues: InterpolateIssue[];
}

/** Compose's way of writing a path in a message: services.web.ports.[] for list items. */
export const dotted = (path: DocPath): string => path.map((p) => (typeof p === 'number' ? '[]' : p)).join('.');

/** Interpolates every string value of the document (map keys are left alone, as compose leaves them). */
export function interpolateDocument(doc: unknown, lookup: Lookup): InterpolateResult {
  const warnings = new Map<string, DocPath>();
  const issues: InterpolateIssue[] = [];
  let here: DocPath = [];
  const warn = (m: string) => {
    if (!warnings.has(m)) warnings.set(m, here);
  };
  const onUnset = (name: string) => warn(`The "${name}" variable is not set. Defaulting to a blank string.`);

  const walk = (value: unknown, path: DocPath): unknown => {
    if (typeof value === 'string') {
      here = path;
      let out: string;
      try {
        out = substitute(value, lookup, onUnset);
      } catch (e) {
        if (e instanceof InvalidTemplateError) {
          const message = `invalid interpolation format for ${dotted(path)}: "${e.template}". You may need to escape any $ with another $`;
          issues.push({ path, message });
        } else {
          issues.push({ path, message: `error while interpolating ${dotted(path)}: ${(e as Error).message}` });
        }
        return value;
      }
      const cast = castFor(path);
      if (!cast) return out;
      try {
        return cast(out, warn);
      } catch (e) {
        issues.push({ path, message: `${dotted(path)}: failed to cast to expected type: ${(e as Error).message}` });
        return out;
      }
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (typeof value === 'object' && value !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) setKey(out, k, walk(v, [...path, k]));
      return out;
    }
    return value;
  };
  const value = walk(doc, []);
  const located = [...warnings].map(([message, path]) => ({ path, message }));
  return { value, warnings: [...warnings.keys()], located, issues };
}
