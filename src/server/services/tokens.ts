import type { TokenCreated, TokenObject } from '../../shared/tokens.js';
import type { ApiTokenRow, ApiTokenStore } from '../auth/api-tokens.js';
import { CapstanError } from '../errors.js';
import type { UserService } from './users.js';

function toObject(row: ApiTokenRow & { username: string | null }, now = Date.now()): TokenObject {
  return {
    id: row.id,
    name: row.name,
    hint: `…${row.hint}`,
    user: row.username ? { id: row.userId, username: row.username } : null,
    created_at: row.createdAt.toISOString(),
    expires_at: row.expiresAt?.toISOString() ?? null,
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    expired: row.expiresAt !== null && row.expiresAt.getTime() <= now,
  };
}

/** API tokens as the API, the dashboard and the CLI see them: never the secret, except once in the answer to its creation. */
export class TokenService {
  constructor(
    private readonly store: ApiTokenStore,
    private readonly users: UserService,
  ) {}

  async list(): Promise<TokenObject[]> {
    const now = Date.now();
    return (await this.store.list()).map((r) => toObject(r, now));
  }

  async create(userId: string, name: string, expiresAt: string | undefined): Promise<TokenCreated> {
    const { row, token } = await this.store.create(userId, name, expiresAt ? new Date(expiresAt) : null);
    return { id: row.id, name: row.name, token, created_at: row.createdAt.toISOString(), expires_at: row.expiresAt?.toISOString() ?? null };
  }

  /** For the CLI, which names a user (or, with exactly one user, needs none). */
  async createFor(username: string | undefined, name: string, expiresAt: string | undefined): Promise<TokenCreated> {
    const all = await this.users.list();
    const user = username ? all.find((u) => u.username === username) : all.length === 1 ? all[0] : undefined;
    if (!user) {
      throw new CapstanError('BAD_REQUEST', username ? `No user named ${username}` : 'Name the user the token acts as', { details: 'use --user NAME' });
    }
    return this.create(user.id, name, expiresAt);
  }

  async revoke(id: string): Promise<TokenObject> {
    const row = await this.store.revoke(id);
    return toObject({ ...row, username: null });
  }

  /** By id or by name (the CLI's way). */
  async find(idOrName: string): Promise<TokenObject | undefined> {
    return (await this.list()).find((t) => t.id === idOrName || t.name === idOrName);
  }
}
