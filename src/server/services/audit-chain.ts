import { createHash } from 'node:crypto';

/** The prev_hash of the very first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Bumped if the canonical form ever changes; part of every hash. */
const CHAIN_VERSION = 'capstan-audit-v1';

/** An audit_log row as stored: details is the JSON text exactly as written. */
export interface ChainRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  details: string | null;
  prevHash: string | null;
  hash: string | null;
}

const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** An audit_log row as the database client returns it. */
export function chainRowFromDb(r: Record<string, unknown>): ChainRow {
  return {
    id: Number(r.id),
    at: Number(r.at),
    actor: String(r.actor),
    action: String(r.action),
    target: text(r.target),
    outcome: String(r.outcome),
    details: text(r.details),
    prevHash: text(r.prev_hash),
    hash: text(r.hash),
  };
}

/** The end of the chain a new entry links to: the newest entry, the last pruned one, or the genesis. */
export interface ChainTail {
  id: number;
  at: number;
  hash: string;
}

export const GENESIS_TAIL: ChainTail = { id: 0, at: 0, hash: GENESIS_HASH };

/** JSON with object keys sorted at every depth, so equal details always serialize (and hash) the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/**
 * SHA-256 over the entry's stored columns, prev_hash included. The details
 * text is hashed as stored, so any edit of it (even a reformatting) shows.
 */
export function entryHash(row: Omit<ChainRow, 'hash' | 'prevHash'> & { prevHash: string }): string {
  const canonical = JSON.stringify([CHAIN_VERSION, row.id, row.at, row.actor, row.action, row.target, row.outcome, row.details, row.prevHash]);
  return createHash('sha256').update(canonical).digest('hex');
}

export interface BrokenLink {
  id: number;
  reason: string;
}

/**
 * Walks the chain in id order from a starting tail (the last checkpoint, or
 * the genesis) and stops at the first entry that does not hold.
 */
export class ChainVerifier {
  checked = 0;
  broken: BrokenLink | null = null;
  private expected: ChainTail;

  constructor(start: ChainTail) {
    this.expected = start;
  }

  get head(): ChainTail {
    return this.expected;
  }

  /** False once the chain is broken: there is no point reading further. */
  feed(row: ChainRow): boolean {
    if (this.broken) return false;
    const reason = this.check(row);
    if (reason) {
      this.broken = { id: row.id, reason };
      return false;
    }
    this.checked++;
    this.expected = { id: row.id, at: row.at, hash: row.hash! };
    return true;
  }

  private check(row: ChainRow): string | undefined {
    const before = this.expected;
    if (row.hash === null || row.prevHash === null) return 'the entry has no hash: it was not written by the audit writer';
    if (entryHash({ ...row, prevHash: row.prevHash }) !== row.hash) return 'the content does not match its hash: the entry was changed';
    if (row.id <= before.id) {
      return before.id === 0 ? 'the entry id is not positive' : `the entry lies at or before entry ${before.id}, which the chain already passed (or pruned)`;
    }
    if (row.id > before.id + 1) {
      const missing = row.id - 1 === before.id + 1 ? `entry ${before.id + 1} is` : `entries ${before.id + 1} to ${row.id - 1} are`;
      return `${missing} missing before it: removed outside retention`;
    }
    if (row.prevHash !== before.hash) {
      return before.id === 0
        ? 'prev_hash is not the genesis value: entries before it were removed or it was rewritten'
        : `prev_hash does not match the hash of entry ${before.id}: that entry was rewritten, or this one was`;
    }
    return undefined;
  }
}
