import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../server/log.js';

/**
 * What holds an embedded PostgreSQL data dir after a crash. A Capstan killed
 * with -9 leaves its postmaster running (kill -9 does not reach children), or
 * dead with its postmaster.pid left behind, or dead and not yet reaped (a
 * zombie, when PID 1 does not reap orphans). PostgreSQL itself refuses to
 * start while the pid in postmaster.pid answers kill(pid, 0), and a zombie or
 * a pid the kernel has since given to another program does. So the holder is
 * judged from the pid file and /proc/<pid>/stat and /proc/<pid>/cwd (a
 * postmaster and its backends run inside their data dir), never from the
 * command line: a zombie's is empty.
 */

/** postmaster.pid, as PostgreSQL writes it: pid, data dir, start time, port, socket dir, listen address, shared memory key. */
export interface PidFile {
  pid: number;
  dataDir: string;
  port: number | null;
}

export function readPidFile(file: string): PidFile | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]?.trim());
  const port = Number(lines[3]?.trim());
  return {
    pid: Number.isInteger(pid) && pid > 0 ? pid : 0,
    dataDir: lines[1]?.trim() ?? '',
    port: Number.isInteger(port) && port > 0 ? port : null,
  };
}

interface ProcStat {
  /** R, S, D, T, Z (zombie), X (dead), ... */
  state: string;
  /** The executable's name (at most 15 characters). */
  comm: string;
}

/** /proc/<pid>/stat: "pid (comm) state ...", where comm may itself hold spaces and parentheses. */
export function procStat(pid: number): ProcStat | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  return { comm: stat.slice(open + 1, close), state: stat.slice(close + 2).split(' ')[0] ?? '' };
}

/** Alive: exists and is neither a zombie nor dead. A zombie holds no files, memory or port. */
export function isAlive(pid: number): boolean {
  const s = procStat(pid);
  return s !== null && s.state !== 'Z' && s.state !== 'X';
}

type Inside = 'yes' | 'no' | 'unknown';

/** Whether a live process runs inside `dir` (its cwd). 'unknown' when /proc does not let us see. */
function runsInside(pid: number, dir: string): Inside {
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === dir ? 'yes' : 'no';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOENT: it exited meanwhile. EACCES/EPERM: another user's process we cannot inspect.
    return code === 'ENOENT' || !isAlive(pid) ? 'no' : 'unknown';
  }
}

/** Live PostgreSQL processes (postmaster and backends) running in `dir`. */
function postgresProcessesIn(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const s = procStat(pid);
    if (!s || s.state === 'Z' || s.state === 'X' || !s.comm.startsWith('postgres')) continue;
    if (runsInside(pid, dir) === 'yes') found.push(pid);
  }
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitGone(pids: number[], ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (pids.every((p) => !isAlive(p))) return true;
    if (Date.now() > until) return false;
    await sleep(50);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Stops the postmaster: fast shutdown (SIGINT: ends sessions, writes a
 * checkpoint), then immediate (SIGQUIT), then SIGKILL; each with a bound, so
 * a start never waits for good.
 */
async function stopPostmaster(pid: number): Promise<void> {
  for (const [sig, ms] of [['SIGINT', 30_000], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]] as const) {
    signal(pid, sig);
    if (await waitGone([pid], ms)) return;
  }
  throw new Error(`the PostgreSQL left running (pid ${pid}) did not stop, even on SIGKILL`);
}

/**
 * Makes the data dir free for a new postmaster: a live postmaster of this data
 * dir is stopped; a postmaster.pid naming a zombie, a gone pid or a process
 * that is not a PostgreSQL of this data dir is stale and removed. Throws with
 * the reason when the holder cannot be judged (a postgres process of another
 * user that /proc does not let us inspect).
 */
export async function freeDataDir(dataDir: string, log: Logger): Promise<void> {
  const pidFilePath = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFilePath)) return;
  const dir = realpathSync(dataDir);
  const file = readPidFile(pidFilePath);
  const pid = file?.pid ?? 0;
  const stat = pid > 0 ? procStat(pid) : null;
  const where = { pid, port: file?.port ?? undefined };

  const alive = pid > 0 && stat !== null && stat.state !== 'Z' && stat.state !== 'X';
  if (alive && pid === process.pid) {
    log.warn('postmaster.pid names this Capstan itself: the file is stale', where);
  } else if (alive) {
    const inside = runsInside(pid, dir);
    if (inside === 'yes') {
      log.warn('stopping a PostgreSQL left running by an earlier Capstan', where);
      await stopPostmaster(pid);
    } else if (inside === 'unknown' && stat.comm.startsWith('postgres')) {
      throw new Error(
        `${pidFilePath} names pid ${pid}, a running postgres process that Capstan cannot inspect; stop it, or remove that file if it is not a PostgreSQL of ${dataDir}`,
      );
    } else {
      log.warn('postmaster.pid names a process that is not this PostgreSQL: the file is stale', { ...where, process: stat.comm });
    }
  } else {
    log.warn('postmaster.pid is left from a PostgreSQL that has ended', { ...where, state: stat?.state ?? 'gone' });
  }

  // The postmaster's backends notice its end and exit; until they have, its shared memory is in use and PostgreSQL refuses to start.
  const rest = postgresProcessesIn(dir);
  if (rest.length > 0 && !(await waitGone(rest, 10_000))) {
    for (const p of rest) signal(p, 'SIGKILL');
    await waitGone(rest, 5_000);
  }
  // A clean shutdown removed it; an ended or killed postmaster did not.
  rmSync(pidFilePath, { force: true });
}
