/**
 * Compose pipeline speed: load (YAML, .env, interpolation, extends, validate,
 * normalize) and plan (Engine create options) of a generated 50-service file
 * shaped like real ones (anchors and merge keys, ${VAR:-default}, env files,
 * healthchecks, depends_on chains, volumes, ports). Prints medians of N runs,
 * and the peer: `docker-compose config` (1.29, when installed) on the same
 * file, whose time includes starting Python — what a user waits for either way.
 *   npx tsx bench/compose-parse.ts [runs=50] [services=50]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planProject } from '../src/server/docker/compose-plan.js';
import { parseDotenv } from '../src/shared/compose/dotenv.js';
import { loadCompose } from '../src/shared/compose/index.js';

const RUNS = Number(process.argv[2] ?? 50);
const SERVICES = Number(process.argv[3] ?? 50);

/** A file like sentry's or netbox's: x- anchors merged into every service, chains of depends_on. */
function generatedCompose(n: number): string {
  const lines = [
    'x-restart: &restart',
    '  restart: unless-stopped',
    'x-health: &health',
    '  interval: ${HEALTH_INTERVAL:-10s}',
    '  timeout: 5s',
    '  retries: ${HEALTH_RETRIES:-3}',
    'x-env: &env',
    '  TZ: ${TZ:-UTC}',
    '  LOG_LEVEL: ${LOG_LEVEL:-info}',
    '  DATABASE_URL: postgres://app:${DB_PASSWORD:-secret}@db:5432/app',
    'services:',
  ];
  for (let i = 0; i < n; i++) {
    const deps = i === 0 ? [] : [`s${i - 1}`, ...(i > 5 ? [`s${i - 5}`] : [])];
    lines.push(
      `  s${i}:`,
      '    <<: *restart',
      `    image: \${REGISTRY:-docker.io/library}/app-${i}:\${TAG:-1.0.${i}}`,
      `    command: ["serve", "--port", "${8000 + i}", "--name", "s${i}"]`,
      '    environment:',
      '      <<: *env',
      `      SERVICE_INDEX: "${i}"`,
      `      PEER: http://s${(i + 1) % n}:${8000 + ((i + 1) % n)}`,
      '    env_file: [common.env]',
      '    ports:',
      `      - "\${BIND_IP:-127.0.0.1}:${12000 + i}:${8000 + i}"`,
      '    volumes:',
      `      - data-${i}:/var/lib/app`,
      `      - ./config/s${i}:/etc/app:ro`,
      '    healthcheck:',
      '      <<: *health',
      `      test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:${8000 + i}/health || exit 1"]`,
      '    labels:',
      `      com.example.index: "${i}"`,
      '      com.example.team: platform',
    );
    if (deps.length) {
      lines.push('    depends_on:');
      for (const d of deps) lines.push(`      ${d}:`, '        condition: service_healthy');
    }
  }
  lines.push('volumes:');
  for (let i = 0; i < n; i++) lines.push(`  data-${i}:`);
  return `${lines.join('\n')}\n`;
}

const yaml = generatedCompose(SERVICES);
const envText = 'TAG=2.4.1\nDB_PASSWORD=bench-password\nLOG_LEVEL=debug\n';
const commonEnv = 'COMMON_A=1\nCOMMON_B=two\n';
const dir = mkdtempSync(path.join(os.tmpdir(), 'capstan-bench-parse-'));
writeFileSync(path.join(dir, 'compose.yaml'), yaml);
writeFileSync(path.join(dir, '.env'), envText);
writeFileSync(path.join(dir, 'common.env'), commonEnv);
const files = { dir, home: os.homedir(), read: (p: string) => (path.basename(p) === 'common.env' ? commonEnv : undefined) };
const envValues = parseDotenv(envText).values;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load: number[] = [];
const plan: number[] = [];
try {
  for (let i = 0; i < RUNS + 3; i++) {
    const t0 = performance.now();
    const result = loadCompose({ name: 'bench', yaml, env: envText, files });
    const t1 = performance.now();
    if (!result.ok) throw new Error(`the generated file was refused: ${JSON.stringify(result.issues.slice(0, 3))}`);
    const planned = planProject('bench0', result.project, { workingDir: dir, configFiles: [path.join(dir, 'compose.yaml')], env: envValues });
    const t2 = performance.now();
    if (planned.containers.length !== SERVICES) throw new Error(`planned ${planned.containers.length} containers, expected ${SERVICES}`);
    if (i >= 3) {
      // the first runs warm the JIT
      load.push(t1 - t0);
      plan.push(t2 - t1);
    }
  }
  const ours = median(load.map((l, i) => l + plan[i]!));
  console.log(`compose load (${SERVICES} services, ${yaml.length} bytes): median ${median(load).toFixed(2)} ms over ${RUNS}`);
  console.log(`compose plan:                     median ${median(plan).toFixed(2)} ms`);
  console.log(`load + plan:                      median ${ours.toFixed(2)} ms`);
  if (existsSync('/usr/bin/docker-compose')) {
    const peer: number[] = [];
    for (let i = 0; i < Math.min(RUNS, 7); i++) {
      const t0 = performance.now();
      execFileSync('docker-compose', ['-p', 'bench', '-f', 'compose.yaml', 'config', '-q'], {
        cwd: dir,
        env: { PATH: '/usr/bin:/bin', HOME: os.homedir() },
        stdio: 'ignore',
      });
      peer.push(performance.now() - t0);
    }
    console.log(`docker-compose 1.29 config -q:    median ${median(peer).toFixed(1)} ms over ${peer.length} (a Python process each time)`);
    console.log(`ratio docker-compose/ours: ${(median(peer) / ours).toFixed(1)}`);
  } else console.log('docker-compose not installed: no peer measured');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
