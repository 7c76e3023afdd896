import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/server/env.js';
import { silentLogger } from '../src/server/log.js';
import { startCapstan, type RunningCapstan } from '../src/server/main.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The private engine, registry and test images of scripts/test-env.sh (started when needed; idempotent), as its KEY=value lines. */
export function testEnv(): Record<string, string> {
  const out = execFileSync('bash', [path.join(root, 'scripts/test-env.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const pairs = out.split('\n').map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim()));
  return Object.fromEntries(pairs.filter((m) => m !== null).map((m) => [m[1]!, m[2]!]));
}

export interface ApiAnswer {
  status: number;
  json: any;
  text: string;
}

/** A JSON request to a Capstan at `base`, with a bearer token when given. */
export async function benchApi(base: string, method: string, pathname: string, token?: string, body?: unknown): Promise<ApiAnswer> {
  const res = await fetch(new URL(pathname, base), {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
}

export interface BenchCapstan {
  running: RunningCapstan;
  /** A scratch folder the benchmark may use too; removed by stop(). */
  work: string;
  /** Logs in as the admin and returns the bearer token. */
  login(): Promise<string>;
  stop(): Promise<void>;
}

const ADMIN = { username: 'admin', password: 'bench-password-1' };

/** A real Capstan in this process on port 0, with a fresh data dir under a scratch folder, pointed at `dockerHost`. */
export async function startBenchCapstan(name: string, dockerHost: string): Promise<BenchCapstan> {
  const work = mkdtempSync(path.join(os.tmpdir(), `capstan-bench-${name}-`));
  chmodSync(work, 0o711); // the embedded PostgreSQL runs as user postgres and must reach data/pg
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    CAPSTAN_DATA_DIR: path.join(work, 'data'),
    CAPSTAN_ADMIN_USERNAME: ADMIN.username,
    CAPSTAN_ADMIN_PASSWORD: ADMIN.password,
    DOCKER_HOST: dockerHost,
  });
  const running = await startCapstan(config, silentLogger);
  return {
    running,
    work,
    async login() {
      const res = await fetch(new URL('/auth/login', running.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
      if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
      return ((await res.json()) as { token: string }).token;
    },
    async stop() {
      await running.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
