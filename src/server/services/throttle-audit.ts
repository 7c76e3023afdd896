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
  /** 429s of this window that wrote no entry. */
  suppressed: number;
  timer: NodeJS.Timeout;
}

/**
 * Summarises refused (429) logins, so that an unauthenticated client cannot
 * grow the hash-chained log as fast as it can send. Per throttle key and
 * window: the first 429 writes one entry (count 1); later ones only count;
 * when the window ends, one entry carries the count. If that write fails, the
 * next window's first entry carries it (`suppressed`). So a key adds at most
 * two entries per window, however many requests it sends.
 */
export class ThrottleAudit {
  private readonly windows = new Map<string, Window>();
  /** Counts whose closing entry could not be written: carried by the key's next entry. */
  private readonly carried = new Map<string, number>();

  constructor(
    private readonly audit: AuditLog,
    private readonly log: Logger,
    private readonly opts: ThrottleAuditOptions = defaultThrottleAudit,
  ) {}

  /** Called for each refused login; resolves once its entry (if it writes one) is in the log. */
  async refused(verdict: ThrottleVerdict, address: string, username: string): Promise<void> {
    const t = this.opts.now();
    const key = this.windows.size >= this.opts.maxKeys && !this.windows.has(verdict.key) ? 'overflow' : verdict.key;
    const open = this.windows.get(key);
    if (open && t < open.start + this.opts.windowMs) {
      open.suppressed++;
      return;
    }
    // A window whose timer has not run yet (a clock that moved on): close it now, its count goes into this entry.
    let suppressed = this.carried.get(key) ?? 0;
    this.carried.delete(key);
    if (open) {
      clearTimeout(open.timer);
      this.windows.delete(key);
      suppressed += open.suppressed;
    }
    // Registered before the write is awaited: concurrent 429s of this key are already counted, not written.
    const window: Window = { key, scope: verdict.scope, address, username, start: t, suppressed: 0, timer: undefined as unknown as NodeJS.Timeout };
    window.timer = setTimeout(() => void this.close(window), this.opts.windowMs);
    window.timer.unref();
    this.windows.set(key, window);
    await this.audit.record({
      actor: username,
      action: THROTTLED_ACTION,
      outcome: 'failure',
      details: {
        address,
        username,
        scope: key === 'overflow' ? 'overflow' : verdict.scope,
        count: 1,
        retry_after: verdict.wait,
        ...(suppressed > 0 ? { suppressed } : {}),
      },
    });
  }

  /** Ends every open window now, writing their counts (at shutdown, so no count is lost). */
  async flush(): Promise<void> {
    await Promise.all([...this.windows.values()].map((w) => this.close(w)));
  }

  private async close(w: Window): Promise<void> {
    if (this.windows.get(w.key) !== w) return;
    clearTimeout(w.timer);
    this.windows.delete(w.key);
    if (w.suppressed === 0) return;
    const end = Math.max(this.opts.now(), w.start);
    try {
      await this.audit.record({
        actor: w.username,
        action: THROTTLED_ACTION,
        outcome: 'failure',
        details: {
          address: w.address,
          username: w.username,
          scope: w.key === 'overflow' ? 'overflow' : w.scope,
          summary: true,
          count: w.suppressed + 1,
          suppressed: w.suppressed,
          window_start: new Date(w.start).toISOString(),
          window_end: new Date(end).toISOString(),
        },
      });
    } catch (err) {
      this.carried.set(w.key, (this.carried.get(w.key) ?? 0) + w.suppressed);
      this.log.warn('throttled-login summary not written; the next entry of its key carries the count', { error: String(err) });
    }
  }
}
