import type { Client, InStatement } from '@libsql/client';
import type { Db } from '../../db/client.js';
import { CapstanError } from '../errors.js';
import type { Logger } from '../log.js';
import { canonicalJson, chainRowFromDb, entryHash, GENESIS_TAIL, type ChainRow, type ChainTail } from './audit-chain.js';

export type AuditOutcome = 'success' | 'failure';

export interface AuditEntryInput {
  actor: string;
  action: string;
  target?: string | null;
  outcome: AuditOutcome;
  details?: Record<string, unknown>;
}

export interface RecordOptions {
  /**
   * The entry's time instead of now. Internal, for tests of retention: no
   * route or job passes it.
   */
  at?: Date;
}

/** Keys whose values are never written, whatever a caller passes. */
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|credential|environment|^env$|private[_-]?key/i;
const REDACTED = '[redacted]';

/** Removes secret-looking values at any depth; environment maps keep their keys only. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (SECRET_KEY.test(k)) {
        out[k] = v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : REDACTED;
      } else {
        out[k] = redact(v, depth + 1);
      }
    }
    return out;
  }
  return value;
}

/** How often an append is tried again after another process extended the chain first. */
const APPEND_ATTEMPTS = 40;

/** A random wait that grows with each attempt, so two processes racing for the end of the chain stop colliding. */
const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** attempt, 100)));

/**
 * Appends only if the chain still ends where this writer thinks it does: a
 * second Capstan process on the same database may have appended meanwhile.
 * The newest entry, else the last checkpoint, else the genesis is the end.
 */
const APPEND_SQL = `INSERT INTO audit_log (id, at, actor, action, target, outcome, details, prev_hash, hash)
SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?
WHERE COALESCE(
  (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1),
  (SELECT last_hash FROM audit_checkpoint ORDER BY last_id DESC LIMIT 1),
  ?
) = ?`;

/** The end of the chain as the database has it. */
export async function readTail(client: Client, beforeId?: number): Promise<ChainTail> {
  const last = await client.execute(
    beforeId === undefined
      ? 'SELECT id, at, hash FROM audit_log WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1'
      : { sql: 'SELECT id, at, hash FROM audit_log WHERE hash IS NOT NULL AND id < ? ORDER BY id DESC LIMIT 1', args: [beforeId] },
  );
  const row = last.rows[0];
  if (row) return { id: Number(row.id), at: Number(row.at), hash: String(row.hash) };
  const cp = await client.execute('SELECT last_id, last_at, last_hash FROM audit_checkpoint ORDER BY last_id DESC LIMIT 1');
  const c = cp.rows[0];
  return c ? { id: Number(c.last_id), at: Number(c.last_at), hash: String(c.last_hash) } : GENESIS_TAIL;
}

function isUniquenessConflict(err: unknown): boolean {
  const e = err as { code?: string; extendedCode?: string; message?: string };
  if (e.extendedCode === 'SQLITE_CONSTRAINT_UNIQUE' || e.extendedCode === 'SQLITE_CONSTRAINT_PRIMARYKEY') return true;
  return e.code === 'SQLITE_CONSTRAINT' && /UNIQUE constraint failed|PRIMARY KEY/i.test(e.message ?? '');
}

/**
 * The one writer every operation's audit entry goes through. Entries form a
 * hash chain: each stores the hash of its canonical content and the hash of
 * the entry before it. Appends are serialized in this process (one promise
 * chain) and checked against the database's own end of the chain, so
 * concurrent requests, jobs and other processes never fork it.
 */
export class AuditLog {
  readonly client: Client;
  private tail: ChainTail | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private sealed: Promise<void> | undefined;

  constructor(
    db: Db,
    private readonly log: Logger,
  ) {
    // drizzle's libSQL database carries its client; the chain needs plain SQL (conditional inserts, exact text).
    this.client = (db as Db & { $client: Client }).$client;
  }

  /** Appends one entry; answers its id. */
  async record(entry: AuditEntryInput, opts: RecordOptions = {}): Promise<number> {
    try {
      await this.ready();
      return await this.exclusive(() => this.append(entry, opts.at?.getTime()));
    } catch (err) {
      // The operation itself already happened; losing its entry must be loud.
      this.log.error('audit write failed', { action: entry.action, error: String(err) });
      throw err;
    }
  }

  /** Runs fn after every earlier append and prune step of this process, and before any later one. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Forgets the cached end of the chain (after a prune, or when another process may have appended). */
  forgetTail(): void {
    this.tail = undefined;
  }

  /** Entries written before the chain existed get their hashes once, in id order, before anything else reads or appends. */
  ready(): Promise<void> {
    this.sealed ??= this.exclusive(() => this.sealUnchained()).catch((err: unknown) => {
      this.sealed = undefined;
      throw err;
    });
    return this.sealed;
  }

  private async append(entry: AuditEntryInput, at: number | undefined): Promise<number> {
    const details = entry.details ? canonicalJson(redact(entry.details)) : null;
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      const tail = (this.tail ??= await readTail(this.client));
      const row: ChainRow = {
        id: tail.id + 1,
        // Never before the entry it follows: time filters can then map to id ranges.
        at: at ?? Math.max(Date.now(), tail.at),
        actor: entry.actor.slice(0, 128),
        action: entry.action,
        target: entry.target ?? null,
        outcome: entry.outcome,
        details,
        prevHash: tail.hash,
        hash: null,
      };
      const hash = entryHash({ ...row, prevHash: tail.hash });
      const statement: InStatement = {
        sql: APPEND_SQL,
        args: [row.id, row.at, row.actor, row.action, row.target, row.outcome, row.details, tail.hash, hash, GENESIS_TAIL.hash, tail.hash],
      };
      try {
        const result = await this.client.execute(statement);
        if (result.rowsAffected === 1) {
          this.tail = { id: row.id, at: row.at, hash };
          return row.id;
        }
      } catch (err) {
        if (!isUniquenessConflict(err)) throw err;
      }
      // Another writer extended the chain first: read its real end and link to that.
      this.tail = undefined;
      await backoff(attempt);
    }
    throw new CapstanError('INTERNAL_SERVER_ERROR', 'Audit log busy', { details: `no append after ${APPEND_ATTEMPTS} attempts` });
  }

  /**
   * Hashes entries written before the chain existed (the migration that added
   * it left them NULL). The update trigger allows exactly this and nothing else.
   */
  private async sealUnchained(): Promise<void> {
    const result = await this.client.execute(
      'SELECT id, at, actor, action, target, outcome, details FROM audit_log WHERE hash IS NULL ORDER BY id',
    );
    if (!result.rows.length) return;
    let prev = await readTail(this.client, Number(result.rows[0]!.id));
    const updates: InStatement[] = [];
    for (const r of result.rows) {
      const row = { ...chainRowFromDb(r), prevHash: prev.hash };
      const hash = entryHash(row);
      updates.push({ sql: 'UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ? AND hash IS NULL', args: [prev.hash, hash, row.id] });
      prev = { id: row.id, at: row.at, hash };
    }
    await this.client.batch(updates, 'write');
    this.tail = undefined;
    this.log.info('audit entries sealed into the hash chain', { count: updates.length });
  }
}

/**
 * What the code inside audited() may set while it runs: the target when only
 * the operation learns it, and details (these replace earlier ones of the same key).
 */
export interface AuditNote {
  target?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditScope {
  actor: string;
  target?: string | null;
  /** Details known before the operation runs; the note's details are merged over them. */
  details?: Record<string, unknown>;
  /** How a failure reads in the entry. Default: a CapstanError's message and code, anything else as an internal error. */
  describeError?: (err: unknown) => { error: string; code: string };
}

/** A failure as an entry shows it: the user-facing message and code, never a stack or a secret-bearing cause. */
export function describeFailure(err: unknown): { error: string; code: string } {
  return err instanceof CapstanError ? { error: err.message, code: err.code } : { error: 'Internal error', code: 'INTERNAL_SERVER_ERROR' };
}

/**
 * The one way an operation is audited: runs fn, then records one entry for
 * action, success or failure, with the target and details the caller set
 * (before, or on the note while fn runs) and, on failure, the error's message
 * and code. Values under secret-looking keys are redacted by the writer.
 * The operation's own error wins over a failed audit write (which is logged).
 */
export async function audited<T>(audit: AuditLog, action: string, scope: AuditScope, fn: (note: AuditNote) => Promise<T>): Promise<T> {
  const note: AuditNote = {};
  const entry = (outcome: AuditOutcome, extra?: Record<string, unknown>): AuditEntryInput => ({
    actor: scope.actor,
    action,
    target: note.target ?? scope.target ?? null,
    outcome,
    details: { ...scope.details, ...note.details, ...extra },
  });
  let value: T;
  try {
    value = await fn(note);
  } catch (err) {
    await audit.record(entry('failure', (scope.describeError ?? describeFailure)(err))).catch(() => undefined);
    throw err;
  }
  await audit.record(entry('success'));
  return value;
}
