import type { Task } from 'graphile-worker';
import { toPgText } from '../shared/safe-text.js';

/**
 * graphile-worker writes a failed job's message into a PostgreSQL text
 * column. A message carrying a NUL or a lone surrogate (an image name, an
 * engine's text) made that write fail, and the rejection took the process
 * down, again at every restart. What a task throws leaves here as text
 * PostgreSQL accepts; the original stays as the cause.
 */
export function pgSafeError(err: unknown): unknown {
  const message = err instanceof Error ? err.message : String(err);
  const safe = toPgText(message);
  if (err instanceof Error && safe === message) return err;
  const replaced = new Error(safe, { cause: err });
  if (err instanceof Error) replaced.name = toPgText(err.name);
  return replaced;
}

/** A task whose failures are always storable. */
export function pgSafeTask(task: Task): Task {
  return async (payload, helpers) => {
    try {
      await task(payload, helpers);
    } catch (err) {
      throw pgSafeError(err);
    }
  };
}
