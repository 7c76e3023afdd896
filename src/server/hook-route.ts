import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from './app.js';
import type { createContextFactory } from './context.js';
import { CapstanError } from './errors.js';
import { HOOK_PATH_PREFIX } from './services/webhooks.js';
import { atLeast } from './services/webhook-guard.js';

/** A hook's answer takes at least this long, known secret or not: the time says nothing about which. */
const ANSWER_FLOOR_MS = 250;
/** GitHub's push payloads stay far below this; the body is only read to check its signature. */
const MAX_HOOK_BODY = 1 << 20;

export function wantsHook(req: IncomingMessage, url: URL): boolean {
  return url.pathname.startsWith(HOOK_PATH_PREFIX) && url.pathname.length > HOOK_PATH_PREFIX.length && !url.pathname.slice(HOOK_PATH_PREFIX.length).includes('/');
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_HOOK_BODY) {
        req.pause();
        reject(new CapstanError('PAYLOAD_TOO_LARGE', 'Request body too large', { details: `a webhook body may be at most ${MAX_HOOK_BODY} bytes` }));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * POST /api/hooks/{secret}: no session, the secret is the credential. Served
 * beside trpc-to-openapi because the signature is over the raw body.
 * Answers 202 {"deployment_id"} once the deployment is queued.
 */
export async function serveHook(app: App, _createContext: ReturnType<typeof createContextFactory>, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const started = performance.now();
  res.setHeader('Cache-Control', 'no-store');
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    throw new CapstanError('METHOD_NOT_SUPPORTED', 'Method not allowed', { details: 'a webhook is called with POST' });
  }
  const answer = await atLeast(started, ANSWER_FLOOR_MS, async () => {
    const body = await readBody(req);
    return app.webhooks.trigger(url.pathname.slice(HOOK_PATH_PREFIX.length), body, req.headers['x-hub-signature-256'], req.socket.remoteAddress ?? 'unknown');
  });
  const text = JSON.stringify(answer);
  res.writeHead(202, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
