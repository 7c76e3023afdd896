import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import sirv from 'sirv';
import { createOpenApiNodeHttpHandler } from 'trpc-to-openapi';
import type { ErrorBody } from '../shared/schemas.js';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { createApiDocsHandler, DOCS_PATH } from './api-docs.js';
import { serveAuditExport, wantsAuditExport } from './audit-export.js';
import { hasBody, MAX_BODY_BYTES, MAX_JSON_DEPTH, prepareJsonBody, queryInputTooDeep, type BodyRefusal } from './body-guard.js';
import type { App } from './app.js';
import { createContextFactory } from './context.js';
import { apposErrorBody, contractError, isApposPath, reshapeErrorBody } from './http-errors.js';
import { answerStatusOf } from './response-status.js';
import { serveAppLogStream, wantsAppLogStream } from './appos-logs.js';
import { serveEvents, wantsEvents } from './events-route.js';
import { serveHotRead, wantsHotRead } from './hot-reads.js';
import { serveTextLogs, wantsTextLogs } from './logs-text.js';
import { serveTerminalCheck, wantsTerminalCheck } from './terminal-route.js';
import { serveHook, wantsHook } from './hook-route.js';
import { CapstanError } from './errors.js';
import { buildOpenApiDocument } from './openapi.js';
import { appRouter } from './routers/_app.js';
import type { Meta } from './trpc.js';

/** The built dashboard (vite's output), two levels above both src/server and dist/server. */
export const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/client');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** An error answer in the contract's shape: {error, details, code}, or {code, message, data} on the apps API's paths. */
export function sendError(res: ServerResponse, status: number, body: ErrorBody): void {
  res.setHeader('Cache-Control', 'no-store');
  sendJson(res, status, isApposPath(res.req?.url) ? apposErrorBody(status, body) : body);
}

const notFound = (res: ServerResponse) => () =>
  sendError(res, 404, { error: 'Not found', details: 'no route for this method and path', code: 'NOT_FOUND' });

/**
 * trpc-to-openapi writes its own error body; rewrite it to {error, details, code}
 * on the way out, so REST and tRPC errors read the same.
 */
function reshapeRestErrors(res: ServerResponse): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (res.statusCode >= 400 && typeof chunk === 'string' && !res.headersSent) {
      try {
        const raw = JSON.parse(chunk) as { code?: unknown };
        // Our own answers (sendError) are already in their final shape.
        if (typeof raw.code !== 'number') {
          const body = reshapeErrorBody(raw);
          chunk = JSON.stringify(isApposPath(res.req?.url) ? apposErrorBody(res.statusCode, body) : body);
          if (res.hasHeader('Content-Length')) res.setHeader('Content-Length', Buffer.byteLength(chunk as string));
        }
        res.setHeader('Cache-Control', 'no-store');
      } catch {
        // not JSON: leave it
      }
    }
    return end(chunk, ...rest);
  }) as ServerResponse['end'];
}

/**
 * trpc-to-openapi reads a body only for exactly "application/json"; a charset
 * parameter or a bodiless POST (logout, restart) would otherwise be refused.
 */
function normalizeJsonContentType(req: IncomingMessage): void {
  const type = req.headers['content-type'];
  if (type?.toLowerCase().startsWith('application/json')) req.headers['content-type'] = 'application/json';
  const bodiless = !req.headers['transfer-encoding'] && (req.headers['content-length'] ?? '0') === '0';
  if (!type && bodiless) req.headers['content-type'] = 'application/json';
}

export function createRequestHandler(app: App) {
  const createContext = createContextFactory(app);
  const trpcHandler = createHTTPHandler({
    router: appRouter,
    // The standalone adapter types req/res for HTTP/2 too; this server is HTTP/1.1 only.
    createContext: (opts) => createContext(opts as unknown as Parameters<typeof createContext>[0]),
    basePath: '/trpc/',
    onError: ({ error, path }) => {
      if (contractError(error).status >= 500) app.log.warn('trpc error', { path, code: error.code });
    },
  });
  const restHandler = createOpenApiNodeHttpHandler({
    router: appRouter,
    createContext: (opts) => createContext(opts as unknown as Parameters<typeof createContext>[0]),
    maxBodySize: MAX_BODY_BYTES,
    responseMeta: ({ paths, errors, ctx }) => {
      // A status the procedure chose (202: its work goes on) wins over the route's fixed one.
      const status = paths?.length === 1 && errors.length === 0 ? (answerStatusOf(ctx?.res) ?? successStatusOf(paths[0]!)) : undefined;
      return status ? { status } : {};
    },
  });
  const docs = createApiDocsHandler();
  let openApiJson: string | undefined;
  const dashboard = existsSync(clientDir)
    ? sirv(clientDir, { single: true, etag: true, immutable: true, dev: false, setHeaders: cacheDashboard })
    : undefined;

  return (req: IncomingMessage, res: ServerResponse): void => {
    // A client that leaves mid-body or a write after the end is that request's failure, never an uncaught 'error'.
    req.on('error', () => {});
    res.on('error', (err) => app.log.warn('response error', { error: err.message }));
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';
    const readOnly = method === 'GET' || method === 'HEAD';

    if (pathname === '/trpc' || pathname.startsWith('/trpc/')) {
      res.setHeader('Cache-Control', 'no-store');
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (queryInputTooDeep(url)) {
        return sendTrpcRefusal(res, url, {
          status: 400,
          body: { error: 'Invalid input', details: `input: JSON nested more than ${MAX_JSON_DEPTH} deep`, code: 'BAD_REQUEST' },
        });
      }
      const type = req.headers['content-type']?.toLowerCase();
      if (method === 'POST' && hasBody(req) && (!type || type.startsWith('application/json'))) {
        return void guarded(prepareJsonBody(req, 'trpc'), (refused) => sendTrpcRefusal(res, url, refused), () => trpcHandler(req, res));
      }
      return void trpcHandler(req, res);
    }
    if (pathname === '/api/openapi.json' && readOnly) {
      openApiJson ??= JSON.stringify(buildOpenApiDocument(appRouter, app.version));
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      return void res.end(openApiJson);
    }
    if ((pathname === DOCS_PATH || pathname.startsWith(`${DOCS_PATH}/`)) && readOnly) {
      return docs(req, res, pathname, notFound(res));
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const plain = PLAIN_ROUTES.find(([wants]) => wants(req, url))?.[1];
    if (plain) {
      plain(app, createContext, req, res, url).catch((err: unknown) => {
        const { status, body } = contractError(err);
        if (err instanceof CapstanError && err.retryAfter && !res.headersSent) res.setHeader('Retry-After', String(err.retryAfter));
        sendError(res, status, body);
      });
      return;
    }
    if (pathname.startsWith('/api/') || pathname.startsWith('/auth/') || pathname === '/api' || pathname === '/auth') {
      res.setHeader('Cache-Control', 'no-store');
      normalizeJsonContentType(req);
      reshapeRestErrors(res);
      const rest = () =>
        restHandler(req, res, notFound(res)).catch((err: unknown) => {
          app.log.error('rest handler failed', { error: String(err) });
          const { status, body } = contractError(err);
          sendError(res, status, body);
        });
      if (!readOnly && req.headers['content-type'] === 'application/json' && hasBody(req)) {
        return void guarded(prepareJsonBody(req, 'rest'), (refused) => sendRefusal(res, refused), rest);
      }
      void rest();
      return;
    }
    if (readOnly && dashboard) {
      // sirv pipes a file stream it gives no 'error' handler: a file gone since start (a rebuild) would hang this response.
      res.once('pipe', (file) => file.on('error', () => res.destroy()));
      return dashboard(req, res, notFound(res));
    }
    notFound(res)();
  };
}

type PlainRoute = [
  wants: (req: IncomingMessage, url: URL) => boolean,
  serve: (app: App, createContext: ReturnType<typeof createContextFactory>, req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>,
];

/** Routes trpc-to-openapi cannot serve (it answers JSON only): streams and text, with the same auth and errors. */
const PLAIN_ROUTES: PlainRoute[] = [
  [wantsHotRead, serveHotRead],
  [wantsEvents, serveEvents],
  [wantsAuditExport, serveAuditExport],
  [wantsTextLogs, serveTextLogs],
  [wantsAppLogStream, serveAppLogStream],
  [wantsTerminalCheck, serveTerminalCheck],
  [wantsHook, serveHook],
];

/** What Node's parser refused, by its error code (as Node's own answer would say), in the contract's shape. */
const CLIENT_ERRORS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'Request headers too large', 'REQUEST_HEADER_FIELDS_TOO_LARGE'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large', 'Request body too large', 'PAYLOAD_TOO_LARGE'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'Request timed out', 'REQUEST_TIMEOUT'],
};

/**
 * The server's 'clientError' handler: a request Node cannot parse (a URL or
 * headers over the limit, bad framing) is answered in the contract's shape
 * rather than with Node's bare status line, and a socket that already failed
 * is only destroyed. Never throws: it runs outside any request.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  socket.on('error', () => {}); // a write to a peer that left must not become an uncaught 'error'
  // A response already under way on this socket cannot be followed by another answer (Node's own rule).
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) return void socket.destroy();
  const [status, reason, error, code] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request', 'Malformed request', 'BAD_REQUEST'];
  const body = JSON.stringify({ error, details: 'the request could not be parsed as HTTP/1.1', code });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Runs `next` once the body is read and accepted; a refusal is answered instead. */
function guarded(prepared: Promise<BodyRefusal | undefined>, refuse: (r: BodyRefusal) => void, next: () => unknown): void {
  prepared.then(
    (refused) => (refused ? refuse(refused) : void next()),
    () => refuse({ status: 400, body: { error: 'Malformed request body', details: 'the body could not be read', code: 'BAD_REQUEST' } }),
  );
}

function sendRefusal(res: ServerResponse, refused: BodyRefusal): void {
  if (refused.close) res.setHeader('Connection', 'close');
  sendError(res, refused.status, refused.body);
}

/** A refusal in tRPC's envelope (one per call of a batch), carrying the contract's fields as the error formatter does. */
function sendTrpcRefusal(res: ServerResponse, url: URL, refused: BodyRefusal): void {
  const key = refused.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
  const error = {
    message: refused.body.error,
    error: refused.body.error,
    details: refused.body.details,
    code: TRPC_ERROR_CODES_BY_KEY[key],
    data: { code: refused.body.code, httpStatus: refused.status },
  };
  const calls = url.pathname.slice('/trpc/'.length).split(',').length;
  if (refused.close) res.setHeader('Connection', 'close');
  sendJson(res, refused.status, url.searchParams.has('batch') ? Array.from({ length: calls }, () => ({ error })) : { error });
}

function successStatusOf(path: string): number | undefined {
  const procedures = (appRouter._def as unknown as { procedures: Record<string, { _def: { meta?: Meta } }> }).procedures;
  return procedures[path]?._def.meta?.successStatus;
}

function cacheDashboard(res: ServerResponse, pathname: string): void {
  // Hashed assets never change; the HTML must be revalidated to pick up a new build.
  res.setHeader('Cache-Control', pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
}
