import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

export interface TestEnv {
  dockerHost: string;
  registry: string;
  image: string;
  httpdImage: string;
  registryImage: string;
  /** An external PostgreSQL (Debian's) for the jobs queue, with a role that may create databases. */
  pgUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testEnv: TestEnv;
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Brings up the real components every test stands on: a private dockerd and a
 * registry (scripts/test-env.sh), and the built dashboard. A missing piece
 * fails the run loudly; nothing is skipped.
 */
export default function setup(project: TestProject): void {
  const out = execFileSync('bash', [path.join(root, 'scripts/test-env.sh')], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 20 * 60_000,
  });
  const vars = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) vars.set(m[1]!, m[2]!);
  }
  const need = (key: string) => {
    const v = vars.get(key);
    if (!v) throw new Error(`scripts/test-env.sh did not print ${key}`);
    return v;
  };
  project.provide('testEnv', {
    dockerHost: need('DOCKER_HOST'),
    registry: need('CAPSTAN_TEST_REGISTRY'),
    image: need('CAPSTAN_TEST_IMAGE'),
    httpdImage: need('CAPSTAN_TEST_HTTPD_IMAGE'),
    registryImage: need('CAPSTAN_TEST_REGISTRY_IMAGE'),
    pgUrl: need('CAPSTAN_TEST_PG_URL'),
  });

  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit', timeout: 5 * 60_000 });
}
