/**
 * Login throttling, in memory: at most 5 failures for one username from one
 * address, and 50 from one address, within a sliding 15-minute window.
 * A success clears that username's failures from that address.
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

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limits: ThrottleLimits = defaultLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the next attempt is allowed, or 0 when it is allowed now. */
  retryAfter(address: string, username: string): number {
    return this.check(address, username).wait;
  }

  /**
   * The wait and the key that imposes it: the whole address when its budget
   * is spent (whatever username is typed), else that username from it.
   */
  check(address: string, username: string): ThrottleVerdict {
    const t = this.now();
    const byAddress = this.waitFor(addressKey(address), this.limits.perAddress, t);
    if (byAddress > 0) return { wait: byAddress, key: addressKey(address), scope: 'address' };
    const byUser = this.waitFor(userKey(address, username), this.limits.perUser, t);
    return { wait: byUser, key: userKey(address, username), scope: 'user' };
  }

  recordFailure(address: string, username: string): void {
    const t = this.now();
    for (const key of [userKey(address, username), addressKey(address)]) {
      const list = this.recent(key, t);
      list.push(t);
      this.failures.set(key, list);
    }
    if (this.failures.size > 10_000) this.sweep(t);
  }

  recordSuccess(address: string, username: string): void {
    this.failures.delete(userKey(address, username));
  }

  private waitFor(key: string, limit: number, t: number): number {
    const list = this.recent(key, t);
    if (list.length < limit) return 0;
    const oldestThatCounts = list[list.length - limit] ?? t;
    return Math.max(1, Math.ceil((oldestThatCounts + this.limits.windowMs - t) / 1000));
  }

  private recent(key: string, t: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => at > t - this.limits.windowMs);
  }

  /** Keeps memory bounded under a flood of distinct usernames. */
  private sweep(t: number): void {
    for (const [key, list] of this.failures) {
      const kept = list.filter((at) => at > t - this.limits.windowMs);
      if (kept.length === 0) this.failures.delete(key);
      else this.failures.set(key, kept);
    }
  }
}

const userKey = (address: string, username: string) => `u\0${address}\0${username}`;
const addressKey = (address: string) => `a\0${address}`;
