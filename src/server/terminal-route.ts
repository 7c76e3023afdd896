import { type IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import type { ErrorBody } from '../shared/schemas.js';
import type { App } from './app.js';
import { authenticatedInput, createContextFactory, isCrossSite, requireSession } from './context.js';
import { CapstanError } from './errors.js';
import { contractError, formatIssues } from './http-errors.js';
import { plainQueryInput } from './plain-input.js';
import { DEFAULT_TERMINAL_IDLE_MS, resolveTerminal, TerminalSessions, type PreparedTerminal } from './services/terminal.js';

const EXEC_PATH = /^\/api\/services\/([^/]+)\/exec$/;
/** A frame larger than this closes the terminal with 1009 (ws enforces it); typing and pasting stay far below. */
export const TERMINAL_MAX_PAYLOAD = 64 * 1024;

const zExecQuery = z.object({
  id: z.string().min(1).max(64),
  container: z.string().min(1).max(255).optional(),
  cmd: z.string().optional(),
});

/** An Origin naming another host than the one asked; a non-browser client sends none and is let through. */
function fromAnotherOrigin(req: IncomingMessage): boolean {
  if (isCrossSite(req)) return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/** A plain HTTP answer on a socket that was never upgraded, in the contract's shape; then the socket is gone. */
function refuse(socket: Duplex, status: number, body: ErrorBody, headers: Record<string, string> = {}): void {
  if (!socket.writable) return void socket.destroy();
  const text = JSON.stringify(body);
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nCache-Control: no-store\r\nConnection: close\r\n${extra}\r\n${text}`,
    () => socket.destroy(),
  );
}

/** What the handshake needs, checked here so a malformed one is answered in the contract's shape (ws would answer in plain text). */
function handshakeProblem(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET') return 'method: a WebSocket handshake is a GET';
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return 'upgrade: must be "websocket"';
  if (!/^[+/0-9A-Za-z]{22}==$/.test(req.headers['sec-websocket-key'] ?? '')) return 'sec-websocket-key: missing or malformed';
  const version = req.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') return 'sec-websocket-version: must be 13';
  return undefined;
}

export interface TerminalRoute {
  /** The server's 'upgrade' listener: the terminal's path, or a clean refusal for any other. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every open terminal (1001) and ends its process; for the server's stop. */
  close(): Promise<void>;
}

/**
 * GET (WebSocket) /api/services/{id}/exec?container=&cmd=: a terminal in
 * one of the service's containers. Everything that can be refused is
 * refused before the upgrade, as an HTTP answer: no session (401), another
 * Origin (403), bad input (400), an unknown service or container (404), a
 * container that is not running (409). The process is started before the
 * upgrade too, so an engine failure is an HTTP answer as well.
 */
export function createTerminalRoute(app: App): TerminalRoute {
  const createContext = createContextFactory(app);
  const sessions = new TerminalSessions({
    engines: app.engines,
    row: (id) => app.services.view.row(id),
    audit: app.audit,
    log: app.log,
    idleMs: app.config.limits?.terminalIdleMs ?? DEFAULT_TERMINAL_IDLE_MS,
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: TERMINAL_MAX_PAYLOAD, perMessageDeflate: false, clientTracking: false });
  /** Cookies a session refresh set, to go out with the 101. */
  const cookies = new WeakMap<IncomingMessage, string[]>();
  wss.on('headers', (headers, req) => {
    for (const c of cookies.get(req) ?? []) headers.push(`Set-Cookie: ${c}`);
  });
  let closing = false;

  const serve = async (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> => {
    // The context writes a refreshed cookie on a response: this one is never sent, only read.
    const res = new ServerResponse(req);
    const ctx = await createContext({ req, res });
    const session = requireSession(ctx);
    if (fromAnotherOrigin(req)) throw new CapstanError('FORBIDDEN', 'Cross-origin request refused', { details: 'origin: the terminal opens only from this server\'s own pages' });
    const problem = handshakeProblem(req);
    if (problem) throw new CapstanError('BAD_REQUEST', 'WebSocket handshake required', { details: problem });
    const parsed = zExecQuery.safeParse(plainQueryInput(url, EXEC_PATH, []));
    if (!parsed.success) throw new CapstanError('BAD_REQUEST', 'Invalid input', { details: formatIssues(parsed.error.issues) });
    if (closing) throw new CapstanError('SERVICE_UNAVAILABLE', 'Server shutting down');
    const prepared = await sessions.prepare(parsed.data, session.actor);
    const refreshed = res.getHeader('set-cookie');
    if (refreshed) cookies.set(req, ([] as string[]).concat(refreshed as string | string[]));
    upgrade(req, socket, head, prepared, session.actor);
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, prepared: PreparedTerminal, actor: string) => {
    let joined = false;
    if (!closing && socket.writable && !socket.destroyed) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        joined = true;
        sessions.attach(prepared, ws, actor);
      });
    }
    // handleUpgrade calls back synchronously or not at all (it answered the handshake with an error itself).
    if (!joined) void sessions.abandon(prepared);
  };

  return {
    handleUpgrade(req, socket, head) {
      // A failure on one socket is that connection's, never the server's.
      socket.on('error', () => socket.destroy());
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (!EXEC_PATH.test(url.pathname)) {
        return refuse(socket, 404, { error: 'Not found', details: 'no WebSocket route at this path', code: 'NOT_FOUND' });
      }
      serve(req, socket, head, url).catch((err: unknown) => {
        const { status, body } = contractError(err);
        if (status >= 500) app.log.warn('terminal refused', { code: body.code, details: body.details });
        refuse(socket, status, body, status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
      });
    },
    async close() {
      closing = true;
      await sessions.closeAll();
    },
  };
}

/** A plain GET of the terminal's URL (no Upgrade): the same checks as the upgrade, nothing started. */
export function wantsTerminalCheck(req: IncomingMessage, url: URL): boolean {
  return req.method === 'GET' && EXEC_PATH.test(url.pathname) && req.headers.upgrade === undefined;
}

/**
 * A browser cannot read the answer to a refused WebSocket upgrade, so the
 * dashboard asks this first: the refusal the upgrade would give (401, 400,
 * 404, 409) in the contract's shape, or 426 "Upgrade Required" when the
 * terminal would open.
 */
export async function serveTerminalCheck(
  app: App,
  createContext: ReturnType<typeof createContextFactory>,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const input = await authenticatedInput(createContext, req, res, zExecQuery, plainQueryInput(url, EXEC_PATH, []));
  const { container, command } = await resolveTerminal({ row: (id) => app.services.view.row(id), engines: app.engines }, input);
  const body = JSON.stringify({ error: 'Upgrade Required', details: `open this URL as a WebSocket to run ${command.join(' ')} in ${container.name}`, code: 'UPGRADE_REQUIRED' });
  res.writeHead(426, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', Upgrade: 'websocket' });
  res.end(body);
}
