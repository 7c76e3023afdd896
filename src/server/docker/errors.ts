import { CapstanError } from '../errors.js';

/** How long a short engine request (ping, list, inspect) may take before the engine counts as unreachable. */
export const ENGINE_DEADLINE_MS = 4000;

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EACCES',
]);

/** A TLS handshake that failed on either side: the engine is there but does not answer us. */
export function isTlsFailure(code: string | undefined): boolean {
  return typeof code === 'string' && /^(ERR_SSL_|ERR_TLS_|EPROTO$|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/.test(code);
}

interface EngineErrorLike {
  code?: string;
  name?: string;
  statusCode?: number;
  reason?: string;
  message?: string;
  json?: { message?: string } | string | null;
}

function engineMessage(err: EngineErrorLike): string {
  if (err.json && typeof err.json === 'object' && err.json.message) return err.json.message;
  if (typeof err.json === 'string' && err.json) return err.json;
  // A streamed request (pull, logs) is answered without parsed json: docker-modem puts the engine's text in the message.
  const streamed = /^\(HTTP code \d+\) .*? - ([\s\S]*\S)\s*$/.exec(err.message ?? '');
  if (streamed) return streamed[1]!;
  return err.reason ?? err.message ?? 'unknown engine error';
}

const statusOf = (err: unknown): number | undefined => {
  const status = (err as EngineErrorLike | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
};

/**
 * A transport failure: no answer at all (refused, reset, timed out). An
 * answer with a status is never this, whatever its text says: the engine's
 * 400 "Timeout in healthcheck cannot be less than 1ms" is bad input.
 */
export function isEngineUnreachable(err: unknown): boolean {
  if (statusOf(err) !== undefined) return false;
  const e = err as EngineErrorLike;
  return (
    (typeof e?.code === 'string' && (UNREACHABLE_CODES.has(e.code) || isTlsFailure(e.code))) ||
    // ssh2's failures (no route, handshake, authentication, timeout) carry a level and no status.
    typeof (err as { level?: unknown } | undefined)?.level === 'string' ||
    e?.name === 'AbortError' ||
    e?.name === 'TimeoutError' ||
    /socket hang up|timeout/i.test(e?.message ?? '')
  );
}

/** The engine's answer by its status code; the text only refines a conflict. */
function fromStatus(status: number, details: string, action: string, cause: unknown): CapstanError {
  if (/port is already allocated|address already in use/i.test(details)) {
    return new CapstanError('CONFLICT', 'Port already allocated', { details, cause });
  }
  if (status === 409 && /name .* is already in use/i.test(details)) {
    return new CapstanError('CONFLICT', 'Container name already in use', { details, cause });
  }
  if (status >= 300 && status < 400) {
    // Never followed (client.ts): the engine could not read the path it was given as it was.
    return new CapstanError('BAD_REQUEST', action, { details: `the engine answered with a redirect (HTTP ${status}), which is not followed`, cause });
  }
  if (status === 404) return new CapstanError('NOT_FOUND', action, { details, cause });
  // 403 is the engine refusing in this state (a network with active endpoints, a predefined network).
  if (status === 409 || status === 403) return new CapstanError('CONFLICT', action, { details, cause });
  if (status >= 400 && status < 500) return new CapstanError('BAD_REQUEST', action, { details, cause });
  return new CapstanError('INTERNAL_SERVER_ERROR', action, { details, cause });
}

/**
 * Turns anything dockerode throws into a CapstanError. An answer with a
 * status code is mapped by that code first (4xx keep their meaning, 5xx are
 * internal); only a failure without a status (no answer) can be 503, and the
 * engine's text goes into details.
 */
export function toEngineError(err: unknown, action = 'Docker request failed'): CapstanError {
  if (err instanceof CapstanError) return err;
  const e = err as EngineErrorLike;
  const status = statusOf(err);
  if (status !== undefined) return fromStatus(status, engineMessage(e), action, err);
  if (isEngineUnreachable(err)) {
    const details =
      e?.name === 'AbortError' || e?.name === 'TimeoutError'
        ? `no answer from the engine within ${ENGINE_DEADLINE_MS / 1000} s`
        : (e?.message ?? String(err));
    return new CapstanError('SERVICE_UNAVAILABLE', 'Docker engine unavailable', { details, cause: err });
  }
  const details = engineMessage(e);
  if (/port is already allocated|address already in use/i.test(details)) {
    return new CapstanError('CONFLICT', 'Port already allocated', { details, cause: err });
  }
  return new CapstanError('INTERNAL_SERVER_ERROR', action, { details, cause: err });
}

/** Runs a short engine request with a deadline, mapping failures to CapstanErrors. */
export async function engineCall<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  action?: string,
  ms = ENGINE_DEADLINE_MS,
): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  try {
    return await fn(signal);
  } catch (err) {
    throw toEngineError(err, action);
  }
}

const isMissing = (err: unknown) => (err as { statusCode?: number } | undefined)?.statusCode === 404;

/** true when the call succeeds, false when the engine says the object does not exist. */
export async function exists(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

/** Runs a removal; an object that is already gone is what the caller wanted. */
export async function ignoreMissing(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
}
