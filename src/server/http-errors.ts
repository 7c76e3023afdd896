import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { ErrorBody } from '../shared/schemas.js';
import { CapstanError } from './errors.js';

interface IssueLike {
  path?: PropertyKey[];
  message: string;
  code?: string;
  keys?: string[];
}

function hasIssues(cause: unknown): cause is { issues: IssueLike[] } {
  return Array.isArray((cause as { issues?: unknown } | undefined)?.issues);
}

/** "services.web.image: expected string" — the field first, so the user knows where to look. */
export function formatIssues(issues: IssueLike[]): string {
  return issues
    .slice(0, 20)
    .map((i) => {
      const where = (i.path ?? []).map(String).join('.') || 'body';
      return `${where}: ${i.message}`;
    })
    .join('; ');
}

/**
 * The one mapping from any error to the contract's status and body.
 * Unknown errors become a bare 500: their message may carry internals.
 */
export function contractError(error: unknown): { status: number; body: ErrorBody } {
  const trpc = error instanceof TRPCError ? error : undefined;
  const cause = trpc ? trpc.cause : error;
  if (cause instanceof CapstanError) {
    const status = getHTTPStatusCodeFromError(new TRPCError({ code: cause.code }));
    return { status, body: { error: cause.message, details: cause.details, code: cause.code } };
  }
  if (trpc?.code === 'BAD_REQUEST' && hasIssues(cause)) {
    return { status: 400, body: { error: 'Invalid input', details: formatIssues(cause.issues), code: 'BAD_REQUEST' } };
  }
  if (trpc?.code === 'PARSE_ERROR') {
    return { status: 400, body: { error: 'Malformed request body', details: 'the body is not valid JSON', code: 'BAD_REQUEST' } };
  }
  if (!trpc || trpc.code === 'INTERNAL_SERVER_ERROR') {
    return { status: 500, body: { error: 'Internal server error', code: 'INTERNAL_SERVER_ERROR' } };
  }
  return { status: getHTTPStatusCodeFromError(trpc), body: { error: trpc.message, code: trpc.code } };
}

/** Reshapes a JSON error body written by another layer (trpc-to-openapi) into {error, details, code}. */
export function reshapeErrorBody(raw: unknown): ErrorBody {
  const b = (raw ?? {}) as Record<string, unknown>;
  const error = typeof b.error === 'string' ? b.error : typeof b.message === 'string' ? b.message : 'Error';
  const details = typeof b.details === 'string' ? b.details : undefined;
  const code =
    typeof (b.data as { code?: unknown } | undefined)?.code === 'string'
      ? String((b.data as { code: string }).code)
      : typeof b.code === 'string'
        ? b.code
        : 'INTERNAL_SERVER_ERROR';
  return details === undefined ? { error, code } : { error, details, code };
}

/** The apps API's routes (CONTRACT.md): their errors are {code: <status>, message, data}. */
export const isApposPath = (url: string | undefined) => /^\/api\/appos(\/|$|\?)/.test(url ?? '');

export interface ApposErrorBody {
  code: number;
  message: string;
  data: { code: string; details?: string };
}

/** The contract's {error, details, code} in the apps API's shape: the same facts, the status as `code`. */
export function apposErrorBody(status: number, body: ErrorBody): ApposErrorBody {
  return { code: status, message: body.error, data: body.details === undefined ? { code: body.code } : { code: body.code, details: body.details } };
}
