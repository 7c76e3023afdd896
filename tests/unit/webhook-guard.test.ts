import { createHmac } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { atLeast, signatureMatches, SlidingWindowLimiter } from '../../src/server/services/webhook-guard.js';

describe('webhook signatures (X-Hub-Signature-256)', () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}');
  // The example from GitHub's documentation on validating webhook deliveries.
  it("matches GitHub's documented example", () => {
    const payload = Buffer.from('Hello, World!');
    expect(signatureMatches(payload, 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17', "It's a Secret to Everybody")).toBe(true);
  });

  it('accepts the HMAC of the raw body with the signing secret, and nothing else', () => {
    const good = `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`;
    expect(signatureMatches(body, good, 's3cret')).toBe(true);
    expect(signatureMatches(body, good.toUpperCase().replace('SHA256', 'sha256'), 's3cret')).toBe(true);
    expect(signatureMatches(body, good, 'other')).toBe(false);
    expect(signatureMatches(Buffer.from(`${body.toString()} `), good, 's3cret')).toBe(false);
    for (const bad of [undefined, '', 'sha256=', 'sha1=abc', good.slice(0, -2), `${good}00`, ['a', 'b']]) {
      expect(signatureMatches(body, bad as string | undefined, 's3cret')).toBe(false);
    }
  });
});

describe('the per-hook rate limit', () => {
  it('allows `limit` calls per window per key, then says how long to wait', () => {
    let now = 0;
    const limiter = new SlidingWindowLimiter(3, 60_000, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(60);
    expect(limiter.take('b')).toBe(0);
    now = 30_000;
    expect(limiter.take('a')).toBe(30);
    now = 60_001;
    expect(limiter.take('a')).toBe(0);
  });
});

describe('answers no sooner than a floor', () => {
  it('holds the answer until the floor has passed, on success and on failure', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    try {
      for (const work of [async () => 'done', async () => Promise.reject(new Error('nope'))]) {
        let settled = false;
        const answer = atLeast(performance.now(), 200, work).then(
          () => (settled = true),
          () => (settled = true),
        );
        await vi.advanceTimersByTimeAsync(150);
        expect(settled).toBe(false);
        await vi.advanceTimersByTimeAsync(60);
        expect(settled).toBe(true);
        await answer;
      }
    } finally {
      vi.useRealTimers();
    }
  });
});
