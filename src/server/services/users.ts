import { randomBytes } from 'node:crypto';
import { asc, count, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { users } from '../../db/schema.js';
import { hashPassword } from '../auth/passwords.js';
import { newUserId, type SessionStore } from '../auth/sessions.js';
import { CapstanError } from '../errors.js';

export const USERNAME_RULE = /^[a-zA-Z0-9._-]{1,64}$/;
export const MIN_PASSWORD_LENGTH = 8;

export interface UserSummary {
  id: string;
  username: string;
  createdAt: Date;
}

function checkUsername(username: string): void {
  if (!USERNAME_RULE.test(username)) {
    throw new CapstanError('BAD_REQUEST', 'Invalid username', {
      details: 'username: 1-64 letters, digits, dots, dashes or underscores',
    });
  }
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new CapstanError('BAD_REQUEST', 'Password too short', {
      details: `password: at least ${MIN_PASSWORD_LENGTH} characters`,
    });
  }
}

export class UserService {
  constructor(
    private readonly db: Db,
    private readonly sessions: SessionStore,
  ) {}

  async add(username: string, password: string): Promise<UserSummary> {
    checkUsername(username);
    checkPassword(password);
    const passwordHash = await hashPassword(password);
    const id = newUserId();
    const inserted = await this.db
      .insert(users)
      .values({ id, username, passwordHash })
      .onConflictDoNothing({ target: users.username })
      .returning();
    const row = inserted[0];
    if (!row) throw new CapstanError('CONFLICT', 'Username already taken', { details: `username: "${username}"` });
    return { id: row.id, username: row.username, createdAt: row.createdAt };
  }

  /** A new password ends every session of that user. */
  async setPassword(username: string, password: string): Promise<UserSummary> {
    checkPassword(password);
    const user = await this.require(username);
    await this.db.update(users).set({ passwordHash: await hashPassword(password) }).where(eq(users.id, user.id));
    await this.sessions.invalidateUser(user.id);
    return { id: user.id, username: user.username, createdAt: user.createdAt };
  }

  async list(): Promise<UserSummary[]> {
    return this.db
      .select({ id: users.id, username: users.username, createdAt: users.createdAt })
      .from(users)
      .orderBy(asc(users.username));
  }

  async remove(username: string): Promise<UserSummary> {
    const user = await this.require(username);
    const [{ n } = { n: 0 }] = await this.db.select({ n: count() }).from(users);
    if (n <= 1) throw new CapstanError('CONFLICT', 'Cannot remove the last user', { details: `username: "${username}"` });
    await this.sessions.invalidateUser(user.id);
    await this.db.delete(users).where(eq(users.id, user.id));
    return { id: user.id, username: user.username, createdAt: user.createdAt };
  }

  async findByUsername(username: string) {
    const [row] = await this.db.select().from(users).where(eq(users.username, username)).limit(1);
    return row;
  }

  async isEmpty(): Promise<boolean> {
    const [row] = await this.db.select({ id: users.id }).from(users).limit(1);
    return !row;
  }

  private async require(username: string) {
    const user = await this.findByUsername(username);
    if (!user) throw new CapstanError('NOT_FOUND', 'User not found', { details: `username: "${username}"` });
    return user;
  }
}

/**
 * The first admin: from the configuration when given, otherwise with a random
 * password that is returned once for the caller to print. Does nothing when a user exists.
 */
export async function ensureFirstAdmin(
  usersService: UserService,
  admin: { username: string; password: string } | undefined,
): Promise<{ id: string; username: string; generatedPassword?: string } | undefined> {
  if (!(await usersService.isEmpty())) return undefined;
  if (admin) {
    const user = await usersService.add(admin.username, admin.password);
    return { id: user.id, username: user.username };
  }
  const generatedPassword = randomBytes(18).toString('base64url');
  const user = await usersService.add('admin', generatedPassword);
  return { id: user.id, username: user.username, generatedPassword };
}
