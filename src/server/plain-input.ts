/**
 * The input of a route served beside trpc-to-openapi, read as it would read
 * it: the query parameters, the path's id (decoded), numeric fields as
 * numbers (an empty one is NaN, so the schema refuses it rather than taking 0).
 */
export function plainQueryInput(url: URL, path: RegExp, numeric: readonly string[] = ['tail']): Record<string, unknown> {
  const input: Record<string, unknown> = Object.fromEntries(url.searchParams.entries());
  for (const key of numeric) {
    const v = input[key];
    if (typeof v === 'string') input[key] = v === '' ? Number.NaN : Number(v);
  }
  const id = path.exec(url.pathname)?.[1];
  if (id !== undefined) input.id = decodeSegment(id);
  return input;
}

/** A path segment as the REST router reads it: a malformed escape (%FF, an encoded lone surrogate) is kept as sent, so it is an unknown id, not a URIError. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
