// Small zod building blocks for the compose schema: strict maps that accept
// and drop `x-*` extension keys, friendly messages, compose's loose spellings
// (list or dict, string or list, "true" for true) and a bridge from the value
// parsers' ComposeValueError to zod issues at the right path.
import { z } from 'zod';
import type { ComposeIssue } from './model.js';
import { ComposeValueError } from './parse-units.js';

export type Path = (string | number)[];
export type Ctx = z.core.$RefinementCtx;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function issue(ctx: Ctx, message: string, path: Path = []): void {
  ctx.addIssue({ code: 'custom', message, path });
}

/** Drops undefined fields so "not set" stays absent in the model. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Replaces zod's "Invalid input: expected string, received number" with a short message. */
export function expecting(what: string) {
  return {
    error: (iss: z.core.$ZodRawIssue) => {
      if (iss.code !== 'invalid_type' && iss.code !== 'invalid_union') return undefined;
      return iss.input === undefined ? 'required' : `must be ${what}`;
    },
  };
}

/** Runs a value parser; its ComposeValueError becomes an issue (anything else is a bug and propagates). */
export function attempt<T>(ctx: Ctx, parse: () => T, path: Path = []): T | undefined {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof ComposeValueError)) throw e;
    issue(ctx, e.message, path);
    return undefined;
  }
}

/** A value checked and converted by hand: for compose's polymorphic fields, where a zod union's messages are poor. */
export function custom<T>(convert: (v: unknown, ctx: Ctx) => T | undefined, jsonType: string | string[] = []) {
  return z
    .unknown()
    .transform((v, ctx): T => convert(v, ctx) as T)
    .meta({ type: jsonType });
}

/** A value run through a ComposeValueError-throwing parser. */
export function parsed<T>(parse: (v: unknown) => T, jsonType: string | string[] = []) {
  return custom((v, ctx) => attempt(ctx, () => parse(v)), jsonType);
}

/** Turns zod issues into compose issues: an unknown key is reported at that key's own path. */
export function toIssues(error: z.ZodError, at: Path = []): ComposeIssue[] {
  const out: ComposeIssue[] = [];
  for (const i of error.issues) {
    const path = [...at, ...(i.path as Path)];
    if (i.code === 'unrecognized_keys') {
      for (const key of i.keys) out.push({ path: [...path, key], message: `unknown key "${key}"` });
    } else {
      out.push({ path, message: i.message });
    }
  }
  return out;
}

/** Runs `schema` on a nested value inside a custom converter, re-reporting its issues under `at`. */
export function delegate<T>(ctx: Ctx, schema: z.ZodType<T>, value: unknown, at: Path = []): T | undefined {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  for (const i of toIssues(r.error, at)) issue(ctx, i.message, i.path);
  return undefined;
}

function withoutExtensions(v: unknown): unknown {
  if (!isRecord(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('x-')));
}

/** A map with exactly these keys (plus `x-*` extensions, accepted and dropped). */
export function strictMap<S extends z.core.$ZodLooseShape>(shape: S, what = 'a map') {
  return z.preprocess(withoutExtensions, z.strictObject(shape, expecting(what)));
}

export const zString = (what = 'a string') => z.string(expecting(what));
export const zNonEmpty = (what = 'a string') => z.string(expecting(what)).min(1, 'must not be empty');

/** A list of strings; numbers are spelled as strings (expose: [80], group_add: [1000]). */
export function zStringList(what = 'a list of strings', numbers = false) {
  return custom<string[]>((v, ctx) => {
    if (!Array.isArray(v)) return void issue(ctx, v === undefined ? 'required' : `must be ${what}`);
    return v.map((item, i) => {
      if (typeof item === 'string') return item;
      if (numbers && typeof item === 'number') return String(item);
      issue(ctx, numbers ? 'must be a string or a number' : 'must be a string', [i]);
      return '';
    });
  }, 'array');
}

/** compose's string_or_list: "8.8.8.8" means ["8.8.8.8"]. */
export function zStringOrList(what = 'a string or a list of strings') {
  return custom<string[]>((v, ctx) => {
    if (typeof v === 'string') return [v];
    if (!Array.isArray(v)) return void issue(ctx, `must be ${what}`);
    return v.map((item, i) => {
      if (typeof item !== 'string') issue(ctx, 'must be a string', [i]);
      return String(item);
    });
  }, ['string', 'array']);
}

export interface ListOrDictRules {
  what: string;
  /** What `KEY` (list) or `KEY: null` (map) means: no value (environment) or the empty string (labels). */
  bare: 'null' | 'empty';
  checkKey?: (key: string) => string | undefined;
}

/** compose's list_or_dict, normalized to a map; later list entries win, as in compose. */
export function zListOrDict(rules: ListOrDictRules) {
  return custom<Record<string, string | null>>((v, ctx) => {
    const out: Record<string, string | null> = {};
    const bare = rules.bare === 'null' ? null : '';
    const put = (key: string, value: string | null, at: string | number) => {
      const problem = key === '' ? 'the key must not be empty' : rules.checkKey?.(key);
      if (problem) issue(ctx, problem, [at]);
      else out[key] = value;
    };
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        if (typeof item !== 'string') return void issue(ctx, 'must be a "key=value" string', [i]);
        const eq = item.indexOf('=');
        put(eq < 0 ? item : item.slice(0, eq), eq < 0 ? bare : item.slice(eq + 1), i);
      });
    } else if (isRecord(v)) {
      for (const [key, value] of Object.entries(v)) {
        if (value === null) put(key, bare, key);
        else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
          put(key, String(value), key);
        } else issue(ctx, 'must be a string, number or boolean', [key]);
      }
    } else {
      issue(ctx, `must be ${rules.what}`);
    }
    return out;
  }, ['object', 'array']);
}

/** A map of string values (driver_opts, storage_opt, logging options): numbers are spelled as strings. */
export function zStringMap(what = 'a map of strings') {
  return custom<Record<string, string>>((v, ctx) => {
    if (!isRecord(v)) return void issue(ctx, `must be ${what}`);
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(v)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
      else if (value !== null) issue(ctx, 'must be a string or a number', [key]);
    }
    return out;
  }, 'object');
}

/** Labels: the `com.docker.compose.` prefix is reserved by the specification, `io.capstan.` by Capstan. */
export const zLabels = zListOrDict({
  what: 'a map of key: value or a list of "key=value" strings',
  bare: 'empty',
  checkKey: (key) => {
    const reserved = ['com.docker.compose.', 'io.capstan.'].find((prefix) => key.startsWith(prefix));
    return reserved ? `label "${key}" is reserved: "${reserved}*" labels are set by Capstan` : undefined;
  },
});
