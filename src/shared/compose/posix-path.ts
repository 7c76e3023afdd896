// POSIX path arithmetic without node:path (the dashboard bundles this), for
// resolving the file's relative paths against the project directory as
// compose does.

/** Collapses ".", ".." and repeated slashes, like Go's path.Clean. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const absolute = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
      continue;
    }
    out.push(part);
  }
  const body = out.join('/');
  return absolute ? `/${body}` : body || '.';
}

/** `p` made absolute against `base` (itself absolute); "~" and "~/x" expand to `home`. */
export function resolvePath(base: string, p: string, home = '/'): string {
  if (p === '~' || p.startsWith('~/')) return cleanPath(`${home}/${p.slice(1)}`);
  if (p.startsWith('/')) return cleanPath(p);
  return cleanPath(`${base}/${p}`);
}
