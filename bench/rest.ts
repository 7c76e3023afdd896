/**
 * Capstan at rest, as `npm start` runs it (the server compiled to JavaScript,
 * run by plain node) with a fresh data dir and 0 services, on the private
 * test engine of scripts/test-env.sh:
 *  - cold start: from spawning the process to the first successful login
 *    (median of 5, each with a fresh data dir: initdb included);
 *  - Node RSS once idle and settled;
 *  - the embedded PostgreSQL's proportional set size, summed over every
 *    postgres process running in the data dir (Pss of smaps_rollup).
 * Printed against the goals of issue 14.
 *   npx tsx bench/rest.ts [starts=5]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testEnv } from './test-env.js';

const STARTS = Number(process.argv[2] ?? 5);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PASSWORD = 'bench-password-1';


/**
 * The server compiled into a scratch dir laid out like the repository (the
 * code finds package.json, drizzle/, templates/ and dist/client relative to
 * itself), so the repository's own dist/ is left alone.
 */
function build(work: string): string {
  const out = path.join(work, 'out');
  for (const name of LINKED) symlinkSync(path.join(root, name), path.join(work, name));
  try {
    execFileSync(path.join(root, 'node_modules/.bin/tsc'), ['-p', path.join(root, 'tsconfig.server.json'), '--outDir', out, '--sourceMap', 'false'], { cwd: root, stdio: 'pipe' });
  } catch {
    // Type errors still emit JavaScript; only a missing entry point is fatal.
  }
  const main = path.join(out, 'server/main.js');
  if (!existsSync(main)) throw new Error('the server did not compile');
  return main;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

const LINKED = ['package.json', 'node_modules', 'drizzle', 'templates', 'dist'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Started {
  child: ChildProcess;
  dataDir: string;
  url: string;
  /** From spawn to the first 200 of POST /auth/login. */
  coldMs: number;
}

async function start(main: string, work: string, n: number, dockerHost: string): Promise<Started> {
  const dataDir = path.join(work, `data-${n}`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PORT: String(port),
      HOST: '127.0.0.1',
      CAPSTAN_DATA_DIR: dataDir,
      CAPSTAN_ADMIN_USERNAME: 'admin',
      CAPSTAN_ADMIN_PASSWORD: PASSWORD,
      DOCKER_HOST: dockerHost,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  for (const until = Date.now() + 60_000; ; await sleep(10)) {
    if (child.exitCode !== null) throw new Error(`capstan exited during start: ${stderr}`);
    if (Date.now() > until) throw new Error(`no login within 60 s: ${stderr}`);
    try {
      const res = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
      await res.arrayBuffer();
      if (res.status === 200) return { child, dataDir, url, coldMs: performance.now() - t0 };
    } catch {
      // not listening yet
    }
  }
}

async function stop(s: Started): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000)]);
  if (s.child.exitCode === null) s.child.kill('SIGKILL');
}

const kib = (file: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ?? 0);

/** Every live postgres process whose working directory is the data dir (a postmaster and its children run there). */
function postgresPss(pgDir: string): { count: number; pssKib: number } {
  const dir = realpathSync(pgDir);
  let count = 0;
  let pssKib = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!comm.startsWith('postgres') || readlinkSync(`/proc/${entry}/cwd`) !== dir) continue;
      pssKib += kib(`/proc/${entry}/smaps_rollup`, 'Pss');
      count++;
    } catch {
      // exited meanwhile
    }
  }
  return { count, pssKib };
}

/** RSS once it has stopped moving: 20 s at least (the job pool's idle connections close after 10 s), then within 1 MiB over 5 s. */
async function settledRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (const until = Date.now() + 60_000; Date.now() < until; await sleep(1000)) {
    samples.push(kib(`/proc/${pid}/status`, 'VmRSS'));
    const last = samples.slice(-5);
    if (samples.length >= 20 && Math.max(...last) - Math.min(...last) <= 1024) break;
  }
  return samples.at(-1)!;
}

const env = testEnv();
const work = mkdtempSync(path.join(os.tmpdir(), 'capstan-bench-rest-'));
chmodSync(work, 0o711); // the embedded PostgreSQL runs as user postgres and must reach data/pg
const running: Started[] = [];
try {
  const main = build(work);
  const cold: number[] = [];
  let rssKib = 0;
  let pg = { count: 0, pssKib: 0 };
  for (let i = 0; i < STARTS; i++) {
    const s = await start(main, work, i, env.DOCKER_HOST!);
    running.push(s);
    cold.push(s.coldMs);
    if (i === STARTS - 1) {
      rssKib = await settledRss(s.child.pid!);
      pg = postgresPss(path.join(s.dataDir, 'pg'));
    }
    await stop(s);
  }
  const median = [...cold].sort((a, b) => a - b)[Math.floor(cold.length / 2)]!;
  const mb = (k: number) => (k / 1024).toFixed(1);
  console.log(`node rss idle, 0 services: capstan ${mb(rssKib)} MB, goal 80 MB`);
  console.log(`embedded postgres pss, ${pg.count} processes: capstan ${mb(pg.pssKib)} MB, goal 40 MB`);
  console.log(`cold start to first login, fresh data dir (median of ${STARTS}): capstan ${(median / 1000).toFixed(2)} s, goal 2 s (${cold.map((c) => (c / 1000).toFixed(2)).join(', ')})`);
} finally {
  for (const s of running) await stop(s);
  // The links first: nothing of the repository may go with the scratch dir.
  for (const name of LINKED) {
    try {
      unlinkSync(path.join(work, name));
    } catch {
      // not made
    }
  }
  rmSync(work, { recursive: true, force: true });
}
