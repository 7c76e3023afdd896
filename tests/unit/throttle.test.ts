import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/server/auth/throttle.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('LoginThrottle', () => {
  it('blocks a username from an address after 5 failures, for the rest of the window', () => {
    const c = clock();
    const th = new LoginThrottle(undefined, c.now);
    for (let i = 0; i < 4; i++) th.recordFailure('1.2.3.4', 'admin');
    expect(th.retryAfter('1.2.3.4', 'admin')).toBe(0);
    th.recordFailure('1.2.3.4', 'admin');
    expect(th.retryAfter('1.2.3.4', 'admin')).toBe(15 * 60);
    expect(th.retryAfter('5.6.7.8', 'admin')).toBe(0);
    expect(th.retryAfter('1.2.3.4', 'other')).toBe(0);
    c.advance(10 * 60_000);
    expect(th.retryAfter('1.2.3.4', 'admin')).toBe(5 * 60);
    c.advance(5 * 60_000 + 1);
    expect(th.retryAfter('1.2.3.4', 'admin')).toBe(0);
  });

  it('a success clears that username from that address', () => {
    const th = new LoginThrottle();
    for (let i = 0; i < 4; i++) th.recordFailure('a', 'admin');
    th.recordSuccess('a', 'admin');
    for (let i = 0; i < 4; i++) th.recordFailure('a', 'admin');
    expect(th.retryAfter('a', 'admin')).toBe(0);
  });

  it('blocks an address after 50 failures across usernames', () => {
    const th = new LoginThrottle();
    for (let i = 0; i < 49; i++) th.recordFailure('a', `user${i}`);
    expect(th.retryAfter('a', 'fresh')).toBe(0);
    th.recordFailure('a', 'user49');
    expect(th.retryAfter('a', 'fresh')).toBeGreaterThan(0);
    expect(th.retryAfter('b', 'fresh')).toBe(0);
  });
});
