import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull, or } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { violatesUnique } from '../../db/errors.js';
import { apiTokens, users } from '../../db/schema.js';
import { CapstanError } from '../errors.js';
import { newId } from '../ids.js';

/**
 * API tokens: named, long-lived bearer tokens for scripts and pipelines.
 * Known at rest only by their SHA-256 (the token carries 160 random bits, so
 * a plain hash cannot be reversed and a lookup stays one indexed read); the
 * secret is shown once, at creation. A token acts as the user who made it
 * and is named in the audit as `token:<name>`.
 */
export const API_TOKEN_PREFIX = 'cst_';
const TOKEN_BYTES = 20;
const CACHE_MS = 5_000;
const CACHE_MAX = 10_000;
/** last_used_at is written at most this often per token: a busy pipeline must not mean a write per request. */
const TOUCH_EVERY_MS = 60_000;

export const isApiToken = (token: string) => token.startsWith(API_TOKEN_PREFIX);
const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export type ApiTokenRow = typeof apiTokens.$inferSelect;

export interface ValidApiToken {
  id: string;
  name: string;
  user: { id: string; username: string };
  expiresAt: Date | null;
}

interface Cached {
  token: ValidApiToken;
  at: number;
}

export class ApiTokenStore {
  private readonly cache = new Map<string, Cached>();
  private readonly touched = new Map<string, number>();
  /** Set once the cross-process notifications run: tells the other processes what to forget. */
  publish: ((what: string) => void) | undefined;

  constructor(private readonly db: Db) {}

  /** A new token for a user; the secret is in the answer and nowhere else. */
  async create(userId: string, name: string, expiresAt: Date | null): Promise<{ row: ApiTokenRow; token: string }> {
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new CapstanError('BAD_REQUEST', 'Invalid input', { details: 'expires_at: must be in the future' });
    }
    const token = API_TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
    const values = { id: newId(), name, userId, tokenHash: hashOf(token), hint: token.slice(-4), createdAt: new Date(), expiresAt, lastUsedAt: null };
    try {
      const [row] = await this.db.insert(apiTokens).values(values).returning();
      return { row: row!, token };
    } catch (err) {
      if (violatesUnique(err, 'api_token.name')) {
        throw new CapstanError('CONFLICT', 'Token name taken', { details: `a token named "${name}" exists; names are unique` });
      }
      throw err;
    }
  }

  list(): Promise<(ApiTokenRow & { username: string | null })[]> {
    return this.db
      .select({
        id: apiTokens.id,
        name: apiTokens.name,
        userId: apiTokens.userId,
        tokenHash: apiTokens.tokenHash,
        hint: apiTokens.hint,
        createdAt: apiTokens.createdAt,
        expiresAt: apiTokens.expiresAt,
        lastUsedAt: apiTokens.lastUsedAt,
        username: users.username,
      })
      .from(apiTokens)
      .leftJoin(users, eq(users.id, apiTokens.userId))
      .orderBy(desc(apiTokens.createdAt));
  }

  async find(id: string): Promise<ApiTokenRow | undefined> {
    const [row] = await this.db.select().from(apiTokens).where(eq(apiTokens.id, id));
    return row;
  }

  /** Revoked at once: here, and in every other process through publish. */
  async revoke(id: string): Promise<ApiTokenRow> {
    const [row] = await this.db.delete(apiTokens).where(eq(apiTokens.id, id)).returning();
    if (!row) throw new CapstanError('NOT_FOUND', 'Token not found', { details: `no token with id "${id}"` });
    this.forget(`token:${row.tokenHash}`);
    this.publish?.(`token:${row.tokenHash}`);
    return row;
  }

  async validate(token: string): Promise<ValidApiToken | null> {
    if (!/^cst_[A-Za-z0-9_-]{27}$/.test(token)) return null;
    const hash = hashOf(token);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && now - hit.at < CACHE_MS && (!hit.token.expiresAt || hit.token.expiresAt.getTime() > now)) {
      this.touch(hit.token.id, now);
      return hit.token;
    }
    this.cache.delete(hash);
    const [row] = await this.db
      .select({ id: apiTokens.id, name: apiTokens.name, expiresAt: apiTokens.expiresAt, userId: users.id, username: users.username })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(and(eq(apiTokens.tokenHash, hash), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, new Date(now)))));
    if (!row) return null;
    const valid: ValidApiToken = { id: row.id, name: row.name, user: { id: row.userId, username: row.username }, expiresAt: row.expiresAt };
    this.cache.set(hash, { token: valid, at: now });
    if (this.cache.size > CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    this.touch(row.id, now);
    return valid;
  }

  /** Drops cached tokens: `token:<hash>`, `user:<id>` (its tokens), or `all`. */
  forget(what: string): void {
    if (what === 'all') return this.cache.clear();
    if (what.startsWith('token:')) this.cache.delete(what.slice('token:'.length));
    else if (what.startsWith('user:')) for (const [hash, c] of this.cache) if (c.token.user.id === what.slice('user:'.length)) this.cache.delete(hash);
  }

  private touch(id: string, now: number): void {
    if (now - (this.touched.get(id) ?? 0) < TOUCH_EVERY_MS) return;
    this.touched.set(id, now);
    if (this.touched.size > CACHE_MAX) this.touched.delete(this.touched.keys().next().value!);
    // Best effort: a lost write only makes last_used_at older.
    void this.db.update(apiTokens).set({ lastUsedAt: new Date(now) }).where(eq(apiTokens.id, id)).catch(() => undefined);
  }
}
