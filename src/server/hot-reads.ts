import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { App } from './app.js';
import { authenticatedInput, type createContextFactory } from './context.js';
import type { CachedJson, ReadSnapshot } from './services/read-view.js';

/**
 * The reads every dashboard and monitor polls, served from the read view's
 * JSON as it was serialized once per change: no tRPC request object, no
 * per-request serialization, and 304 when the client's ETag still holds.
 * The answers are the procedures' own (services.list, health.status).
 */
const HOT: Record<string, (s: ReadSnapshot) => CachedJson> = {
  '/api/services': (s) => s.services,
  '/api/health/status': (s) => s.health,
};

/** These reads take no input; one schema, made once (a zod schema made per request is compiled per request). */
const NO_INPUT = z.object({});

export function wantsHotRead(req: IncomingMessage, url: URL): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && url.pathname in HOT && url.search === '';
}

export async function serveHotRead(app: App, createContext: ReturnType<typeof createContextFactory>, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  await authenticatedInput(createContext, req, res, NO_INPUT, {});
  const body = HOT[url.pathname]!(await app.services.view.current());
  res.setHeader('ETag', body.etag);
  // Stored by the client but checked with us every time: the ETag makes that cheap.
  res.setHeader('Cache-Control', 'private, no-cache');
  if (ifNoneMatch(req.headers['if-none-match'], body.etag)) {
    res.statusCode = 304;
    return void res.end();
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', body.bytes.length);
  res.end(req.method === 'HEAD' ? undefined : body.bytes);
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}
