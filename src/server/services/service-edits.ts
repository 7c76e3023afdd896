import type Docker from 'dockerode';
import type { ComposeIssue, ComposeProject } from '../../shared/compose/model.js';
import { CapstanError } from '../errors.js';
import { overlayOf, topLevelName, type Submission } from './definitions.js';
import { preflight } from './preflight.js';
import { COMPOSE_FILE, ENV_FILE } from './project-files.js';
import { invalidProject, planFor, type LoadedProject, type ProjectLoader } from './project-loader.js';
import type { ServiceRow } from './service-store.js';

/**
 * The checks a definition passes before anything is written: it loads
 * (interpolation, extends, schema), it plans, and nothing else on the engine
 * holds its names or ports. Only then are the files written, so a refused
 * definition leaves the folder byte for byte as it was.
 */

export interface Checked {
  loaded: Extract<LoadedProject, { ok: true }>;
  /** The files to write, relative path → text. */
  writes: Record<string, string>;
}

export interface ValidateResult {
  valid: boolean;
  warnings: string[];
  errors: { path: (string | number)[]; line: number | null; message: string }[];
  definition: ComposeProject | null;
}

function writesOf(s: Submission, folderHasEnv: boolean): Record<string, string> {
  const writes: Record<string, string> = { [COMPOSE_FILE]: s.yaml, ...s.files };
  // A new folder gets an empty .env (0600), the file compose and Dockge keep variables in.
  if (s.env !== undefined) writes[ENV_FILE] = s.env;
  else if (!folderHasEnv) writes[ENV_FILE] = '';
  return writes;
}

function folderHas(projects: ProjectLoader, name: string, rel: string): boolean {
  try {
    return projects.folders.read(projects.dir(name), rel) !== undefined;
  } catch {
    return false;
  }
}

/** Loads a submission over the service's folder (or none) and plans it; a 400 with every issue's line when it does not load. */
export async function checkSubmission(
  docker: Docker,
  projects: ProjectLoader,
  ref: { id: string; name: string; adopted: boolean; engineId?: string },
  s: Submission,
  withFolder: boolean,
): Promise<Checked> {
  const loaded = projects.check(ref.name, overlayOf(s), withFolder);
  if (!loaded.ok) throw invalidProject(loaded.issues);
  // Labels need the id before the row exists; preflight with an id that matches nothing.
  await preflight(docker, ref, planFor(ref.id, loaded, projects.dir(ref.name)));
  return { loaded, writes: writesOf(s, withFolder && folderHas(projects, ref.name, ENV_FILE)) };
}

/** Writes the checked files into the service's folder. */
export function writeChecked(projects: ProjectLoader, name: string, checked: Checked): void {
  projects.folders.writeFiles(projects.dir(name), checked.writes);
  projects.forget(name);
}

/**
 * The dry run: what a create or update with this body would say, without
 * writing or deploying anything. With `row` it is checked over that service's
 * folder (its env_file targets, its .env when none is given).
 */
export function validateSubmission(projects: ProjectLoader, s: Submission, row: ServiceRow | undefined): ValidateResult {
  const name = row?.name ?? s.name ?? topLevelName(s.yaml) ?? 'project';
  let loaded: LoadedProject;
  try {
    if (row && s.name !== undefined && s.name !== row.name) throw renameRefused(s.name, row.name);
    loaded = projects.check(name, overlayOf(s), Boolean(row) || projects.folders.exists(name));
  } catch (err) {
    if (!(err instanceof CapstanError) || err.code !== 'BAD_REQUEST') throw err;
    return { valid: false, warnings: [], errors: [{ path: ['name'], line: null, message: err.details ?? err.message }], definition: null };
  }
  const errors: ComposeIssue[] = loaded.ok ? [] : loaded.issues;
  if (loaded.ok) {
    try {
      planFor(row?.id ?? '', loaded, projects.dir(name));
    } catch (err) {
      if (!(err instanceof CapstanError) || err.code !== 'BAD_REQUEST') throw err;
      errors.push({ path: [], message: `${err.message}${err.details ? `: ${err.details}` : ''}` });
    }
  }
  return {
    valid: errors.length === 0,
    warnings: loaded.warnings,
    errors: errors.map((i) => ({ path: i.path, line: i.line ?? null, message: i.message })),
    definition: loaded.ok && errors.length === 0 ? loaded.project : null,
  };
}

export const renameRefused = (given: string, name: string) =>
  new CapstanError('BAD_REQUEST', 'A service cannot be renamed', {
    details: `name: "${given}" differs from "${name}"; the name is the compose project of its containers and volumes`,
  });
