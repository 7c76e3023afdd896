import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../server/routers/_app.js';

/** The typed tRPC client; the session cookie authenticates every call, SSE included. */
export const api = createTRPCClient<AppRouter>({
  links: [
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
    const shape = err.shape as { error?: string; details?: string; data?: { code?: string } } | undefined;
    const code = shape?.data?.code;
    if (!shape) return { message: 'Cannot reach the Capstan server', details: err.message, recoverable: true };
    return {
      message: shape.error ?? err.message,
      ...(shape.details ? { details: shape.details } : {}),
      ...(code ? { code } : {}),
      recoverable: code === 'SERVICE_UNAVAILABLE',
    };
  }
  return { message: 'Something went wrong', details: String(err), recoverable: true };
}

export const isUnauthorized = (err: unknown) =>
  err instanceof TRPCClientError && (err.shape as { data?: { code?: string } } | undefined)?.data?.code === 'UNAUTHORIZED';
