import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { App } from './app.js';
import { CapstanError } from './errors.js';
import { formatIssues } from './http-errors.js';
import type { ValidSession } from './auth/sessions.js';
import type { Context } from './trpc.js';

/** True when a browser tells us the request was made by another site. */
export function isCrossSite(req: IncomingMessage): boolean {
  const fetchSite = req.headers['sec-fetch-site'];
  if (typeof fetchSite === 'string') return fetchSite !== 'same-origin' && fetchSite !== 'none';
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    return origin === 'null' || new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

export function isSecure(req: IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  // Only used to mark the cookie Secure; trusting a proxy's word here cannot weaken anything.
  const proto = req.headers['x-forwarded-proto'];
  return typeof proto === 'string' && proto.split(',')[0]?.trim() === 'https';
}

/** Routes whose clients (the Docker Operations API design) may send `Authorization: <token>` without a scheme. */
const BARE_TOKEN_PATHS = /^\/api\/(appos(\/|$)|events$)/;

/** `Authorization: <token>` on the routes that accept it: one word, no scheme. */
function bareToken(req: IncomingMessage): string | null {
  const value = req.headers.authorization?.trim();
  if (!value || /\s/.test(value) || value.length > 512) return null;
  const pathname = (req.url ?? '/').split('?')[0]!;
  return BARE_TOKEN_PATHS.test(pathname) ? value : null;
}

export function createContextFactory(app: App) {
  return async ({ req, res }: { req: IncomingMessage; res: ServerResponse }): Promise<Context> => {
    const secure = isSecure(req);
    const base = {
      app,
      req,
      res,
      address: req.socket.remoteAddress ?? 'unknown',
      secure,
      crossSite: isCrossSite(req),
    };
    const bearer = app.sessions.readBearer(req.headers.authorization) ?? bareToken(req);
    const cookie = bearer ? null : app.sessions.readCookie(req.headers.cookie);
    let session: ValidSession | null = null;
    let refusedFor = 0;
    if (bearer) {
      session = await app.sessions.validate(bearer);
      // Failed tokens are throttled like logins: past the limit, an address's failures are 429s (neither
      // counted nor audited again until it passes). A valid token always works: no one guesses 160 bits.
      if (!session) {
        refusedFor = app.auth.tokenWait(base.address);
        if (refusedFor > 0) await app.auth.tokenRefused(base.address);
        else refusedFor = await app.auth.tokenFailed(base.address, (req.url ?? '/').split('?')[0]!.slice(0, 200));
      }
    } else if (cookie) {
      session = await app.sessions.validate(cookie);
      if (session?.refreshed) res.appendHeader('Set-Cookie', app.sessions.cookie(session.token, secure));
    }
    return { ...base, session, via: session ? (bearer ? 'bearer' : 'cookie') : null, refusedFor };
  };
}

/** The session of a request, or the refusal: 429 while its address is throttled for failed tokens, else 401. */
export function requireSession(ctx: Pick<Context, 'session' | 'refusedFor'>): ValidSession {
  if (ctx.session) return ctx.session;
  if (ctx.refusedFor > 0) {
    throw new CapstanError('TOO_MANY_REQUESTS', 'Too many failed tokens; try again later', { details: `retry after ${ctx.refusedFor} seconds`, retryAfter: ctx.refusedFor });
  }
  throw new CapstanError('UNAUTHORIZED', 'Authentication required');
}

/**
 * For the few routes served beside tRPC (plain-text logs, audit export): the
 * same session check, and the input parsed into a 400 naming the field.
 */
export async function authenticatedInput<S extends z.ZodType>(
  createContext: ReturnType<typeof createContextFactory>,
  req: IncomingMessage,
  res: ServerResponse,
  schema: S,
  input: unknown,
): Promise<z.infer<S>> {
  const ctx = await createContext({ req, res });
  requireSession(ctx);
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new CapstanError('BAD_REQUEST', 'Invalid input', { details: formatIssues(parsed.error.issues) });
  return parsed.data;
}
