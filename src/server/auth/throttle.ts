import type { Client } from '@libsql/client';

/**
 * Login throttling: at most 5 failures for one username from one address,
 * and 50 from one address, within a sliding 15-minute window. A success
 * clears that username's failures from that address. The failures live in a
 * store: the shared database (every Capstan process of one system counts
 * the same attempts), or memory for a process of its own.
 */
export interface ThrottleLimits {
  perUser: number;
  perAddress: number;
  windowMs: number;
}

/** What the throttle says about one attempt. */
export interface ThrottleVerdict {
  /** Seconds until an attempt is allowed; 0: allowed now. */
  wait: number;
  /** The throttle key that blocks (or would block): one per address, or per username from an address. */
  key: string;
  scope: 'user' | 'address';
}

export const defaultLimits: ThrottleLimits = { perUser: 5, perAddress: 50, windowMs: 15 * 60_000 };

/** Failure times per key. */
export interface FailureStore {
  /** The newest `limit` failure times of `key` after `since`, newest first. */
  recent(key: string, since: number, limit: number): Promise<number[]>;
  add(keys: string[], at: number): Promise<void>;
  clear(key: string): Promise<void>;
  /** Forgets failures at or before `before`. */
  prune(before: number): Promise<void>;
}

export class LoginThrottle {
  constructor(
    private readonly limits: ThrottleLimits = defaultLimits,
    private readonly now: () => number = Date.now,
    private readonly store: FailureStore = new MemoryFailures(),
  ) {}

  /** Seconds until the next attempt is allowed, or 0 when it is allowed now. */
  async retryAfter(address: string, username: string): Promise<number> {
    return (await this.check(address, username)).wait;
  }

  /**
   * The wait and the key that imposes it: the whole address when its budget
   * is spent (whatever username is typed), else that username from it.
   */
  async check(address: string, username: string): Promise<ThrottleVerdict> {
    const t = this.now();
    const byAddress = await this.waitFor(addressKey(address), this.limits.perAddress, t);
    if (byAddress > 0) return { wait: byAddress, key: addressKey(address), scope: 'address' };
    const byUser = await this.waitFor(userKey(address, username), this.limits.perUser, t);
    return { wait: byUser, key: userKey(address, username), scope: 'user' };
  }

  async recordFailure(address: string, username: string): Promise<void> {
    const t = this.now();
    await this.store.add([userKey(address, username), addressKey(address)], t);
    // Keeps the store bounded under a flood of distinct usernames.
    await this.store.prune(t - this.limits.windowMs);
  }

  recordSuccess(address: string, username: string): Promise<void> {
    return this.store.clear(userKey(address, username));
  }

  private async waitFor(key: string, limit: number, t: number): Promise<number> {
    const list = await this.store.recent(key, t - this.limits.windowMs, limit);
    if (list.length < limit) return 0;
    const oldestThatCounts = list[limit - 1] ?? t;
    return Math.max(1, Math.ceil((oldestThatCounts + this.limits.windowMs - t) / 1000));
  }
}

/** Failures in this process only. */
export class MemoryFailures implements FailureStore {
  private readonly failures = new Map<string, number[]>();

  async recent(key: string, since: number, limit: number): Promise<number[]> {
    return (this.failures.get(key) ?? []).filter((at) => at > since).reverse().slice(0, limit);
  }

  async add(keys: string[], at: number): Promise<void> {
    for (const key of keys) this.failures.set(key, [...(this.failures.get(key) ?? []), at]);
  }

  async clear(key: string): Promise<void> {
    this.failures.delete(key);
  }

  async prune(before: number): Promise<void> {
    if (this.failures.size <= 10_000) return;
    for (const [key, list] of this.failures) {
      const kept = list.filter((at) => at > before);
      if (kept.length === 0) this.failures.delete(key);
      else this.failures.set(key, kept);
    }
  }
}

/**
 * Failures in the product database, which every Capstan process of one system
 * opens: an attempt refused by one is refused by all. The table is a cache of
 * the last 15 minutes, not data to migrate, so it is made here when missing.
 */
export class DatabaseFailures implements FailureStore {
  private ready: Promise<void> | undefined;

  constructor(private readonly client: Client) {}

  async recent(key: string, since: number, limit: number): Promise<number[]> {
    await this.table();
    const r = await this.client.execute({
      sql: 'SELECT at FROM login_failures WHERE key = ? AND at > ? ORDER BY at DESC LIMIT ?',
      args: [key, since, limit],
    });
    return r.rows.map((row) => Number(row.at));
  }

  async add(keys: string[], at: number): Promise<void> {
    await this.table();
    await this.client.batch(
      keys.map((key) => ({ sql: 'INSERT INTO login_failures (key, at) VALUES (?, ?)', args: [key, at] })),
      'write',
    );
  }

  async clear(key: string): Promise<void> {
    await this.table();
    await this.client.execute({ sql: 'DELETE FROM login_failures WHERE key = ?', args: [key] });
  }

  async prune(before: number): Promise<void> {
    await this.table();
    await this.client.execute({ sql: 'DELETE FROM login_failures WHERE at <= ?', args: [before] });
  }

  private table(): Promise<void> {
    this.ready ??= this.client
      .batch(
        [
          'CREATE TABLE IF NOT EXISTS login_failures (key TEXT NOT NULL, at INTEGER NOT NULL)',
          'CREATE INDEX IF NOT EXISTS login_failures_key_at ON login_failures (key, at)',
          'CREATE INDEX IF NOT EXISTS login_failures_at ON login_failures (at)',
        ],
        'write',
      )
      .then(
        () => undefined,
        (err: unknown) => {
          this.ready = undefined;
          throw err;
        },
      );
    return this.ready;
  }
}

// JSON: unambiguous whatever a username holds, and no NUL (the database compares text as it stores it).
const userKey = (address: string, username: string) => JSON.stringify(['u', address, username]);
const addressKey = (address: string) => JSON.stringify(['a', address]);
