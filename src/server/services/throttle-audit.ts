import type { ThrottleVerdict } from '../auth/throttle.js';
import type { Logger } from '../log.js';
import type { AuditLog } from './audit.js';

export const THROTTLED_ACTION = 'auth.login_throttled';

export interface ThrottleAuditOptions {
  /** Length of one summary window per throttle key. */
  windowMs: number;
  now: () => number;
  /** Keys tracked at once; beyond it new keys are counted in one overflow window, not each on its own. */
  maxKeys: number;
}

export const defaultThrottleAudit: ThrottleAuditOptions = { windowMs: 15 * 60_000, now: Date.now, maxKeys: 10_000 };

interface Window {
  key: string;
  scope: ThrottleVerdict['scope'];
  address: string;
  /** As typed in the attempt that opened the window. */
  username: string;
  start: number;
  /** 429s of this window, written as one entry when it closes. */
  count: number;
  retryAfter: number;
  timer: NodeJS.Timeout;
}

/**
 * Summarises refused (429) logins, so that an unauthenticated client cannot
 * grow the hash-chained log as fast as it can send: per throttle key and
 * window, the 429s are counted and ONE entry with the count is written when
 * the window closes (its timer, the key's next refusal after it, or flush at
 * shutdown). The failed logins that led to the throttle are audited one by
 * one as usual. If the closing write fails, the key's next entry carries the
 * count.
 */
export class ThrottleAudit {
  private readonly windows = new Map<string, Window>();
  /** Counts whose entry could not be written: carried by the key's next entry. */
  private readonly carried = new Map<string, number>();

  constructor(
    private readonly audit: AuditLog,
    private readonly log: Logger,
    private readonly opts: ThrottleAuditOptions = defaultThrottleAudit,
  ) {}

  /** Called for each refused login; writes nothing itself unless it closes a window whose time is up. */
  async refused(verdict: ThrottleVerdict, address: string, username: string): Promise<void> {
    const t = this.opts.now();
    const key = this.windows.size >= this.opts.maxKeys && !this.windows.has(verdict.key) ? 'overflow' : verdict.key;
    const open = this.windows.get(key);
    if (open && t < open.start + this.opts.windowMs) {
      open.count++;
      open.retryAfter = verdict.wait;
      return;
    }
    // A window whose timer has not run yet (a clock that moved on): it closes now, and a new one opens.
    const window: Window = { key, scope: verdict.scope, address, username, start: t, count: 1, retryAfter: verdict.wait, timer: undefined as unknown as NodeJS.Timeout };
    window.timer = setTimeout(() => void this.close(window), this.opts.windowMs);
    window.timer.unref();
    this.windows.set(key, window);
    if (open) await this.close(open, true);
  }

  /** Ends every open window now, writing their counts (at shutdown, so no count is lost). */
  async flush(): Promise<void> {
    await Promise.all([...this.windows.values()].map((w) => this.close(w)));
  }

  private async close(w: Window, replaced = false): Promise<void> {
    if (!replaced && this.windows.get(w.key) !== w) return;
    clearTimeout(w.timer);
    if (!replaced) this.windows.delete(w.key);
    const carried = this.carried.get(w.key) ?? 0;
    this.carried.delete(w.key);
    const end = Math.min(Math.max(this.opts.now(), w.start), w.start + this.opts.windowMs);
    try {
      await this.audit.record({
        actor: w.username,
        action: THROTTLED_ACTION,
        outcome: 'failure',
        details: {
          address: w.address,
          username: w.username,
          scope: w.key === 'overflow' ? 'overflow' : w.scope,
          count: w.count + carried,
          retry_after: w.retryAfter,
          window_start: new Date(w.start).toISOString(),
          window_end: new Date(end).toISOString(),
        },
      });
    } catch (err) {
      this.carried.set(w.key, carried + w.count);
      this.log.warn('throttled-login summary not written; the next entry of its key carries the count', { error: String(err) });
    }
  }
}
