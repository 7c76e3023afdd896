// The last pure step of the compose pipeline: a loaded, interpolated and
// extended document → the normalized model (model.ts), or the issues, each
// with its path. Services are parsed one by one so every bad service is
// reported; references across the project are checked once all parsed.
import type { z } from 'zod';
import type { ComposeIssue, ComposeProject, ComposeService, ProjectFiles } from './model.js';
import { crossCheck } from './cross-checks.js';
import { normalizeService } from './normalize-service.js';
import { isServiceEnabled } from './profiles.js';
import { resolvePath } from './posix-path.js';
import { SERVICE_KEY_RE, serviceSchema } from './schema-service.js';
import { isRecord, toIssues } from './schema-kit.js';
import { topLevelSchema } from './schema-top.js';

export interface NormalizeContext {
  /** The project name (already valid). */
  name: string;
  files?: ProjectFiles;
  /** The project's variables (.env): `KEY` alone in environment takes its value from here. */
  variables: Record<string, string>;
  /** Enabled profiles ("*": all). */
  profiles: string[];
}

export interface NormalizeResult {
  project?: ComposeProject;
  issues: ComposeIssue[];
  warnings: string[];
}

export function normalizeCompose(doc: Record<string, unknown>, ctx: NormalizeContext): NormalizeResult {
  const issues: ComposeIssue[] = [];
  const warnings: string[] = [];
  const schemas = topLevelSchema(ctx.name);
  const top = schemas.top.safeParse(doc);
  if (!top.success) issues.push(...toIssues(top.error));
  const section = <K extends 'networks' | 'volumes' | 'secrets' | 'configs'>(key: K) => {
    if (doc[key] === undefined) return {} as z.output<(typeof schemas)[K]>;
    const r = schemas[key].safeParse(doc[key]);
    if (r.success) return r.data as z.output<(typeof schemas)[K]>;
    issues.push(...toIssues(r.error, [key]));
    return undefined;
  };
  const resources = { networks: section('networks'), volumes: section('volumes'), secrets: section('secrets'), configs: section('configs') };

  const rawServices = isRecord(doc.services) ? doc.services : {};
  const schema = serviceSchema((m) => warnings.push(m));
  const services: Record<string, ComposeService> = {};
  const disabled: Record<string, string[]> = {};
  for (const [key, body] of Object.entries(rawServices)) {
    if (!SERVICE_KEY_RE.test(key)) {
      issues.push({ path: ['services', key], message: `service name "${key}" may only contain letters, digits, ".", "_" and "-"` });
      continue;
    }
    if (!isRecord(body)) {
      issues.push({ path: ['services', key], message: 'must be a map of service settings' });
      continue;
    }
    // compose never builds a service whose profiles are off, so its build: does not stop the file.
    const rawProfiles = Array.isArray(body.profiles) ? body.profiles.filter((p): p is string => typeof p === 'string') : undefined;
    let input = body;
    if ('build' in body && !isServiceEnabled(rawProfiles, ctx.profiles)) {
      const { build: _build, ...rest } = body;
      input = rest;
      warnings.push(`services.${key}: build is ignored while none of its profiles is enabled (Capstan does not build images)`);
    }
    const parsed = schema.safeParse(input);
    if (!parsed.success) {
      issues.push(...toIssues(parsed.error, ['services', key]));
      continue;
    }
    const enabled = isServiceEnabled(parsed.data.profiles, ctx.profiles);
    const result = normalizeService(key, body, parsed.data, ctx, enabled);
    issues.push(...result.issues);
    warnings.push(...result.warnings);
    if (!enabled) disabled[key] = parsed.data.profiles ?? [];
    else if (result.service) services[key] = result.service;
  }

  const dir = ctx.files?.dir ?? '/';
  const home = ctx.files?.home ?? '/';
  const project: ComposeProject = {
    name: ctx.name,
    services,
    networks: resources.networks ?? {},
    volumes: resources.volumes ?? {},
    secrets: resources.secrets ?? {},
    configs: resources.configs ?? {},
  };
  // File-backed secrets and configs resolve against the project folder; environment ones need the variable.
  for (const kind of ['secrets', 'configs'] as const) {
    for (const [key, obj] of Object.entries(project[kind])) {
      if (obj.file !== undefined) obj.file = resolvePath(dir, obj.file, home);
      if (obj.environment !== undefined && !Object.hasOwn(ctx.variables, obj.environment)) {
        issues.push({
          path: [kind, key, 'environment'],
          message: `variable "${obj.environment}" is not set: define it in the .env file`,
        });
      }
    }
  }
  if (Object.keys(disabled).length > 0) project.disabled_services = Object.keys(disabled);
  // A service whose body had issues is still known by key, so references to it are not reported again.
  const broken = new Set(Object.keys(rawServices).filter((k) => !services[k] && !disabled[k]));
  issues.push(...crossCheck({ services, disabled, broken, raw: rawServices, project, unchecked: resources }));
  if (Object.values(services).some((s) => s.networks && Object.hasOwn(s.networks, 'default')) && !project.networks.default) {
    project.networks.default = { name: `${ctx.name}_default` };
  }
  if (Object.keys(project.services).length === 0 && issues.length === 0 && Object.keys(rawServices).length > 0) {
    warnings.push('no service is enabled: every service has a profile that is not enabled');
  }
  return issues.length > 0 ? { issues, warnings } : { project, issues, warnings };
}
