import { CapstanError } from '../errors.js';
import { ENV_FILE } from './project-files.js';
import type { Queued, ServiceManager } from './services.js';
import type { ServiceStore } from './service-store.js';
import type { TemplateCatalog } from './templates.js';

// The apps API's operations that are not one call of the services API: each
// is a composition of ServiceManager's own, so both APIs share one implementation.

export interface AppsDeps {
  services: ServiceManager;
  store: ServiceStore;
  templates: TemplateCatalog;
}

export interface DeployRequest {
  name: string;
  compose?: string | undefined;
  env?: string | undefined;
  template?: string | undefined;
  variables?: Record<string, string> | undefined;
  /** The engine to deploy on; absent: `local`. */
  engine_id?: string | undefined;
}

const bad = (details: string) => new CapstanError('BAD_REQUEST', 'Invalid deploy request', { details });

/** Creates and deploys an app from compose text, or from a template and its variables. */
export async function deployApp(deps: AppsDeps, req: DeployRequest, actor: string): Promise<Queued & { generated: string[]; template: string | null }> {
  if (req.template !== undefined) {
    if (req.compose !== undefined || req.env !== undefined) throw bad('compose: give either a template or compose text, not both');
    const { submission, generated } = await deps.templates.submission(req.template, req.name, req.variables ?? {});
    return { ...(await deps.services.create({ ...submission, engineId: req.engine_id }, actor)), generated, template: req.template };
  }
  if (req.variables !== undefined) throw bad('variables: only with a template');
  if (req.compose === undefined) throw bad('compose: required (or give a template)');
  const queued = await deps.services.create({ name: req.name, yaml: req.compose, env: req.env, files: undefined, engineId: req.engine_id }, actor);
  return { ...queued, generated: [], template: null };
}

/** The app's .env text and each container's environment. */
export async function appEnv(deps: AppsDeps, id: string): Promise<{ env: string; environment: Record<string, Record<string, string>> }> {
  const row = await deps.store.get(id);
  const env = deps.store.projects.folders.read(row.dir, ENV_FILE) ?? '';
  return { env, environment: await deps.services.getEnvironment(id) };
}

/** A new .env text (the compose file kept), or per-container values (the compose file edited). */
export async function setAppEnv(
  deps: AppsDeps,
  id: string,
  change: { env?: string | undefined; environment?: Record<string, Record<string, string>> | undefined },
  actor: string,
): Promise<Queued & { changedKeys: Record<string, string[]> | null }> {
  if ((change.env === undefined) === (change.environment === undefined)) throw bad('env: give either env (the .env text) or environment');
  if (change.environment) return deps.services.setEnvironment(id, change.environment, actor);
  const row = await deps.store.get(id);
  const yaml = row.project.yaml;
  if (yaml === undefined) throw new CapstanError('NOT_FOUND', 'The project folder has no compose.yaml', { details: `app ${id}` });
  return { ...(await deps.services.update(id, { name: undefined, yaml, env: change.env, files: undefined }, actor, 'env')), changedKeys: null };
}

export async function appCompose(deps: AppsDeps, id: string): Promise<string> {
  const { yaml } = (await deps.store.get(id)).project;
  if (yaml === undefined) throw new CapstanError('NOT_FOUND', 'The project folder has no compose.yaml', { details: `app ${id}` });
  return yaml;
}
