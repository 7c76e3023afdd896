import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from '../server/routers/_app.js';

type ErrorShape = { error?: string; details?: string; data?: { code?: string } } | undefined;

const codeOf = (err: unknown) => (err instanceof TRPCClientError ? (err.shape as ErrorShape)?.data?.code : undefined);

export const isUnauthorized = (err: unknown) => codeOf(err) === 'UNAUTHORIZED';

/**
 * The answer never arrived. A browser on the Docker host sees its network
 * change whenever the engine adds or removes a network, and Chromium then
 * cancels requests in flight (ERR_NETWORK_CHANGED): the operation may well have
 * happened, so callers look before they report a failure.
 */
export const isLostAnswer = (err: unknown) => err instanceof TRPCClientError && !err.shape;

let unauthorizedHandler: (() => void) | undefined;

/** The shell registers what to do when the session has ended (send the person to login, then back). */
export function onSessionEnded(handler: (() => void) | undefined): void {
  unauthorizedHandler = handler;
}

/**
 * One place that notices an ended session, for queries, mutations and SSE
 * alike, so no page has to: a wrong password at login is not an ended session.
 */
const sessionLink: TRPCLink<AppRouter> = () => ({ op, next }) =>
  observable((observer) =>
    next(op).subscribe({
      next: (value) => observer.next(value),
      error: (err) => {
        if (op.path !== 'auth.login' && isUnauthorized(err)) unauthorizedHandler?.();
        observer.error(err);
      },
      complete: () => observer.complete(),
    }),
  );

/** The typed tRPC client; the session cookie authenticates every call, SSE included. */
export const api = createTRPCClient<AppRouter>({
  links: [
    sessionLink,
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({ url: '/trpc' }),
      false: httpBatchLink({ url: '/trpc' }),
    }),
  ],
});

export interface UiError {
  message: string;
  details?: string;
  code?: string;
  /** Network failures and an unavailable engine are worth a retry. */
  recoverable: boolean;
}

export function toUiError(err: unknown): UiError {
  if (err instanceof TRPCClientError) {
    const shape = err.shape as ErrorShape;
    const code = shape?.data?.code;
    if (!shape) return { message: 'Cannot reach the Capstan server', details: err.message, recoverable: true };
    return {
      message: shape.error ?? err.message,
      ...(shape.details ? { details: shape.details } : {}),
      ...(code ? { code } : {}),
      recoverable: code === 'SERVICE_UNAVAILABLE' || code === 'INTERNAL_SERVER_ERROR' || code === 'TOO_MANY_REQUESTS',
    };
  }
  if (err instanceof Event) return { message: 'Cannot reach the Capstan server', details: 'the live connection was closed', recoverable: true };
  return { message: 'Something went wrong', details: String(err), recoverable: true };
}
