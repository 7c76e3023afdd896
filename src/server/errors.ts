/**
 * The domain's errors. Services throw these; the tRPC layer maps them to TRPCError codes,
 * and the one error formatter turns them into the contract's {error, details, code}.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_SUPPORTED'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOO_MANY_REQUESTS'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

export class CapstanError extends Error {
  override name = 'CapstanError';
  readonly code: ErrorCode;
  /** Technical detail for the user (never secrets, never a stack). */
  readonly details: string | undefined;
  /** Seconds, for TOO_MANY_REQUESTS. */
  readonly retryAfter: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: string; cause?: unknown; retryAfter?: number } = {},
  ) {
    super(message, { cause: opts.cause });
    this.code = code;
    this.details = opts.details;
    this.retryAfter = opts.retryAfter;
  }
}

export const notFound = (what: string, id: string) =>
  new CapstanError('NOT_FOUND', `${what} not found`, { details: `no ${what.toLowerCase()} with id "${id}"` });
