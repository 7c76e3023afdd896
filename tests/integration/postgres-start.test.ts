import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawnCapstan, type CapstanProcess } from '../helpers/process.js';
import { ADMIN, httpRequest, newDataDir } from '../helpers/server.js';

/**
 * Start after kill -9 (issue 12, item 7): the embedded PostgreSQL's
 * postmaster.pid may name a zombie, a pid that now belongs to another
 * process, or a postmaster still running from the killed Capstan. Each time
 * the next Capstan starts and answers; a start that cannot work says why.
 */

const dataDir = newDataDir();
const pgDir = path.join(dataDir, 'pg');
const pidFile = path.join(pgDir, 'postmaster.pid');
const env = {
  CAPSTAN_DATA_DIR: dataDir,
  DOCKER_HOST: inject('testEnv').dockerHost,
  CAPSTAN_ADMIN_USERNAME: ADMIN.username,
  CAPSTAN_ADMIN_PASSWORD: ADMIN.password,
};
/** A postmaster.pid as the running PostgreSQL wrote it (pid, data dir, start time, port, ..., shared memory key). */
let realPidFile = '';
const helpers: ChildProcess[] = [];
/** Postmasters a failed case may leave running. */
const orphans: number[] = [];

function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
  } catch {
    return null;
  }
}

/** The pid file of a crashed PostgreSQL, naming `pid` instead of the postmaster that wrote it. */
function writeStalePidFile(pid: number): void {
  const lines = realPidFile.split('\n');
  lines[0] = String(pid);
  writeFileSync(pidFile, lines.join('\n'), { mode: 0o600 });
}

async function expectAnswers(c: CapstanProcess): Promise<void> {
  const login = await httpRequest(c.url, 'POST', '/auth/login', { body: ADMIN });
  expect(login.status).toBe(200);
  const me = await httpRequest(c.url, 'GET', '/auth/me', { token: login.json.token });
  expect(me.status).toBe(200);
  // The job queue (PostgreSQL) answers too: the deployments list reads through the server.
  expect((await httpRequest(c.url, 'GET', '/api/services', { token: login.json.token })).status).toBe(200);
}

async function stopClean(c: CapstanProcess): Promise<void> {
  c.child.kill('SIGTERM');
  expect(await c.exited).toBe(0);
}

/** A process that forked a child which has exited and is never reaped: a zombie, as a killed postmaster under a non-reaping init. */
async function makeZombie(): Promise<number> {
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 600'], { stdio: ['ignore', 'pipe', 'ignore'] });
  helpers.push(parent);
  const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  await expect.poll(() => procState(pid), { timeout: 10_000, interval: 20 }).toBe('Z');
  return pid;
}

describe('embedded PostgreSQL: start after kill -9', () => {
  beforeAll(async () => {
    const first = await spawnCapstan(env);
    realPidFile = readFileSync(pidFile, 'utf8');
    await stopClean(first);
    expect(existsSync(pidFile)).toBe(false);
  });

  // One case's failure must not become the next one's stale pid file.
  afterEach(() => {
    for (const pid of orphans.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
    rmSync(pidFile, { force: true });
  });

  afterAll(() => {
    for (const h of helpers) h.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('postmaster.pid names a zombie: it counts as not running and the server starts', async () => {
    const zombie = await makeZombie();
    writeStalePidFile(zombie);
    const c = await spawnCapstan(env);
    try {
      await expectAnswers(c);
      expect(procState(zombie)).toBe('Z');
    } finally {
      await stopClean(c);
    }
  });

  it('postmaster.pid names a live pid of another program: it counts as not running, and that program is left alone', async () => {
    const other = spawn('sleep', ['600'], { stdio: 'ignore' });
    helpers.push(other);
    writeStalePidFile(other.pid!);
    const c = await spawnCapstan(env);
    try {
      await expectAnswers(c);
      expect(procState(other.pid!)).toMatch(/^[RS]$/);
    } finally {
      await stopClean(c);
      other.kill('SIGKILL');
    }
  });

  it('postmaster.pid names the test runner itself: not a postmaster, the server starts', async () => {
    writeStalePidFile(process.pid);
    const c = await spawnCapstan(env);
    try {
      await expectAnswers(c);
    } finally {
      await stopClean(c);
    }
  });

  it('a postmaster of this data dir left running by a killed Capstan is stopped before the new start', async () => {
    const killed = await spawnCapstan(env);
    const orphan = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    orphans.push(orphan);
    killed.child.kill('SIGKILL');
    expect(await killed.exited).toBeNull();
    // kill -9 does not reach the postmaster: it still runs, holding the data dir.
    expect(procState(orphan)).toMatch(/^[RS]$/);
    const c = await spawnCapstan(env);
    try {
      await expectAnswers(c);
      const now = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      expect(now).not.toBe(orphan);
      expect(procState(orphan) ?? 'gone').toMatch(/^(gone|Z|X)$/);
    } finally {
      await stopClean(c);
    }
  });

  it('a start that cannot work prints the real reason, never "undefined"', async () => {
    const conf = path.join(pgDir, 'postgresql.conf');
    const original = readFileSync(conf, 'utf8');
    appendFileSync(conf, '\nthis_is_not_a_setting_capstan_test = on\n');
    try {
      const err = await spawnCapstan(env).then(
        () => null,
        (e: Error) => e,
      );
      expect(err).not.toBeNull();
      const line = /capstan: failed to start: (.*)/.exec(err!.message)?.[1];
      expect(line).toBeDefined();
      expect(line).not.toMatch(/^\s*(undefined)?\s*$/);
      expect(line).toMatch(/postgres/i);
      expect(line).toContain('this_is_not_a_setting_capstan_test');
    } finally {
      writeFileSync(conf, original);
    }
    // And with the cause gone, the same data dir starts again.
    const c = await spawnCapstan(env);
    try {
      await expectAnswers(c);
    } finally {
      await stopClean(c);
    }
  });
});
