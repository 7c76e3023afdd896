import type { Db } from '../../db/client.js';
import { auditLog } from '../../db/schema.js';
import type { Logger } from '../log.js';

export type AuditOutcome = 'success' | 'failure';

export interface AuditEntryInput {
  actor: string;
  action: string;
  target?: string | null;
  outcome: AuditOutcome;
  details?: Record<string, unknown>;
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

/** The one writer every operation's audit entry goes through. */
export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  async record(entry: AuditEntryInput): Promise<void> {
    try {
      await this.db.insert(auditLog).values({
        at: new Date(),
        actor: entry.actor.slice(0, 128),
        action: entry.action,
        target: entry.target ?? null,
        outcome: entry.outcome,
        details: entry.details ? (redact(entry.details) as Record<string, unknown>) : null,
      });
    } catch (err) {
      // The operation itself already happened; losing its entry must be loud.
      this.log.error('audit write failed', { action: entry.action, error: String(err) });
      throw err;
    }
  }
}
