/**
 * Deploy time of a 10-container compose file with service_healthy chains
 * (five levels, two chains: each level waits for the one before it to be
 * healthy), through Capstan (POST /api/services until its deployment has
 * succeeded) against `docker-compose up -d` (1.29) of the same file, on the
 * private test engine of scripts/test-env.sh. Prints medians and the ratio
 * capstan/compose (below 1 means Capstan is faster).
 *   npx tsx bench/compose-deploy.ts [rounds=3]
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { loadConfig } from '../src/server/env.js';
import { silentLogger } from '../src/server/log.js';
import { startCapstan } from '../src/server/main.js';
import { composeDown, composeUp, type ComposeRun } from '../tests/helpers/compose-oracle.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The private engine and test images (starts them when needed; idempotent). */
function testEnv(): Record<string, string> {
  const out = execFileSync('bash', [path.join(root, 'scripts/test-env.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const pairs = out.split('\n').map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim()));
  return Object.fromEntries(pairs.filter((m) => m !== null).map((m) => [m[1]!, m[2]!]));
}

function chainsFile(image: string): string {
  const lines = ['services:'];
  for (const chain of ['a', 'b']) {
    for (let level = 0; level < 5; level++) {
      lines.push(
        `  ${chain}${level}:`,
        `    image: ${image}`,
        '    command: ["sleep", "3600"]',
        '    healthcheck:',
        '      test: ["CMD", "true"]',
        '      interval: 1s',
        '      timeout: 2s',
        '      retries: 30',
      );
      if (level > 0) lines.push('    depends_on:', `      ${chain}${level - 1}:`, '        condition: service_healthy');
    }
  }
  return `${lines.join('\n')}\n`;
}

const env = testEnv();
const dockerHost = env.DOCKER_HOST!;
const docker = new Docker({ socketPath: new URL(dockerHost).pathname });
const yaml = chainsFile(env.CAPSTAN_TEST_IMAGE!);
const work = mkdtempSync(path.join(os.tmpdir(), 'capstan-bench-deploy-'));
chmodSync(work, 0o711); // the embedded PostgreSQL runs as user postgres and must reach data/pg
const config = loadConfig({
  PORT: '0',
  HOST: '127.0.0.1',
  CAPSTAN_DATA_DIR: path.join(work, 'data'),
  CAPSTAN_ADMIN_USERNAME: 'admin',
  CAPSTAN_ADMIN_PASSWORD: 'bench-password-1',
  DOCKER_HOST: dockerHost,
});
const running = await startCapstan(config, silentLogger);

async function api(method: string, pathname: string, token?: string, body?: unknown) {
  const res = await fetch(new URL(pathname, running.url), {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
}

async function capstanDeploy(token: string, name: string): Promise<number> {
  const t0 = performance.now();
  const created = await api('POST', '/api/services', token, { name, yaml });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text}`);
  for (;;) {
    const d = await api('GET', `/api/deployments/${created.json.deployment_id}`, token);
    if (d.json?.status === 'succeeded') break;
    if (d.json?.status === 'failed') throw new Error(`deployment failed: ${JSON.stringify(d.json.steps?.slice(-3))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const ms = performance.now() - t0;
  await api('DELETE', `/api/services/${created.json.id}?mode=hard`, token);
  return ms;
}

async function composeDeploy(name: string): Promise<number> {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'compose.yaml'), yaml);
  const run: ComposeRun = { project: name, dir, dockerHost };
  const t0 = performance.now();
  try {
    await composeUp(docker, run, [env.CAPSTAN_TEST_IMAGE!]);
    return performance.now() - t0;
  } finally {
    await composeDown(run);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ours: number[] = [];
const theirs: number[] = [];
try {
  const login = await api('POST', '/auth/login', undefined, { username: 'admin', password: 'bench-password-1' });
  const token = login.json.token as string;
  for (let i = 0; i < ROUNDS; i++) {
    const tag = `${i}${Math.random().toString(36).slice(2, 6)}`;
    // Alternate who goes first, so a warm engine favours neither.
    if (i % 2 === 0) {
      ours.push(await capstanDeploy(token, `bench-capstan-${tag}`));
      theirs.push(await composeDeploy(`bench-compose-${tag}`));
    } else {
      theirs.push(await composeDeploy(`bench-compose-${tag}`));
      ours.push(await capstanDeploy(token, `bench-capstan-${tag}`));
    }
  }
} finally {
  await running.stop();
  rmSync(work, { recursive: true, force: true });
}
const mo = median(ours);
const mt = median(theirs);
console.log(`deploy 10 containers, 5 service_healthy levels, Capstan:      median ${(mo / 1000).toFixed(2)} s over ${ROUNDS} (${ours.map((x) => (x / 1000).toFixed(2)).join(', ')})`);
console.log(`deploy 10 containers, 5 service_healthy levels, compose 1.29: median ${(mt / 1000).toFixed(2)} s over ${ROUNDS} (${theirs.map((x) => (x / 1000).toFixed(2)).join(', ')})`);
console.log(`ratio capstan/compose: ${(mo / mt).toFixed(2)}`);
