import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { zAuditExportQuery, type AuditEntry } from '../shared/audit.js';
import type { App } from './app.js';
import { authenticatedInput, type createContextFactory } from './context.js';
import { exportAudit } from './services/audit-query.js';

export const AUDIT_EXPORT_PATH = '/api/audit/export';

/** trpc-to-openapi answers JSON only; the export (NDJSON or CSV) is served here, with the same auth and errors. */
export function wantsAuditExport(req: IncomingMessage, url: URL): boolean {
  return req.method === 'GET' && url.pathname === AUDIT_EXPORT_PATH;
}

const CSV_COLUMNS = ['id', 'at', 'actor', 'action', 'target', 'outcome', 'details'] as const;

/**
 * One CSV field. Actors include usernames typed at the login form by anyone:
 * a leading =, +, - or @ would make a spreadsheet run it as a formula, so such
 * fields are prefixed with a quote (OWASP's advice for CSV injection).
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(entry: AuditEntry): string {
  const cells = CSV_COLUMNS.map((c) => {
    const v = entry[c];
    return v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
  return `${cells.map(csvField).join(',')}\r\n`;
}

export const ndjsonLine = (entry: AuditEntry): string => `${JSON.stringify(entry)}\n`;

export async function serveAuditExport(
  app: App,
  createContext: ReturnType<typeof createContextFactory>,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const query = await authenticatedInput(createContext, req, res, zAuditExportQuery, Object.fromEntries(url.searchParams.entries()));
  const { format, ...filters } = query;
  const pages = exportAudit(app.audit.client, filters);
  // Read the first page before the headers go out, so a failure can still be a JSON error.
  const first = await pages.next();

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  res.statusCode = 200;
  res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="capstan-audit-${stamp}.${format}"`);
  res.setHeader('Cache-Control', 'no-store');
  const line = format === 'csv' ? csvLine : ndjsonLine;
  const write = async (text: string) => {
    if (!res.write(text)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  };
  try {
    if (format === 'csv') await write(`${CSV_COLUMNS.join(',')}\r\n`);
    let page = first;
    while (!page.done && !res.destroyed) {
      await write(page.value.map(line).join(''));
      page = await pages.next();
    }
    res.end();
  } catch (err) {
    // Headers are gone: the only honest signal left is a cut connection.
    app.log.error('audit export failed', { error: String(err) });
    res.destroy(err instanceof Error ? err : new Error(String(err)));
  } finally {
    await pages.return(undefined);
  }
}
