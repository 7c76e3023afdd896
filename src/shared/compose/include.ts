// Top-level `include:` as compose-go's loader applies it: each entry names a
// compose file (and optional override files) of the project, read with its
// own project directory (the file's folder unless `project_directory` says
// otherwise) and variables (the project's, then its `env_file`, else the
// `.env` of that directory, the project's winning). The included file is
// interpolated, its own includes and extends applied, its relative paths
// rebased to the project folder, and its services, networks, volumes,
// secrets and configs imported; a resource the including file also defines
// is merged, the including file's definition over the included one.
import { parseDotenv } from './dotenv.js';
import { applyExtends, dirOf, rebase, rebaseService } from './extends.js';
import { interpolateDocument } from './interpolate.js';
import { MergeError, deepClone, mergeResource, mergeService } from './merge.js';
import type { ProjectFiles } from './model.js';
import { cleanPath } from './posix-path.js';
import { loadYaml, setKey, type DocPath } from './yaml-load.js';

export interface IncludeContext {
  /** Absent (the dashboard): included files cannot be read; a warning. */
  files?: ProjectFiles;
  /** The project's variables (.env and COMPOSE_PROJECT_NAME). */
  variables: Record<string, string>;
  /** Paths tagged `!reset` / `!override` in the including document. */
  resets: DocPath[];
}

export interface IncludeResult {
  value: Record<string, unknown>;
  issues: { path: DocPath; message: string }[];
  warnings: string[];
}

const RESOURCES = ['services', 'volumes', 'networks', 'secrets', 'configs'] as const;
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] | undefined =>
  typeof v === 'string' ? [v] : Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined;
const join = (dir: string, p: string): string => (p.startsWith('/') ? cleanPath(p) : cleanPath(`${dir}/${p}`));

/** Relative paths of an included document, written against `dir`, made relative to the project. */
function rebaseDocument(doc: Record<string, unknown>, dir: string): void {
  if (isMap(doc.services)) for (const s of Object.values(doc.services)) if (isMap(s)) rebaseService(s, dir);
  for (const key of ['secrets', 'configs']) {
    const section = doc[key];
    if (!isMap(section)) continue;
    for (const entry of Object.values(section)) {
      if (isMap(entry) && typeof entry.file === 'string') entry.file = rebase(dir, entry.file);
    }
  }
  if (isMap(doc.volumes)) {
    for (const v of Object.values(doc.volumes)) {
      const opts = isMap(v) && v.driver === 'local' && isMap(v.driver_opts) ? v.driver_opts : undefined;
      if (opts && opts.o === 'bind' && typeof opts.device === 'string') opts.device = rebase(dir, opts.device);
    }
  }
}

/** compose-go's ResolveEnvironment: a bare `VAR` in a list-form environment takes the included file's variable. */
function resolveBareEnvironment(doc: Record<string, unknown>, vars: Record<string, string>): void {
  if (!isMap(doc.services)) return;
  for (const s of Object.values(doc.services)) {
    if (!isMap(s) || !Array.isArray(s.environment)) continue;
    s.environment = s.environment.map((e) => (typeof e === 'string' && !e.includes('=') && Object.hasOwn(vars, e) ? `${e}=${vars[e]}` : e));
  }
}

/** Applies `include:` (recursively); the result has no `include` key. */
export function applyIncludes(doc: Record<string, unknown>, ctx: IncludeContext): IncludeResult {
  const value = deepClone(doc);
  const issues: IncludeResult['issues'] = [];
  const warnings: string[] = [];

  const includeInto = (target: Record<string, unknown>, workingDir: string, vars: Record<string, string>, resets: DocPath[], chain: string[], origin?: DocPath): void => {
    const list = target.include;
    delete target.include;
    if (list === undefined || list === null) return;
    const at = (i: number, ...rest: (string | number)[]): DocPath => origin ?? ['include', i, ...rest];
    if (!Array.isArray(list)) {
      issues.push({ path: origin ?? ['include'], message: 'include must be a list' });
      return;
    }
    list.forEach((raw, i) => {
      const entry = typeof raw === 'string' ? { path: raw } : isMap(raw) ? raw : undefined;
      const paths = strings(entry?.path)?.filter((p) => p !== '');
      if (!entry || !paths || paths.length === 0) {
        issues.push({ path: at(i), message: 'include needs a path (a file name or a list of them)' });
        return;
      }
      if (!ctx.files) {
        warnings.push(`include of ${paths.join(', ')} is read when the service is applied`);
        return;
      }
      const files = ctx.files;
      const mainPath = join(workingDir, paths[0]!);
      const pd = typeof entry.project_directory === 'string' ? entry.project_directory : undefined;
      const projectDir = pd === undefined ? dirOf(mainPath) : join(workingDir, pd);
      if (chain.includes(mainPath)) {
        issues.push({ path: at(i, 'path'), message: `include cycle: ${[...chain, mainPath].join(' includes ')}` });
        return;
      }
      const read = (file: string, path: DocPath): string | undefined => {
        try {
          const text = files.read(file);
          if (text === undefined) issues.push({ path, message: `include: file "${file}" not found in the project folder` });
          return text;
        } catch (e) {
          issues.push({ path, message: `include: cannot read "${file}": ${(e as Error).message}` });
          return undefined;
        }
      };

      // Variables: the project's win over the include's env files (compose-go's Mapping.Merge).
      const fromFiles: Record<string, string> = {};
      const envFiles = strings(entry.env_file);
      const envTexts: [string, string | undefined][] = envFiles
        ? envFiles.filter((f) => f !== '/dev/null').map((f) => [join(workingDir, f), read(join(workingDir, f), at(i, 'env_file'))])
        : [[join(projectDir, '.env'), readOptional(files, join(projectDir, '.env'))]];
      for (const [name, text] of envTexts) {
        if (text === undefined) continue;
        const env = parseDotenv(text, (n) => vars[n] ?? fromFiles[n]);
        for (const e of env.issues) issues.push({ path: at(i), message: `in ${name} line ${e.line}: ${e.message}` });
        Object.assign(fromFiles, env.values);
      }
      const includeVars = { ...fromFiles, ...vars };
      const lookup = (n: string) => (Object.hasOwn(includeVars, n) ? includeVars[n] : undefined);

      let included: Record<string, unknown> | undefined;
      const includedResets: DocPath[] = [];
      for (const p of paths) {
        const file = join(workingDir, p);
        const text = read(file, at(i, 'path'));
        if (text === undefined) return;
        const yaml = loadYaml(text);
        const where = (line?: number) => `in ${file}${line ? ` line ${line}` : ''}`;
        for (const e of yaml.issues) issues.push({ path: at(i, 'path'), message: `${where(e.line)}: ${e.message}` });
        if (!yaml.value) return;
        const interpolated = interpolateDocument(yaml.value, lookup);
        warnings.push(...interpolated.warnings);
        for (const e of interpolated.issues) issues.push({ path: at(i, 'path'), message: `${where(yaml.locate(e.path))}: ${e.message}` });
        if (interpolated.issues.length > 0) return;
        const part = interpolated.value as Record<string, unknown>;
        const partResets = [...yaml.resets, ...yaml.overrides];
        // Its own paths first: what its includes bring is already relative to the project.
        rebaseDocument(part, projectDir);
        includeInto(part, projectDir, includeVars, partResets, [...chain, mainPath], at(i, 'path'));
        included = included ? importInto(part, included, partResets, at(i, 'path')) : part;
        includedResets.push(...partResets);
      }
      if (!included) return;
      const extended = applyExtends(included, { files, lookup, resets: includedResets });
      warnings.push(...extended.warnings);
      for (const e of extended.issues) issues.push({ path: at(i, 'path'), message: `in ${mainPath}: ${e.message}` });
      resolveBareEnvironment(extended.value, includeVars);
      importInto(target, extended.value, resets, at(i));
    });
  };

  /** Adds `source`'s resources to `target`; one defined in both: target's merged over source's (resets applied). */
  const importInto = (target: Record<string, unknown>, source: Record<string, unknown>, resets: DocPath[], origin: DocPath): Record<string, unknown> => {
    for (const key of RESOURCES) {
      const from = source[key];
      if (!isMap(from)) continue;
      const to = isMap(target[key]) ? target[key] : {};
      for (const [name, def] of Object.entries(from)) {
        const own = to[name];
        if (!Object.hasOwn(to, name) || !isMap(own) || !isMap(def)) {
          if (!Object.hasOwn(to, name)) setKey(to, name, def);
          continue;
        }
        const base = deepClone(def);
        for (const p of resets) if (p.length > 2 && p[0] === key && p[1] === name) removeAt(base, p.slice(2));
        try {
          setKey(to, name, key === 'services' ? mergeService(base, own) : mergeResource(base, own));
        } catch (e) {
          if (!(e instanceof MergeError)) throw e;
          issues.push({ path: origin, message: `cannot merge ${key}.${name} with the included one: ${e.message}` });
        }
      }
      target[key] = to;
    }
    return target;
  };

  includeInto(value, '.', ctx.variables, ctx.resets, []);
  return { value, issues, warnings: [...new Set(warnings)] };
}

function readOptional(files: ProjectFiles, path: string): string | undefined {
  try {
    return files.read(path);
  } catch {
    return undefined;
  }
}

function removeAt(target: Record<string, unknown>, path: DocPath): void {
  let node: unknown = target;
  for (const segment of path.slice(0, -1)) node = isMap(node) ? node[String(segment)] : undefined;
  if (isMap(node)) delete node[String(path[path.length - 1])];
}
