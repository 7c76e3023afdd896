import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The checks in front of a deploy webhook: the signature GitHub and Gitea
 * send (`X-Hub-Signature-256: sha256=<hex HMAC of the raw body>`), a rate
 * limit per hook, and an answer time that does not tell a known secret from
 * an unknown one.
 */
export function signatureMatches(body: Buffer, header: string | string[] | undefined, signingSecret: string): boolean {
  if (typeof header !== 'string') return false;
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!m) return false;
  const expected = createHmac('sha256', signingSecret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(m[1]!, 'hex'));
}

/** At most `limit` calls per key within a sliding window; the wait (seconds) when over. */
export class SlidingWindowLimiter {
  private readonly calls = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the call and answers 0, or answers the seconds to wait (the call is not recorded). */
  take(key: string): number {
    const t = this.now();
    const recent = (this.calls.get(key) ?? []).filter((at) => t - at < this.windowMs);
    if (recent.length >= this.limit) {
      this.calls.set(key, recent);
      return Math.max(1, Math.ceil((recent[0]! + this.windowMs - t) / 1000));
    }
    recent.push(t);
    this.calls.set(key, recent);
    if (this.calls.size > 10_000) this.prune(t);
    return 0;
  }

  private prune(t: number): void {
    for (const [key, times] of this.calls) if (!times.some((at) => t - at < this.windowMs)) this.calls.delete(key);
  }
}

/**
 * Runs `work` and answers no sooner than `floorMs` after `startedAt`: a
 * request with an unknown secret (one indexed read) and one with a known
 * secret (a read, a check, a queued deployment) take the same time.
 */
export async function atLeast<T>(startedAt: number, floorMs: number, work: () => Promise<T>): Promise<T> {
  const settle = async () => {
    const left = floorMs - (performance.now() - startedAt);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
  };
  try {
    const result = await work();
    await settle();
    return result;
  } catch (err) {
    await settle();
    throw err;
  }
}
