// Compose project names. Apart from the pipeline (index.ts) so that a caller
// that only checks a name (the project folders, the dashboard's form) does not
// pull in the whole loader.

/** A compose project name as compose-go accepts it: lowercase letters, digits, "_" and "-", not first "_" or "-". */
export const PROJECT_NAME_RE = /^[a-z0-9][a-z0-9_-]*$/;

/** compose-go's NormalizeProjectName: lowercase, only [a-z0-9_-], no leading "_" or "-". */
export function normalizeProjectName(s: string): string {
  return (s.toLowerCase().match(/[a-z0-9_-]/g) ?? []).join('').replace(/^[_-]+/, '');
}
