import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseDotenv } from '../../shared/compose/dotenv.js';
import { loadCompose } from '../../shared/compose/index.js';
import type { ComposeIssue, ComposeProject, ProjectFiles } from '../../shared/compose/model.js';
import { planProject, type ServicePlan } from '../docker/compose-plan.js';
import { CapstanError } from '../errors.js';
import { COMPOSE_FILE, ENV_FILE, type ProjectFolders } from './project-files.js';

/**
 * A service's project as the folder holds it now: the compose text, the hash
 * of its .env (never the .env itself: it holds secrets) and what loadCompose
 * made of them.
 */
export type LoadedProject =
  | {
      ok: true;
      project: ComposeProject;
      warnings: string[];
      yaml: string;
      envHash: string;
      /** The .env's variables, for secrets/configs read from the environment. Kept in memory only. */
      variables: Record<string, string>;
      /** The folder has a .env (compose then labels containers with its path). */
      hasEnvFile: boolean;
    }
  | { ok: false; issues: ComposeIssue[]; warnings: string[]; yaml: string | undefined; envHash: string };

/** Files that replace the folder's own for a check (a create, an update, a file write). */
export interface Overlay {
  yaml?: string;
  env?: string;
  /** Other files by relative path; undefined: as if deleted. */
  files?: Record<string, string | undefined>;
}

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

interface CacheEntry {
  key: string;
  /** Every file the load read, with what it held: the result is reused only while all still hold that. */
  reads: Map<string, string | undefined>;
  result: LoadedProject;
}

/** "line 7: services.web.ports.0: ..." for each issue, as the contract's details name path and line. */
export function describeIssues(issues: ComposeIssue[], max = 20): string {
  const shown = issues.slice(0, max).map((i) => `${i.line ? `line ${i.line}: ` : ''}${i.path.join('.') || 'yaml'}: ${i.message}`);
  if (issues.length > max) shown.push(`and ${issues.length - max} more`);
  return shown.join('; ');
}

export const invalidProject = (issues: ComposeIssue[], message = 'Invalid definition') =>
  new CapstanError('BAD_REQUEST', message, { details: describeIssues(issues) });

/**
 * What a service's containers are, from its loaded project: compose's labels
 * point at the folder, so `docker compose` run there sees the same project.
 * A project that does not load is a 400 naming its problems (not retried).
 */
export function planFor(serviceId: string, loaded: LoadedProject, dir: string): ServicePlan {
  if (!loaded.ok) throw invalidProject(loaded.issues, 'The project folder does not load');
  return planProject(serviceId, loaded.project, {
    workingDir: dir,
    configFiles: [path.join(dir, COMPOSE_FILE)],
    ...(loaded.hasEnvFile ? { environmentFile: path.join(dir, ENV_FILE) } : {}),
    env: loaded.variables,
  });
}

/**
 * Reads compose.yaml and .env from a service's folder and loads them with
 * loadCompose, the files they refer to (env_file, secrets, extends) read from
 * the same folder. Loads are cached by content, checked on every call, so a
 * file edited on the host is seen by the next call.
 */
export class ProjectLoader {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(readonly folders: ProjectFolders) {}

  dir(name: string): string {
    return this.folders.dir(name);
  }

  /** The project as the folder holds it. Never throws for what is in the files: a problem is a failed result. */
  load(name: string): LoadedProject {
    return this.check(name, {}, true);
  }

  /**
   * The project as it would be with `overlay` written over the folder
   * (`withFolder` false: as if the folder were empty, for a create). Writes nothing.
   */
  check(name: string, overlay: Overlay, withFolder = true): LoadedProject {
    const dir = this.folders.dir(name);
    const reads = new Map<string, string | undefined>();
    const readRel = (rel: string): string | undefined => {
      const clean = path.posix.normalize(rel).replace(/^\.\//, '');
      if (clean === COMPOSE_FILE && overlay.yaml !== undefined) return overlay.yaml;
      if (clean === ENV_FILE && overlay.env !== undefined) return overlay.env;
      if (overlay.files && clean in overlay.files) return overlay.files[clean];
      if (!withFolder) return undefined;
      if (reads.has(clean)) return reads.get(clean);
      const text = this.folders.read(dir, clean);
      reads.set(clean, text);
      return text;
    };
    let yaml: string | undefined;
    let envText: string | undefined;
    try {
      yaml = readRel(COMPOSE_FILE);
      envText = readRel(ENV_FILE);
    } catch (err) {
      return { ok: false, issues: [{ path: [], message: fileProblem(err) }], warnings: [], yaml: undefined, envHash: sha256('') };
    }
    const env = envText ?? '';
    const envHash = sha256(env);
    if (yaml === undefined) {
      return { ok: false, issues: [{ path: [], message: `${COMPOSE_FILE} is missing from the project folder ${dir}` }], warnings: [], yaml, envHash };
    }
    const cacheable = withFolder && overlay.yaml === undefined && overlay.env === undefined && overlay.files === undefined;
    const key = `${sha256(yaml)}:${envHash}`;
    if (cacheable) {
      const hit = this.cache.get(name);
      if (hit && hit.key === key && this.stillHolds(dir, hit.reads)) return hit.result;
    }
    const files: ProjectFiles = {
      dir,
      home: os.homedir(),
      read: (p: string) => {
        const rel = path.isAbsolute(p) ? path.relative(dir, p) : p;
        if (path.isAbsolute(p) && (rel.startsWith('..') || path.isAbsolute(rel))) {
          throw new Error(`${p}: only files inside the project folder can be read`);
        }
        return readRel(rel.split(path.sep).join('/'));
      },
    };
    let result: LoadedProject;
    try {
      const loaded = loadCompose({ name, yaml, env, files });
      result = loaded.ok
        ? { ok: true, project: loaded.project, warnings: loaded.warnings, yaml, envHash, variables: parseDotenv(env).values, hasEnvFile: envText !== undefined }
        : { ok: false, issues: loaded.issues, warnings: loaded.warnings, yaml, envHash };
    } catch (err) {
      result = { ok: false, issues: [{ path: [], message: fileProblem(err) }], warnings: [], yaml, envHash };
    }
    if (cacheable) this.cache.set(name, { key, reads, result });
    return result;
  }

  /** Drops the cached load of a service (after its folder was written or removed). */
  forget(name: string): void {
    this.cache.delete(name);
  }

  private stillHolds(dir: string, reads: Map<string, string | undefined>): boolean {
    for (const [rel, text] of reads) {
      if (rel === COMPOSE_FILE || rel === ENV_FILE) continue; // part of the key
      try {
        if (this.folders.read(dir, rel) !== text) return false;
      } catch {
        return false;
      }
    }
    return true;
  }
}

function fileProblem(err: unknown): string {
  if (err instanceof CapstanError) return err.details ?? err.message;
  return err instanceof Error ? err.message : String(err);
}
