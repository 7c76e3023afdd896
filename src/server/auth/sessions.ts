import { createHash } from 'node:crypto';
import { DrizzleSQLiteAdapter } from '@lucia-auth/adapter-drizzle';
import { Lucia, TimeSpan, generateIdFromEntropySize } from 'lucia';
import type { Db } from '../../db/client.js';
import { sessions, users } from '../../db/schema.js';
import { ApiTokenStore, isApiToken } from './api-tokens.js';

/**
 * Sessions. lucia v3 is ended upstream, so every use of it stays in this
 * folder: the rest of Capstan sees only SessionStore.
 *
 * At rest, a session is known only by the SHA-256 of its token: the client
 * holds the random token, lucia (and the session table) the hash as the
 * session id. A copy of the database file opens no session. The token has
 * 160 bits of entropy, so a plain hash (no salt, no stretching) cannot be
 * reversed; and it lets a lookup stay one indexed read.
 */
const SESSION_DAYS = 7;
/** 25 random bytes: 40 characters of lowercase base32, as lucia's own ids. */
const TOKEN_BYTES = 25;
export const SESSION_COOKIE = 'capstan_session';

function createLucia(db: Db) {
  return new Lucia(new DrizzleSQLiteAdapter(db, sessions, users), {
    // lucia slides the expiry forward once half of it has passed (`fresh`).
    sessionExpiresIn: new TimeSpan(SESSION_DAYS, 'd'),
    sessionCookie: { name: SESSION_COOKIE, expires: true, attributes: { sameSite: 'strict', path: '/' } },
    getUserAttributes: (attrs) => ({ username: attrs.username }),
  });
}

declare module 'lucia' {
  interface Register {
    Lucia: ReturnType<typeof createLucia>;
    DatabaseUserAttributes: { username: string };
  }
}

export interface SessionUser {
  id: string;
  username: string;
}

export interface ValidSession {
  user: SessionUser;
  token: string;
  expiresAt: Date;
  /** The expiry moved forward during this validation: send the client a new cookie. */
  refreshed: boolean;
  /** Who the audit and the deployments name: the username, or `token:<name>` for an API token. */
  actor: string;
  /** Set when an API token (not a login session) authenticated the request. */
  apiToken?: { id: string; name: string };
}

/** API tokens never expire by themselves unless given a date; this stands in for "no expiry". */
const NEVER = new Date('9999-12-31T23:59:59.999Z');

/** How long a validated session is trusted from memory: bounds what a change made outside every server process (the CLI) takes to apply. */
const CACHE_MS = 5_000;
const CACHE_MAX = 10_000;
/** lucia moves the expiry forward once less than half of it is left; a session that close to it is validated in the database. */
const REFRESH_BEFORE_MS = (SESSION_DAYS / 2) * 86_400_000;

interface Cached {
  user: SessionUser;
  expiresAt: Date;
  at: number;
}

export class SessionStore {
  private readonly lucia: ReturnType<typeof createLucia>;
  /** Validated sessions by id; dropped at once on logout, password change and user removal (here, and in other processes through publish). */
  private readonly cache = new Map<string, Cached>();
  /** Set once the cross-process notifications run: tells the other processes what to forget. */
  publish: ((what: string) => void) | undefined;

  /** API tokens: validated here too, so a token works wherever a session bearer token does. */
  readonly apiTokens: ApiTokenStore;

  constructor(db: Db) {
    this.lucia = createLucia(db);
    this.apiTokens = new ApiTokenStore(db);
    this.apiTokens.publish = (what) => this.publish?.(what);
  }

  async create(userId: string): Promise<{ token: string; expiresAt: Date }> {
    const token = generateIdFromEntropySize(TOKEN_BYTES);
    const session = await this.lucia.createSession(userId, {}, { sessionId: sessionIdOf(token) });
    return { token, expiresAt: session.expiresAt };
  }

  async validate(token: string): Promise<ValidSession | null> {
    if (isApiToken(token)) {
      const t = await this.apiTokens.validate(token);
      return t ? { user: t.user, token, expiresAt: t.expiresAt ?? NEVER, refreshed: false, actor: `token:${t.name}`, apiToken: { id: t.id, name: t.name } } : null;
    }
    // Tokens are lowercase base32; refuse anything else before touching the database.
    if (!/^[a-z0-9]{16,128}$/.test(token)) return null;
    const id = sessionIdOf(token);
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < CACHE_MS && hit.expiresAt.getTime() - now > REFRESH_BEFORE_MS) {
      return { user: hit.user, token, expiresAt: hit.expiresAt, refreshed: false, actor: hit.user.username };
    }
    const { session, user } = await this.lucia.validateSession(id);
    if (!session) {
      this.cache.delete(id);
      return null;
    }
    const valid = { user: { id: user.id, username: user.username }, token, expiresAt: session.expiresAt, refreshed: session.fresh, actor: user.username };
    this.cache.delete(id);
    this.cache.set(id, { user: valid.user, expiresAt: valid.expiresAt, at: now });
    if (this.cache.size > CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    return valid;
  }

  async invalidate(token: string): Promise<void> {
    const id = sessionIdOf(token);
    this.forget(`session:${id}`);
    await this.lucia.invalidateSession(id);
    // Again after the write: a validation that raced the delete must not leave the session cached.
    this.forget(`session:${id}`);
    this.publish?.(`session:${id}`);
  }

  async invalidateUser(userId: string): Promise<void> {
    this.forget(`user:${userId}`);
    await this.lucia.invalidateUserSessions(userId);
    this.forget(`user:${userId}`);
    this.publish?.(`user:${userId}`);
  }

  /** Drops cached sessions: `session:<id>`, `user:<id>`, or `all` (the notifications were cut: anything may have changed). */
  forget(what: string): void {
    this.apiTokens.forget(what);
    if (what === 'all') return this.cache.clear();
    const [kind, id] = [what.slice(0, what.indexOf(':')), what.slice(what.indexOf(':') + 1)];
    if (kind === 'session') this.cache.delete(id);
    else if (kind === 'user') for (const [sid, c] of this.cache) if (c.user.id === id) this.cache.delete(sid);
  }

  deleteExpired(): Promise<void> {
    return this.lucia.deleteExpiredSessions();
  }

  /** Set-Cookie value for a session (the token, never its stored id); Secure when the request came over HTTPS. */
  cookie(token: string, secure: boolean): string {
    const cookie = this.lucia.createSessionCookie(token);
    cookie.attributes.secure = secure;
    return cookie.serialize();
  }

  blankCookie(secure: boolean): string {
    const cookie = this.lucia.createBlankSessionCookie();
    cookie.attributes.secure = secure;
    return cookie.serialize();
  }

  readCookie(cookieHeader: string | undefined): string | null {
    return cookieHeader ? this.lucia.readSessionCookie(cookieHeader) : null;
  }

  readBearer(authorization: string | undefined): string | null {
    return authorization ? this.lucia.readBearerToken(authorization) : null;
  }
}

/** The session id stored for a token: its SHA-256, in hex. */
export function sessionIdOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export const newUserId = () => generateIdFromEntropySize(10);
