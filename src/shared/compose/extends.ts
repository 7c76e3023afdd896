// `extends` for services, as compose-go's loader applies it: from the same
// file (`extends: svc` or `{service: svc}`) or from another file of the
// project (`{file: ./base.yml, service: x}`), recursively, each base merged
// under the service that extends it (merge.ts). Another file is read and
// interpolated with the same variables, and its relative paths (env_file,
// bind mounts, a further extends.file) are rebased from its own folder to
// the project folder, as compose-go does. `!reset` / `!override` on the
// extending service clear the base's value before the merge.
import type { ProjectFiles } from './model.js';
import { interpolateDocument, type Lookup } from './interpolate.js';
import { MergeError, deepClone, enforceServiceUnicity, mergeService } from './merge.js';
import { cleanPath } from './posix-path.js';
import { loadYaml, setKey, type DocPath } from './yaml-load.js';

export interface ExtendsIssue {
  path: DocPath;
  message: string;
}

export interface ExtendsContext {
  /** Absent (the dashboard): extends of another file is only a warning. */
  files?: ProjectFiles;
  lookup: Lookup;
  /** Paths tagged `!reset` or `!override` in the main document (loadYaml's resets and overrides): the base's value there is dropped before the merge. */
  resets: DocPath[];
}

export interface ExtendsResult {
  value: Record<string, unknown>;
  issues: ExtendsIssue[];
  warnings: string[];
}

const MAIN = '';
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const dirOf = (file: string): string => {
  const i = file.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : file.slice(0, i);
};
const fileLabel = (file: string): string => (file === MAIN ? 'the compose file' : file);

/** A relative path written in `fromDir` (relative to the project), made relative to the project (or absolute). */
export function rebase(fromDir: string, p: string): string {
  if (p.startsWith('/') || p.startsWith('~') || fromDir === '.') return p;
  const out = cleanPath(`${fromDir}/${p}`);
  return out.startsWith('/') || out.startsWith('../') || out === '..' ? out : `./${out}`;
}

// The service paths compose-go resolves against the folder of the file they are written in.
export function rebaseService(service: Record<string, unknown>, dir: string): void {
  if (dir === '.') return;
  const rel = (p: unknown): unknown => (typeof p === 'string' && p !== '' ? rebase(dir, p) : p);
  for (const key of ['env_file', 'label_file']) {
    const v = service[key];
    if (typeof v === 'string') service[key] = rel(v);
    else if (Array.isArray(v)) service[key] = v.map((e) => (isMap(e) ? { ...e, path: rel(e.path) } : rel(e)));
  }
  if (isMap(service.extends) && typeof service.extends.file === 'string') {
    service.extends = { ...service.extends, file: rel(service.extends.file) };
  }
  if (Array.isArray(service.volumes)) {
    service.volumes = service.volumes.map((v) => {
      if (typeof v === 'string') {
        const [source, ...rest] = v.split(':');
        // Only a source starting with "." is a relative bind path; a bare name is a named volume.
        return source !== undefined && rest.length > 0 && source.startsWith('.') ? [rebase(dir, source), ...rest].join(':') : v;
      }
      if (isMap(v) && v.type === 'bind' && typeof v.source === 'string') return { ...v, source: rel(v.source) };
      return v;
    });
  }
}

interface LoadedFile {
  services: Record<string, unknown>;
  resets: DocPath[];
}

/** Applies every service's `extends` and compose's unicity rules; returns a new document. */
export function applyExtends(doc: Record<string, unknown>, ctx: ExtendsContext): ExtendsResult {
  const value = deepClone(doc);
  const issues: ExtendsIssue[] = [];
  const warnings: string[] = [];
  const services = value.services;
  if (!isMap(services)) return { value, issues, warnings };

  const loaded = new Map<string, LoadedFile | undefined>([[MAIN, { services, resets: ctx.resets }]]);
  const done = new Set<string>();
  const failed = new Set<string>();

  const loadFile = (file: string, origin: DocPath): LoadedFile | undefined => {
    if (loaded.has(file)) return loaded.get(file);
    loaded.set(file, undefined);
    let text: string | undefined;
    try {
      text = ctx.files!.read(file);
    } catch (e) {
      issues.push({ path: origin, message: `extends: cannot read "${file}": ${(e as Error).message}` });
      return undefined;
    }
    if (text === undefined) {
      issues.push({ path: origin, message: `extends: file "${file}" not found in the project folder` });
      return undefined;
    }
    const yaml = loadYaml(text);
    for (const i of yaml.issues) issues.push({ path: origin, message: `in ${file}${i.line ? ` line ${i.line}` : ''}: ${i.message}` });
    if (!yaml.value) return undefined;
    const interpolated = interpolateDocument(yaml.value, ctx.lookup);
    warnings.push(...interpolated.warnings);
    for (const i of interpolated.issues) {
      const line = yaml.locate(i.path);
      issues.push({ path: origin, message: `in ${file}${line ? ` line ${line}` : ''}: ${i.message}` });
    }
    if (interpolated.issues.length > 0) return undefined;
    const other = interpolated.value as Record<string, unknown>;
    if (!isMap(other.services)) {
      issues.push({ path: origin, message: `extends: ${file} has no services section` });
      return undefined;
    }
    for (const s of Object.values(other.services)) if (isMap(s)) rebaseService(s, dirOf(file));
    const result = { services: other.services, resets: [...yaml.resets, ...yaml.overrides] };
    loaded.set(file, result);
    return result;
  };

  /** The service `name` of `file` with its extends applied (memoized in place), or undefined after an issue. */
  const resolve = (file: string, name: string, chain: string[], origin: DocPath): unknown => {
    const id = `${file}\u0000${name}`;
    if (failed.has(id)) return undefined;
    const out = resolveOnce(file, name, id, chain, origin);
    if (out === undefined) failed.add(id);
    return out;
  };

  const resolveOnce = (file: string, name: string, id: string, chain: string[], origin: DocPath): unknown => {
    const source = loaded.get(file)!;
    const service = source.services[name];
    if (!isMap(service) || !('extends' in service) || done.has(id)) return service;
    const here = file === MAIN ? ['services', name, 'extends'] : origin;
    const ext = service.extends;
    let ref: unknown = ext;
    let refFile: string | undefined;
    if (isMap(ext)) {
      ref = ext.service;
      if (ext.file !== undefined && ext.file !== null) {
        if (typeof ext.file !== 'string') {
          issues.push({ path: [...here, 'file'], message: 'extends.file must be a string' });
          return undefined;
        }
        refFile = cleanPath(ext.file);
      }
    }
    if (typeof ref !== 'string' || ref === '') {
      issues.push({ path: isMap(ext) ? [...here, 'service'] : here, message: `extends.service is required for service "${name}"` });
      return undefined;
    }
    if (refFile !== undefined && !ctx.files) {
      warnings.push(`service "${name}" extends "${ref}" from ${refFile}, which is read when the service is applied`);
      done.add(id);
      return service;
    }
    const baseFile = refFile ?? file;
    const base = refFile !== undefined ? loadFile(refFile, here) : source;
    if (!base) return undefined;
    if (!Object.hasOwn(base.services, ref)) {
      const where = refFile !== undefined ? ` in ${refFile}` : '';
      issues.push({ path: here, message: `cannot extend service "${name}": service "${ref}" not found${where}` });
      return undefined;
    }
    const step = `${ref} in ${fileLabel(baseFile)}`;
    const target = `${baseFile}\u0000${ref}`;
    if (chain.includes(target) || target === id) {
      const names = [...chain, id, target].map((c) => {
        const [f, n] = c.split('\u0000');
        return f === MAIN ? n : `${n} (${f})`;
      });
      issues.push({ path: here, message: `circular extends: ${names.join(' extends ')}` });
      return undefined;
    }
    const resolved = resolve(baseFile, ref, [...chain, id], here);
    if (resolved === undefined) return undefined;
    if (!isMap(resolved)) {
      if (resolved !== null) issues.push({ path: here, message: `cannot extend ${step}: it is not a map` });
      return resolved === null ? service : undefined;
    }
    const baseCopy = deepClone(resolved);
    // !reset / !override on the extending service remove the base's value before merging.
    for (const p of source.resets) {
      if (p.length > 2 && p[0] === 'services' && p[1] === name) removePath(baseCopy, p.slice(2));
    }
    let merged: Record<string, unknown>;
    try {
      merged = mergeService(baseCopy, service);
    } catch (e) {
      if (!(e instanceof MergeError)) throw e;
      issues.push({ path: here, message: `cannot extend ${step}: ${e.message.replace(/^cannot override /, 'cannot merge ')}` });
      return undefined;
    }
    delete merged.extends;
    setKey(source.services, name, merged);
    done.add(id);
    return merged;
  };

  for (const name of Object.keys(services)) resolve(MAIN, name, [], ['services', name]);
  for (const [name, s] of Object.entries(services)) if (isMap(s)) setKey(services, name, enforceServiceUnicity(s));
  return { value, issues, warnings: [...new Set(warnings)] };
}

function removePath(target: Record<string, unknown>, path: DocPath): void {
  let node: unknown = target;
  for (const segment of path.slice(0, -1)) {
    node = isMap(node) ? node[String(segment)] : Array.isArray(node) ? node[Number(segment)] : undefined;
    if (node === undefined) return;
  }
  const last = path[path.length - 1]!;
  if (isMap(node)) delete node[String(last)];
}
