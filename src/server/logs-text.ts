import type { IncomingMessage, ServerResponse } from 'node:http';
import { zLogsQuery } from '../shared/logs.js';
import type { App } from './app.js';
import { authenticatedInput, type createContextFactory } from './context.js';
import { plainQueryInput } from './plain-input.js';
import { getServiceLogs, logsAsText } from './services/logs.js';

const LOGS_PATH = /^\/api\/services\/([^/]+)\/logs$/;

/**
 * trpc-to-openapi answers JSON only; plain-text logs (?format=text, or
 * Accept: text/plain) are served here, with the same auth and errors.
 */
export function wantsTextLogs(req: IncomingMessage, url: URL): boolean {
  if (req.method !== 'GET' || !LOGS_PATH.test(url.pathname)) return false;
  const format = url.searchParams.get('format');
  if (format) return format === 'text';
  const accept = req.headers.accept ?? '';
  return accept.includes('text/plain') && !accept.includes('application/json');
}

export async function serveTextLogs(
  app: App,
  createContext: ReturnType<typeof createContextFactory>,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const query = await authenticatedInput(createContext, req, res, zLogsQuery, plainQueryInput(url, LOGS_PATH));
  const text = logsAsText(await getServiceLogs(app.logs, query));
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(text);
}
