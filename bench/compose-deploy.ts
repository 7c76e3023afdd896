/**
 * A 10-container compose file of two independent depends_on chains (five
 * levels each), through Capstan against docker-compose 1.29 on the private
 * test engine of scripts/test-env.sh:
 * - deploy: POST /api/services until its deployment has succeeded, against
 *   `docker-compose up -d` of the same file;
 * - hard delete: DELETE /api/services/{id}?mode=hard (it answers once the
 *   delete is done) against `docker-compose down -v`.
 * Both stop the containers gracefully with the engine's default grace period;
 * the containers exit on SIGTERM, so what is measured is the work of the
 * operation, not the grace period. `--healthy` makes each link of a chain a
 * service_healthy condition (each level then waits for a healthcheck);
 * `--stubborn` measures instead two independent services whose PID 1 ignores
 * SIGTERM (each stop waits out the 10 s grace: concurrent, about 10 s in all).
 * Prints medians as `measure: capstan X, peer Y, ratio Z` (below 1: Capstan
 * is faster), and for the chains file the engine floor (floorRound). Goals
 * (issue 14): deploy ≤ 0.5, hard delete ≤ 0.6.
 *   npx tsx bench/compose-deploy.ts [rounds=3] [--healthy | --stubborn]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { composeDown, composeUp, dockerCompose, type ComposeRun } from '../tests/helpers/compose-oracle.js';
import { benchApi, startBenchCapstan, testEnv } from './test-env.js';

const args = process.argv.slice(2);
const ROUNDS = Number(args.find((a) => /^\d+$/.test(a)) ?? 3);
const HEALTHY = args.includes('--healthy');
const STUBBORN = args.includes('--stubborn');


/** The issue's case: two independent services whose PID 1 ignores SIGTERM, so each stop lasts the 10 s default grace. */
function stubbornFile(image: string): string {
  const lines = ['services:'];
  for (const key of ['a', 'b']) lines.push(`  ${key}:`, `    image: ${image}`, `    command: ["sh", "-c", "trap '' TERM; sleep 3600 & wait"]`);
  return `${lines.join('\n')}\n`;
}

function chainsFile(image: string): string {
  const lines = ['services:'];
  for (const chain of ['a', 'b']) {
    for (let level = 0; level < 5; level++) {
      // PID 1 is a shell that exits on SIGTERM (a bare `sleep` as PID 1 would ignore it and wait out the grace period).
      lines.push(`  ${chain}${level}:`, `    image: ${image}`, `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`);
      if (HEALTHY) lines.push('    healthcheck:', '      test: ["CMD", "true"]', '      interval: 1s', '      timeout: 2s', '      retries: 30');
      if (level > 0 && HEALTHY) lines.push('    depends_on:', `      ${chain}${level - 1}:`, '        condition: service_healthy');
      else if (level > 0) lines.push(`    depends_on: [${chain}${level - 1}]`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const env = testEnv();
const dockerHost = env.DOCKER_HOST!;
const docker = new Docker({ socketPath: new URL(dockerHost).pathname });
const yaml = (STUBBORN ? stubbornFile : chainsFile)(env.CAPSTAN_TEST_IMAGE!);
const bench = await startBenchCapstan('deploy', dockerHost);
const { running, work } = bench;

const api = (method: string, pathname: string, token?: string, body?: unknown) => benchApi(running.url, method, pathname, token, body);

/** One round through Capstan: the deploy, then the hard delete of what it deployed. */
async function capstanRound(token: string, name: string): Promise<[number, number]> {
  const t0 = performance.now();
  const created = await api('POST', '/api/services', token, { name, yaml });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text}`);
  for (;;) {
    const d = await api('GET', `/api/deployments/${created.json.deployment_id}`, token);
    if (d.json?.status === 'succeeded') break;
    if (d.json?.status === 'failed') throw new Error(`deployment failed: ${JSON.stringify(d.json.steps?.slice(-3))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const deployed = performance.now() - t0;
  const t1 = performance.now();
  const del = await api('DELETE', `/api/services/${created.json.id}?mode=hard`, token);
  if (del.status !== 200) throw new Error(`delete: ${del.status} ${del.text}`);
  const deleted = performance.now() - t1;
  const gone = await api('GET', `/api/services/${created.json.id}`, token);
  if (gone.status !== 404) throw new Error(`delete answered before the service was gone: ${gone.status}`);
  return [deployed, deleted];
}

/** The same through docker-compose: `up -d`, then `down -v` (stopping with each service's grace period). */
async function composeRound(name: string): Promise<[number, number]> {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'compose.yaml'), yaml);
  const run: ComposeRun = { project: name, dir, dockerHost };
  const t0 = performance.now();
  let up: number | undefined;
  try {
    await composeUp(docker, run, [env.CAPSTAN_TEST_IMAGE!]);
    up = performance.now() - t0;
    const t1 = performance.now();
    await dockerCompose(run, ['down', '-v']);
    return [up, performance.now() - t1];
  } finally {
    if (up === undefined) await composeDown(run).catch(() => {});
  }
}

/**
 * The engine's floor for the same file: bare engine calls, no bookkeeping: a network, then level by level
 * each level's containers created and started at once; then stopped and removed in reverse levels. What
 * depends_on ordering costs on this engine whoever drives it (the chains file only).
 */
async function floorRound(name: string): Promise<[number, number]> {
  const keys = [...yaml.matchAll(/^  ([a-z]\d+):$/gm)].map((m) => m[1]!);
  const levels = [...new Set(keys.map((k) => k.slice(1)))].map((lvl) => keys.filter((k) => k.slice(1) === lvl));
  const cmd = ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"];
  const t0 = performance.now();
  const net = await docker.createNetwork({ Name: `${name}_default` });
  const made: Docker.Container[][] = [];
  for (const level of levels) {
    made.push(
      await Promise.all(
        level.map(async (k) => {
          const c = await docker.createContainer({ name: `${name}-${k}-1`, Image: env.CAPSTAN_TEST_IMAGE!, Cmd: cmd, HostConfig: { NetworkMode: `${name}_default` } });
          await c.start();
          return c;
        }),
      ),
    );
  }
  const up = performance.now() - t0;
  const t1 = performance.now();
  for (const level of made.reverse()) await Promise.all(level.map(async (c) => (await c.stop(), await c.remove())));
  await net.remove();
  return [up, performance.now() - t1];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ours: [number, number][] = [];
const theirs: [number, number][] = [];
const floor: [number, number][] = [];
try {
  const token = await bench.login();
  for (let i = 0; i < ROUNDS; i++) {
    const tag = `${i}${Math.random().toString(36).slice(2, 6)}`;
    // Alternate who goes first, so a warm engine favours neither.
    if (i % 2 === 0) {
      ours.push(await capstanRound(token, `bench-capstan-${tag}`));
      theirs.push(await composeRound(`bench-compose-${tag}`));
    } else {
      theirs.push(await composeRound(`bench-compose-${tag}`));
      ours.push(await capstanRound(token, `bench-capstan-${tag}`));
    }
    if (!STUBBORN && !HEALTHY) floor.push(await floorRound(`bench-floor-${tag}`));
  }
} finally {
  await bench.stop();
}
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const all = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(', ');
const what = `${STUBBORN ? '2 independent containers ignoring SIGTERM' : `10 containers, two chains of 5${HEALTHY ? ' (service_healthy)' : ''}`}, median of ${ROUNDS}`;
for (const [i, measure, peer] of [
  [0, 'deploy', 'docker-compose up -d'],
  [1, 'hard delete', 'docker-compose down -v'],
] as const) {
  const mo = median(ours.map((r) => r[i]));
  const mt = median(theirs.map((r) => r[i]));
  console.log(`${measure}: capstan ${secs(mo)}, peer ${secs(mt)} (${peer}), ratio ${(mo / mt).toFixed(2)}`);
  console.log(`  ${what}; capstan ${all(ours.map((r) => r[i]))}; peer ${all(theirs.map((r) => r[i]))}`);
  if (floor.length) {
    const mf = median(floor.map((r) => r[i]));
    console.log(`  engine floor (bare engine calls, level by level): ${secs(mf)}; capstan / floor ${(mo / mf).toFixed(2)}, floor / peer ${(mf / mt).toFixed(2)}`);
  }
}
