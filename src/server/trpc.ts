import type { IncomingMessage, ServerResponse } from 'node:http';
import { initTRPC, TRPCError } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { ZodError } from 'zod';
import type { App } from './app.js';
import type { ValidSession } from './auth/sessions.js';
import { requireSession } from './context.js';
import { CapstanError } from './errors.js';
import { contractError } from './http-errors.js';
import { audited, type AuditNote } from './services/audit.js';

export interface Context {
  app: App;
  req: IncomingMessage;
  res: ServerResponse;
  /** The client's address as the socket sees it (a proxy's header is not trusted for throttling). */
  address: string;
  /** The request came over HTTPS (directly or through a proxy that says so). */
  secure: boolean;
  session: ValidSession | null;
  via: 'bearer' | 'cookie' | null;
  /** Seconds this address must wait: its bearer tokens failed too often lately (a 429 rather than a 401). */
  refusedFor: number;
  /** A browser says the request came from another site. */
  crossSite: boolean;
}

export type Meta = OpenApiMeta & {
  /** Audit action written for every call of this procedure, e.g. "service.restart". */
  audit?: string;
  /** REST status on success when it is not 200 (201 for creations). */
  successStatus?: number;
};

/** What a handler adds to its audit entry: the target when the input has no id, and details. */
export type { AuditNote };

const t = initTRPC
  .meta<Meta>()
  .context<Context>()
  .create({
    isDev: false,
    sse: {
      ping: { enabled: true, intervalMs: 15_000 },
      client: { reconnectAfterInactivityMs: 20_000 },
    },
    errorFormatter({ error, shape }) {
      const { status, body } = contractError(error);
      return {
        // message and the numeric code keep the tRPC client working; error/details/code are the contract's.
        message: body.error,
        code: shape.code,
        error: body.error,
        details: body.details,
        data: { code: body.code, httpStatus: status, path: shape.data.path },
      };
    },
  });

/** Domain errors become TRPCErrors with the matching code; unknown errors stay internal. */
const mapDomainErrors = t.middleware(async ({ ctx, next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof CapstanError) {
      if (cause.retryAfter) ctx.res.setHeader('Retry-After', String(cause.retryAfter));
      throw new TRPCError({ code: cause.code, message: cause.message, cause });
    }
    if (result.error.code === 'INTERNAL_SERVER_ERROR' && !(cause instanceof ZodError)) {
      ctx.app.log.error('internal error', { error: String(cause ?? result.error), stack: cause instanceof Error ? cause.stack : undefined });
    }
  }
  return result;
});

/**
 * Errors thrown while a subscription's generator runs happen after every
 * middleware has returned: map domain errors here, or the SSE client would see
 * a 500 and reconnect forever instead of the real 4xx/503.
 */
export async function* withDomainErrors<T>(events: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* events;
  } catch (err) {
    if (err instanceof CapstanError) throw new TRPCError({ code: err.code, message: err.message, cause: err });
    throw err;
  }
}

export const router = t.router;
export const publicProcedure = t.procedure.use(mapDomainErrors);

export const authedProcedure = publicProcedure.use(({ ctx, type, next }) => {
  const session = requireSession(ctx);
  // A cookie rides along with cross-site requests; a mutation authenticated only by it must come from our own origin.
  if (ctx.via === 'cookie' && type === 'mutation' && ctx.crossSite) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Cross-origin request refused' });
  }
  return next({ ctx: { ...ctx, session } });
});

/**
 * The audit choke point: every procedure whose meta names an audit action is
 * recorded here through audited(), success or failure, with the actor from
 * the session. Handlers only add details (through ctx.audit); they never
 * write entries themselves.
 */
export const auditedProcedure = authedProcedure.use(async ({ ctx, meta, getRawInput, next }) => {
  const action = meta?.audit;
  if (!action) return next({ ctx: { audit: {} as AuditNote } });
  const [kind] = action.split('.');
  // The middleware runs before input parsing, so the id comes from the raw input (REST puts path params there too).
  const inputId = ((await getRawInput().catch(() => undefined)) as { id?: unknown } | undefined)?.id;
  const scope = {
    actor: ctx.session.actor,
    target: typeof inputId === 'string' ? `${kind}:${inputId}` : null,
    describeError: (err: unknown) => {
      const body = contractError(err).body;
      return { error: body.error, code: body.code };
    },
  };
  let result: Awaited<ReturnType<typeof next>> | undefined;
  try {
    await audited(ctx.app.audit, action, scope, async (note) => {
      result = await next({ ctx: { audit: note } });
      // tRPC hands failures back as a result, not a throw: raise it so audited() records a failure.
      if (!result.ok) throw result.error;
      const outputId = (result.data as { id?: unknown } | undefined)?.id;
      if (!scope.target && typeof outputId === 'string') note.target ??= `${kind}:${outputId}`;
    });
  } catch (err) {
    // The handler's own failure goes back as tRPC produced it; anything else (a failed audit write) is thrown.
    if (!result || result.ok || err !== result.error) throw err;
  }
  return result!;
});

export const createCallerFactory = t.createCallerFactory;
