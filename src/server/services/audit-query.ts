import type { Client, InStatement, Row } from '@libsql/client';
import { instantMs, type AuditEntry, type AuditFilters, type AuditPage, type AuditQuery } from '../../shared/audit.js';
import { CapstanError } from '../errors.js';

const COLUMNS = 'id, at, actor, action, target, outcome, details';
const CURSOR_PREFIX = 'a1.';

/** Opaque to clients; today the id of the last entry of the page. */
export function encodeCursor(id: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith(CURSOR_PREFIX) ? Number(text.slice(CURSOR_PREFIX.length)) : Number.NaN;
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new CapstanError('BAD_REQUEST', 'Invalid cursor', { details: 'cursor: use the next_cursor of a previous page' });
  }
  return id;
}

export interface PageBounds {
  /** Only ids below this (the cursor of a newest-first page). */
  beforeId?: number;
  /** Only ids above this (an oldest-first walk). */
  afterId?: number;
  /** Only ids up to this (the export's snapshot). */
  maxId?: number;
  limit: number;
  order: 'desc' | 'asc';
}

/**
 * One page of entries, keyset-paginated on id. Equality filters use the
 * (column, id) indexes, so a page reads one page of rows. Times become id
 * bounds through the at index: the writer keeps `at` non-decreasing along the
 * chain, so "at >= since" is "id >= the first id at or after since". The `+at`
 * terms keep the answer exact for entries written before that rule, and the
 * unary plus stops the planner from choosing the at index for the whole scan
 * (it would then have to sort).
 */
export function pageStatement(filters: AuditFilters, bounds: PageBounds): InStatement {
  const where: string[] = [];
  const args: (string | number)[] = [];
  for (const column of ['action', 'actor', 'target', 'outcome'] as const) {
    const value = filters[column];
    if (value !== undefined) {
      where.push(`${column} = ?`);
      args.push(value);
    }
  }
  if (filters.since !== undefined) {
    const since = parseTime('since', filters.since);
    where.push('id >= (SELECT id FROM audit_log WHERE at >= ? ORDER BY at, id LIMIT 1)', '+at >= ?');
    args.push(since, since);
  }
  if (filters.until !== undefined) {
    const until = parseTime('until', filters.until);
    where.push('id <= (SELECT id FROM audit_log WHERE at <= ? ORDER BY at DESC, id DESC LIMIT 1)', '+at <= ?');
    args.push(until, until);
  }
  if (bounds.beforeId !== undefined) {
    where.push('id < ?');
    args.push(bounds.beforeId);
  }
  if (bounds.afterId !== undefined) {
    where.push('id > ?');
    args.push(bounds.afterId);
  }
  if (bounds.maxId !== undefined) {
    where.push('id <= ?');
    args.push(bounds.maxId);
  }
  const sql =
    `SELECT ${COLUMNS} FROM audit_log` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY id ${bounds.order === 'desc' ? 'DESC' : 'ASC'} LIMIT ?`;
  args.push(bounds.limit);
  return { sql, args };
}

function parseTime(field: string, value: string): number {
  const ms = instantMs(value);
  if (Number.isNaN(ms)) throw new CapstanError('BAD_REQUEST', 'Invalid input', { details: `${field}: must be an ISO 8601 date or time` });
  return ms;
}

function parseDetails(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string') return {};
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  } catch {
    // Not JSON: someone wrote the row by hand. Show it; verify will name the entry.
    return { unparsed: text };
  }
}

export function toEntry(row: Row): AuditEntry {
  return {
    id: Number(row.id),
    at: new Date(Number(row.at)).toISOString(),
    actor: String(row.actor),
    action: String(row.action),
    target: row.target === null ? null : String(row.target),
    outcome: row.outcome === 'failure' ? 'failure' : 'success',
    details: parseDetails(row.details),
  };
}

/** GET /api/audit: newest first, limit entries, and a cursor when older ones remain. */
export async function listAudit(client: Client, query: AuditQuery): Promise<AuditPage> {
  const { limit, cursor, ...filters } = query;
  const beforeId = cursor === undefined ? undefined : decodeCursor(cursor);
  const result = await client.execute(pageStatement(filters, { beforeId, limit: limit + 1, order: 'desc' }));
  const rows = result.rows.slice(0, limit);
  const more = result.rows.length > limit;
  return { entries: rows.map(toEntry), next_cursor: more && rows.length ? encodeCursor(Number(rows.at(-1)!.id)) : null };
}

/**
 * Every matching entry, oldest first, in pages: what existed when the export
 * began (entries appended meanwhile are left for the next export).
 */
export async function* exportAudit(client: Client, filters: AuditFilters, pageSize = 1000): AsyncGenerator<AuditEntry[]> {
  const max = await client.execute('SELECT MAX(id) AS id FROM audit_log');
  const maxId = Number(max.rows[0]?.id ?? 0);
  let afterId = 0;
  for (;;) {
    const result = await client.execute(pageStatement(filters, { afterId, maxId, limit: pageSize, order: 'asc' }));
    if (!result.rows.length) return;
    yield result.rows.map(toEntry);
    if (result.rows.length < pageSize) return;
    afterId = Number(result.rows.at(-1)!.id);
  }
}
