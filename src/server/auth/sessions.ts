import { createHash } from 'node:crypto';
import { DrizzleSQLiteAdapter } from '@lucia-auth/adapter-drizzle';
import { Lucia, TimeSpan, generateIdFromEntropySize } from 'lucia';
import type { Db } from '../../db/client.js';
import { sessions, users } from '../../db/schema.js';

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
}

export class SessionStore {
  private readonly lucia: ReturnType<typeof createLucia>;

  constructor(db: Db) {
    this.lucia = createLucia(db);
  }

  async create(userId: string): Promise<{ token: string; expiresAt: Date }> {
    const token = generateIdFromEntropySize(TOKEN_BYTES);
    const session = await this.lucia.createSession(userId, {}, { sessionId: sessionIdOf(token) });
    return { token, expiresAt: session.expiresAt };
  }

  async validate(token: string): Promise<ValidSession | null> {
    // Tokens are lowercase base32; refuse anything else before touching the database.
    if (!/^[a-z0-9]{16,128}$/.test(token)) return null;
    const { session, user } = await this.lucia.validateSession(sessionIdOf(token));
    if (!session) return null;
    return {
      user: { id: user.id, username: user.username },
      token,
      expiresAt: session.expiresAt,
      refreshed: session.fresh,
    };
  }

  invalidate(token: string): Promise<void> {
    return this.lucia.invalidateSession(sessionIdOf(token));
  }

  invalidateUser(userId: string): Promise<void> {
    return this.lucia.invalidateUserSessions(userId);
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
