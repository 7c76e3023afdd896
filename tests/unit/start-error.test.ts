import { describe, expect, it } from 'vitest';
import { procStat, readPidFile } from '../../src/jobs/postmaster.js';
import { describeStartError } from '../../src/server/start-error.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

describe('describeStartError: the reason `capstan: failed to start:` prints', () => {
  it('never prints "undefined" for a rejection without a reason', () => {
    for (const err of [undefined, null, new Error(''), '']) {
      const text = describeStartError(err);
      expect(text).not.toMatch(/^\s*(undefined|null)?\s*$/);
      expect(text.length).toBeGreaterThan(5);
    }
  });

  it('follows the cause chain, on one line, saying a repeated message once', () => {
    const root = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const wrapped = new Error('jobs database unreachable', { cause: root });
    expect(describeStartError(wrapped)).toBe('jobs database unreachable: connect ECONNREFUSED 127.0.0.1:5432');
    const repeating = new Error(`did not start: ${root.message}`, { cause: root });
    expect(describeStartError(repeating)).toBe('did not start: connect ECONNREFUSED 127.0.0.1:5432');
    expect(describeStartError({ code: 'X' })).toBe('{"code":"X"}');
  });
});

describe('postmaster.pid and /proc', () => {
  it('reads pid, data dir and port from the lines PostgreSQL writes', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'capstan-pidfile-'));
    try {
      const file = path.join(dir, 'postmaster.pid');
      writeFileSync(file, '4242\n/data/pg\n1796165558\n54321\n\n127.0.0.1\n  1234567     32768\nready   \n');
      expect(readPidFile(file)).toEqual({ pid: 4242, dataDir: '/data/pg', port: 54321 });
      writeFileSync(file, 'garbage\n');
      expect(readPidFile(file)?.pid).toBe(0);
      expect(readPidFile(path.join(dir, 'none'))).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads state and name of a live process from /proc/<pid>/stat, and nothing for a gone one', () => {
    const self = procStat(process.pid);
    expect(self?.state).toMatch(/^[RS]$/);
    expect(self?.comm.length).toBeGreaterThan(0);
    expect(procStat(2 ** 22 + 1)).toBeNull();
  });
});
