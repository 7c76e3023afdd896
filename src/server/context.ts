import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from './app.js';
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
    const bearer = app.sessions.readBearer(req.headers.authorization);
    const cookie = bearer ? null : app.sessions.readCookie(req.headers.cookie);
    const token = bearer ?? cookie;
    const session = token ? await app.sessions.validate(token) : null;
    if (session?.refreshed && cookie) {
      res.appendHeader('Set-Cookie', app.sessions.cookie(session.token, secure));
    }
    return { ...base, session, via: session ? (bearer ? 'bearer' : 'cookie') : null };
  };
}
