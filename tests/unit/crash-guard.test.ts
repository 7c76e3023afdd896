import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../../src/server/body-guard.js';
import { describeCrash } from '../../src/server/crash-guard.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('installCrashGuards', () => {
  it('keeps a real process up through an unhandled rejection and an uncaught exception, and logs both', () => {
    // A real Node process with the guards of main.ts: without them, it exits at the rejection.
    const script = `
      import { installCrashGuards } from './src/server/crash-guard.ts';
      import { createLogger } from './src/server/log.ts';
      installCrashGuards(createLogger('info'));
      Promise.reject(new Error('rejected with postgres://capstan:hunter2@127.0.0.1/db'));
      setTimeout(() => { throw new Error('thrown later'); }, 10);
      setTimeout(() => { process.stdout.write('still up'); }, 200);
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('still up');
    const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines.map((l) => [l.level, l.msg, l.message])).toEqual([
      ['error', 'unhandled rejection (the process stays up)', 'rejected with postgres://capstan:***@127.0.0.1/db'],
      ['error', 'uncaught exception (the process stays up)', 'thrown later'],
    ]);
    expect(r.stderr).not.toContain('hunter2');
  });

  it('describes values that are not errors', () => {
    expect(describeCrash('plain')).toEqual({ message: 'plain' });
    expect(describeCrash(undefined)).toEqual({ message: 'undefined' });
  });
});

describe('jsonTooDeep', () => {
  const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
  it('counts brackets outside strings only', () => {
    expect(jsonTooDeep(nest(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonTooDeep(nest(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonTooDeep(`{"a":"${'['.repeat(500)}"}`)).toBe(false);
    expect(jsonTooDeep(`{"a":"\\"${'{'.repeat(500)}"}`)).toBe(false);
    expect(jsonTooDeep(`{"a\\\\":${nest(200)}}`)).toBe(true);
  });
});
