// The compose pipeline, front to back: YAML → .env → interpolation →
// include → extends → normalize (with profiles). Pure: the server and the dashboard
// run the same steps; only `files` differs (the project folder, or nothing).
// Variables come from the project's .env alone (plus COMPOSE_PROJECT_NAME, as
// compose sets it): the server's own environment never reaches a project.
import { parseDotenv } from './dotenv.js';
import { applyExtends } from './extends.js';
import { applyIncludes } from './include.js';
import { interpolateDocument } from './interpolate.js';
import type { ComposeIssue, LoadComposeInput, LoadComposeResult } from './model.js';
import { normalizeProjectName } from './names.js';
import { normalizeCompose } from './normalize.js';
import { loadYaml, type DocPath } from './yaml-load.js';
import { findBadText } from '../safe-text.js';

export type { LoadComposeInput, LoadComposeResult } from './model.js';
export { normalizeProjectName, PROJECT_NAME_RE } from './names.js';

const byLine = (a: ComposeIssue, b: ComposeIssue): number =>
  (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER);

/** The profiles to enable: the requested ones and COMPOSE_PROFILES from .env (comma-separated). */
function enabledProfiles(requested: string[] | undefined, fromEnv: string | undefined): string[] {
  const all = [...(requested ?? []), ...(fromEnv ?? '').split(',')].map((p) => p.trim()).filter((p) => p !== '');
  return [...new Set(all)];
}

/** Reads a compose file (and its .env) into the normalized model, or the issues with their lines. */
export function loadCompose(input: LoadComposeInput): LoadComposeResult {
  const yaml = loadYaml(input.yaml);
  const warnings = [...yaml.warnings];
  const located: ComposeIssue[] = [];
  const withLines = (list: { path: DocPath; message: string; line?: number }[]): ComposeIssue[] =>
    list.map((i) => ({ path: i.path, line: i.line ?? yaml.locate(i.path), message: i.message })).sort(byLine);
  const fail = (issues: { path: DocPath; message: string; line?: number }[]): LoadComposeResult => ({
    ok: false,
    issues: withLines(issues),
    warnings: [...new Set(warnings)],
    located_warnings: located,
  });
  if (!yaml.value) return fail(yaml.issues);

  // The .env's lines are not the compose file's: its issues name their line in the message.
  const dotenv = parseDotenv(input.env ?? '');
  if (dotenv.issues.length > 0) {
    return {
      ok: false,
      issues: dotenv.issues.map((i) => ({ path: [], message: `.env line ${i.line}: ${i.message}` })),
      warnings,
    };
  }
  const variables: Record<string, string> = { ...dotenv.values, COMPOSE_PROJECT_NAME: input.name };
  const lookup = (name: string): string | undefined => (Object.hasOwn(variables, name) ? variables[name] : undefined);

  const interpolated = interpolateDocument(yaml.value, lookup);
  warnings.push(...interpolated.warnings);
  located.push(...withLines(interpolated.located));
  if (interpolated.issues.length > 0) return fail(interpolated.issues);
  const doc = interpolated.value as Record<string, unknown>;
  // NUL and lone surrogates, in any key or value (written, or brought by .env): neither the engine nor PostgreSQL takes them.
  const badText = findBadText(doc);
  if (badText) return fail([badText]);

  const issues: { path: DocPath; message: string }[] = [];
  if ('version' in doc) {
    warnings.push('the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion');
    delete doc.version;
  }
  if ('name' in doc) {
    const written = doc.name;
    if (typeof written !== 'string' || (written !== input.name && normalizeProjectName(written) !== input.name)) {
      issues.push({ path: ['name'], message: `must be "${input.name}" (the service's name) or left out` });
    }
    delete doc.name;
  }
  if (issues.length > 0) return fail(issues);

  const files = input.files ? { files: input.files } : {};
  const resets = [...yaml.resets, ...yaml.overrides];
  // include before extends, as compose-go: a service may extend one that an included file brings
  const included = applyIncludes(doc, { ...files, variables, resets });
  warnings.push(...included.warnings);
  if (included.issues.length > 0) return fail(included.issues);

  const extended = applyExtends(included.value, { ...files, lookup, resets });
  warnings.push(...extended.warnings);
  if (extended.issues.length > 0) return fail(extended.issues);

  const profiles = enabledProfiles(input.profiles, variables.COMPOSE_PROFILES);
  const normalized = normalizeCompose(extended.value, {
    name: input.name,
    ...(input.files ? { files: input.files } : {}),
    variables,
    profiles,
  });
  warnings.push(...normalized.warnings);
  if (normalized.issues.length > 0) return fail(normalized.issues);
  if (!normalized.project) return fail([{ path: [], message: 'the compose file describes no project' }]);
  return { ok: true, project: normalized.project, warnings: [...new Set(warnings)], issues: [], located_warnings: located };
}
