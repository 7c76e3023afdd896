import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { DatabaseFailures, defaultLimits, LoginThrottle } from '../../src/server/auth/throttle.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('LoginThrottle', async () => {
  it('blocks a username from an address after 5 failures, for the rest of the window', async () => {
    const c = clock();
    const th = new LoginThrottle(undefined, c.now);
    for (let i = 0; i < 4; i++) await th.recordFailure('1.2.3.4', 'admin');
    expect(await th.retryAfter('1.2.3.4', 'admin')).toBe(0);
    await th.recordFailure('1.2.3.4', 'admin');
    expect(await th.retryAfter('1.2.3.4', 'admin')).toBe(15 * 60);
    expect(await th.retryAfter('5.6.7.8', 'admin')).toBe(0);
    expect(await th.retryAfter('1.2.3.4', 'other')).toBe(0);
    c.advance(10 * 60_000);
    expect(await th.retryAfter('1.2.3.4', 'admin')).toBe(5 * 60);
    c.advance(5 * 60_000 + 1);
    expect(await th.retryAfter('1.2.3.4', 'admin')).toBe(0);
  });

  it('a success clears that username from that address', async () => {
    const th = new LoginThrottle();
    for (let i = 0; i < 4; i++) await th.recordFailure('a', 'admin');
    await th.recordSuccess('a', 'admin');
    for (let i = 0; i < 4; i++) await th.recordFailure('a', 'admin');
    expect(await th.retryAfter('a', 'admin')).toBe(0);
  });

  it('blocks an address after 50 failures across usernames', async () => {
    const th = new LoginThrottle();
    for (let i = 0; i < 49; i++) await th.recordFailure('a', `user${i}`);
    expect(await th.retryAfter('a', 'fresh')).toBe(0);
    await th.recordFailure('a', 'user49');
    expect(await th.retryAfter('a', 'fresh')).toBeGreaterThan(0);
    expect(await th.retryAfter('b', 'fresh')).toBe(0);
  });

  it('in the database: two throttles on one file (two processes) count the same failures', async () => {
    const url = `file:${path.join(mkdtempSync(path.join(tmpdir(), 'throttle-')), 'db.sqlite')}`;
    const [c1, c2] = [createClient({ url }), createClient({ url })];
    try {
      const c = clock();
      const a = new LoginThrottle(defaultLimits, c.now, new DatabaseFailures(c1));
      const b = new LoginThrottle(defaultLimits, c.now, new DatabaseFailures(c2));
      for (let i = 0; i < 3; i++) await a.recordFailure('1.2.3.4', 'o\u0000dd "name"');
      for (let i = 0; i < 2; i++) await b.recordFailure('1.2.3.4', 'o\u0000dd "name"');
      expect(await a.retryAfter('1.2.3.4', 'o\u0000dd "name"')).toBe(15 * 60);
      expect(await b.retryAfter('1.2.3.4', 'o\u0000dd "name"')).toBe(15 * 60);
      expect(await b.retryAfter('1.2.3.4', 'o')).toBe(0);
      await a.recordSuccess('1.2.3.4', 'o\u0000dd "name"');
      expect(await b.retryAfter('1.2.3.4', 'o\u0000dd "name"')).toBe(0);
      c.advance(15 * 60_000 + 1);
      await a.recordFailure('1.2.3.4', 'x');
      const left = await c1.execute('SELECT count(*) AS n FROM login_failures');
      expect(Number(left.rows[0]!.n)).toBe(2);
    } finally {
      c1.close();
      c2.close();
    }
  });
});
