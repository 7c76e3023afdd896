/**
 * Capstan as `npm start` runs it, for benchmarks that measure the process
 * itself (its RSS, its cold start): the server compiled to JavaScript and run
 * by plain node, with the admin of ADMIN_PASSWORD.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ADMIN_PASSWORD = 'bench-password-1';

/** The node flags `npm start` runs the server with (package.json), so a benchmark measures the same process. */
function startFlags(): string[] {
  const start = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const m = /\bnode((?:\s+--\S+)*)\s+dist\/server\/main\.js/.exec(start);
  if (!m) throw new Error(`package.json's start script does not run node dist/server/main.js: ${start}`);
  return m[1]!.trim().split(/\s+/).filter(Boolean);
}
const LINKED = ['package.json', 'node_modules', 'drizzle', 'templates', 'dist'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The server compiled into a scratch dir laid out like the repository (the
 * code finds package.json, drizzle/, templates/ and dist/client relative to
 * itself), so the repository's own dist/ is left alone.
 */
export function buildServer(work: string): string {
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

/** Undoes buildServer: the links first (nothing of the repository may go with the scratch dir), then the dir. */
export function removeBuild(work: string): void {
  for (const name of LINKED) {
    try {
      unlinkSync(path.join(work, name));
    } catch {
      // not made
    }
  }
  rmSync(work, { recursive: true, force: true });
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

export interface BuiltCapstan {
  child: ChildProcess;
  dataDir: string;
  url: string;
  /** From spawn to the first 200 of POST /auth/login. */
  coldMs: number;
  /** The admin's bearer token from that login. */
  token: string;
}

/** Spawns the built server on a free port and logs in as soon as it answers. */
export async function startBuilt(main: string, dataDir: string, dockerHost: string): Promise<BuiltCapstan> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn(process.execPath, [...startFlags(), main], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PORT: String(port),
      HOST: '127.0.0.1',
      CAPSTAN_DATA_DIR: dataDir,
      CAPSTAN_ADMIN_USERNAME: 'admin',
      CAPSTAN_ADMIN_PASSWORD: ADMIN_PASSWORD,
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
      const res = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
      if (res.status !== 200) await res.arrayBuffer();
      else return { child, dataDir, url, coldMs: performance.now() - t0, token: ((await res.json()) as { token: string }).token };
    } catch {
      // not listening yet
    }
  }
}

export async function stopBuilt(s: BuiltCapstan): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000)]);
  if (s.child.exitCode === null) s.child.kill('SIGKILL');
}

export const kib = (file: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ?? 0);

/** RSS once it has stopped moving: 45 s at least (the job pool's idle connections close after 10 s; V8 shrinks an idle heap in a few GCs some seconds apart), then within 1 MiB over 5 s. */
export async function settledRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (const until = Date.now() + 90_000; Date.now() < until; await sleep(1000)) {
    samples.push(kib(`/proc/${pid}/status`, 'VmRSS'));
    const last = samples.slice(-5);
    if (samples.length >= 45 && Math.max(...last) - Math.min(...last) <= 1024) break;
  }
  return samples.at(-1)!;
}
