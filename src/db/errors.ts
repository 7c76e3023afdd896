/**
 * Whether a write failed on a UNIQUE index of `column` ("table.column"), as
 * libSQL says it; drizzle wraps the driver's error, so its cause is read too.
 */
export function violatesUnique(err: unknown, column: string): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (String((e as { message?: unknown }).message ?? '').includes(`UNIQUE constraint failed: ${column}`)) return true;
  }
  return false;
}
